"""Retrieval quality beside latency: `python -m bench.quality`.

For each evaluation set (UK debates, UK written answers, SciFact, Cranfield) it builds an
index once into var/bench/ (reused while its inputs are unchanged), runs named pipeline
configurations on the set's test split, and reports nDCG@10, MRR@10, Recall@10/100, MAP,
the paired test against the first configuration (the default before question framing was
stripped and feedback added), and p50/p95 in-process latency of the same configurations.

With `--model DIR` (a tuned model: `debate-search tune`) or `--chunking LEVER` (a
ChunkingParams switch such as opening_context) each set is indexed a second time that way,
and every configuration runs on both indexes, tested against the first configuration on the
default index.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import numpy as np

from bench import RESULTS, ROOT, SCIFACT, SHARED_DATA
from bench.report import write_json
from indexer.embedding import EmbedderSpec
from indexer.pipeline.build import build_index
from indexer.sources import resolve_inputs
from indexer.text.chunking import ChunkingParams
from search_api.engine.ranking import RetrievalConfig
from search_api.engine.search_index import SearchIndex
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
    "hybrid+rm3": RetrievalConfig(keyword_feedback_docs=10),
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


def _index(name: str, embedder, params: ChunkingParams, suffix: str = ""
           ) -> tuple[SearchIndex, dict]:
    """The set's index under var/bench/ (built, or rebuilt where its inputs changed)."""
    return bench_index(SETS[name], WORK / f"{name}{'' if params.context else '-bare'}{suffix}",
                       embedder, params)


def bench_index(source: Path, folder: Path, embedder, params: ChunkingParams | None = None
                ) -> tuple[SearchIndex, dict]:
    """`source` (a manifest, file or folder) indexed into `folder` under var/bench/: built,
    or rebuilt where its inputs changed, reusing the vectors the machine embedded before."""
    inputs = resolve_inputs([source], WORK / "cache", progress=True)
    report = build_index(inputs, folder, embedder, params, cache_dir=Settings().cache_dir)
    return SearchIndex(folder, embedder=embedder), report


def run(sets: list[str], configs: dict[str, RetrievalConfig], latency_queries: int,
        context: bool = True, model: Path | None = None, chunking: str | None = None) -> dict:
    cache_dir = Settings().cache_dir
    embedder = EmbedderSpec(cache_dir=cache_dir).open()
    params = ChunkingParams(context=context)
    variant = None  # (label, embedder, chunking) of the second index, if any
    if model or chunking:
        variant = ("@" + "+".join(filter(None, [model and model.name, chunking])),
                   EmbedderSpec(model_path=model, cache_dir=cache_dir).open() if model
                   else embedder,
                   dataclasses.replace(params, **{chunking: True}) if chunking else params)
    results = {}
    for name in sets:
        index, report = _index(name, embedder, params)
        evalset = _evalset(name, index).split("test")
        pipelines = {label: (index, config) for label, config in configs.items()}
        if variant:
            suffix, other_embedder, other_params = variant
            other, _ = _index(name, other_embedder, other_params, suffix=suffix)
            pipelines |= {f"{label} {suffix}": (other, config) for label, config in configs.items()}
        scored = runs.compare_pipelines(evalset, pipelines)
        latency = {r.name: _latency(index, evalset, config, latency_queries)
                   for r in scored for index, config in [pipelines[r.name]]}
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
    parser.add_argument("--model", type=Path,
                        help="also index each set with this model folder, and compare")
    parser.add_argument("--chunking", choices=["question_context", "opening_context"],
                        help="also index each set with this chunking lever on, and compare")
    parser.add_argument("--out", type=Path, default=RESULTS / "quality.json")
    args = parser.parse_args()
    configs = {name: CONFIGS[name] for name in args.configs}
    results = run(args.sets, configs, args.latency_queries, context=not args.bare,
                  model=args.model, chunking=args.chunking)
    write_json(args.out, results)
    print(f"Written to {args.out}")


if __name__ == "__main__":
    main()
