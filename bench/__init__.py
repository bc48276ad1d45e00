"""Benchmarks for debate-search: build throughput, query latency, server memory.

`python -m bench` (or `make bench`) runs them all, prints tables and writes
bench-results/bench.json. Every measurement calls the library; nothing here re-implements it.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT / "corpora" / "uk-twfy-parlparse-2009-10.toml"
DEFAULT_OUT = ROOT / "bench-results" / "bench.json"
