"""Answers questions from a built debate-search index."""
