"""Retrieval quality beside latency: `python -m bench.quality`.

For each evaluation set (UK debates, UK written answers, SciFact, Cranfield) it builds an
index once into var/bench/ (reused while its inputs are unchanged), runs named pipeline
configurations on the set's test split, and reports nDCG@10, MRR@10, Recall@10/100, MAP,
the paired test against the first configuration (the default before question framing was
stripped and feedback added), and p50/p95 in-process latency of the same configurations.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from bench import RESULTS, ROOT, SCIFACT, SHARED_DATA
from bench.report import write_json
from indexer.build import build_index
from indexer.chunking import ChunkingParams
from indexer.embedding import EmbedderSpec
from indexer.sources import resolve_inputs
from search_api.engine.search_index import RetrievalConfig, SearchIndex
from search_api.evaluation import runs, sets
from search_api.settings import Settings

WORK = ROOT / "var" / "bench"
CONFIGS = {  # the first is the baseline of the paired tests
    "hybrid, plain (the default before)": RetrievalConfig(strip_framing=False,
                                                          feedback_docs=0),
    "dense": RetrievalConfig(mode="dense"),
    "keyword": RetrievalConfig(mode="keyword"),
    "rrf": RetrievalConfig(mode="hybrid", fusion="rrf"),
    "hybrid (default)": RetrievalConfig(),
    "hybrid+sentences": RetrievalConfig(rescore_sentences=True),
}
SETS = {
    "uk-debates": ROOT / "corpora" / "uk-twfy-parlparse-2009-10.toml",
    "uk-written-answers": SHARED_DATA / "uk-twfy-parlparse-2009-10" / "wrans",
    "scifact": SCIFACT,
    "cranfield": SHARED_DATA / "benchmarks" / "cranfield",
}


def _evalset(name: str, index: SearchIndex) -> sets.EvalSet:
    if name in sets.NAMED_SETS:
        return sets.NAMED_SETS[name](index)
    return sets.beir_set(SETS[name])


def _latency(index: SearchIndex, evalset: sets.EvalSet, config: RetrievalConfig,
             n: int) -> dict[str, float]:
    """p50/p95 of single queries through the full search (embedding, snippets included)."""
    timings = []
    for text in list(evalset.queries.values())[:n]:
        start = time.perf_counter()
        index.search(text[:500], k=10, filters=evalset.filters, config=config, understand=False)
        timings.append((time.perf_counter() - start) * 1000)
    return {"p50_ms": float(np.percentile(timings, 50)),
            "p95_ms": float(np.percentile(timings, 95))}


def run(sets: list[str], configs: dict[str, RetrievalConfig], latency_queries: int,
        context: bool = True) -> dict:
    embedder = EmbedderSpec(cache_dir=Settings().cache_dir).open()
    results = {}
    for name in sets:
        folder = WORK / f"{name}{'' if context else '-bare'}"
        inputs = resolve_inputs([SETS[name]], WORK / "cache", progress=True)
        report = build_index(inputs, folder, embedder, ChunkingParams(context=context),
                             cache_dir=Settings().cache_dir)  # vectors embedded before: reused
        index = SearchIndex(folder, embedder=embedder)
        evalset = _evalset(name, index).split("test")
        scored = runs.compare(index, evalset, configs)
        latency = {r.name: _latency(index, evalset, r.config, latency_queries) for r in scored}
        print(runs.format_table(evalset, scored, extra=lambda r, t=latency: _fmt(t[r.name]),
                                     extra_title="latency in-process"))
        runs.write_outputs(RESULTS / "eval", evalset, scored)
        results[name] = {
            "queries": len(evalset.qrels), "build_seconds": report.seconds.get("total"),
            "configs": {r.name: {"metrics": r.means, "p_value": r.p_value,
                                 "improved": r.improved, "worsened": r.worsened,
                                 "latency": latency[r.name]}
                        for r in scored},
        }
    return results


def _fmt(latency: dict[str, float]) -> str:
    return f"p50 {latency['p50_ms']:.0f} ms, p95 {latency['p95_ms']:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.quality", description=__doc__)
    parser.add_argument("--sets", nargs="+", choices=list(SETS), default=list(SETS))
    parser.add_argument("--configs", nargs="+", choices=list(CONFIGS), default=list(CONFIGS),
                        help="which configurations (the first listed is the baseline)")
    parser.add_argument("--latency-queries", type=int, default=100)
    parser.add_argument("--bare", action="store_true", help="embed chunks without context")
    parser.add_argument("--out", type=Path, default=RESULTS / "quality.json")
    args = parser.parse_args()
    configs = {name: CONFIGS[name] for name in args.configs}
    results = run(args.sets, configs, args.latency_queries, context=not args.bare)
    write_json(args.out, results)
    print(f"Written to {args.out}")


if __name__ == "__main__":
    main()
