"""Benchmarks for debate-search: build throughput, query latency, server memory.

`python -m bench` (or `make bench`) runs them all, prints tables and writes
bench-results/bench.json. Every measurement calls the library; nothing here re-implements it.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT / "corpora" / "uk-twfy-parlparse-2009-10.toml"
RESULTS = ROOT / "bench-results"  # everything the benchmarks write goes here
DEFAULT_OUT = RESULTS / "bench.json"
SHARED_DATA = ROOT.parent / "shared" / "data"  # the real records, beside the checkout
SCIFACT = SHARED_DATA / "benchmarks" / "scifact"
