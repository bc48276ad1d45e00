"""Batch retrieval evaluation: query sets with judgements, runs, metrics (ir-measures),
side-by-side comparisons with paired tests."""
