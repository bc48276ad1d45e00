"""Query latency in-process: SearchIndex.search on the built index, no HTTP in the way; and
searching many queries at once (engine/batch.py, `search --queries`) against one by one.

`python -m bench.latency --batch [--index DIR] [--queries N]` times the batch path alone."""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from tqdm import tqdm

from bench.queries import FILTERED
from search_api.engine.batch import SearchSpec, search_many
from search_api.engine.browsing import FIELD_FACETS, Browsing
from search_api.engine.ranking import MODES
from search_api.engine.search_index import SearchIndex
from search_api.engine.stages import STAGES
from search_api.errors import InvalidRequest
from search_api.settings import Settings

WARMUP = 10
# Browsing (docs/api.md, Browsing), timed against the plain search: every field facet, the
# speaker facet, a date order, and the matches by debate.
BROWSING = {
    "facets": Browsing(facets=FIELD_FACETS),
    "facets_speaker": Browsing(facets="speaker"),
    "newest": Browsing(sort="newest"),
    "grouped": Browsing(group="debate"),
}


def summarize(latencies_s: Sequence[float], wall_s: float | None = None) -> dict:
    """Percentiles (ms) of a list of latencies (s), and the rate if the wall time is given."""
    if not latencies_s:
        return {"count": 0}
    ms = np.asarray(latencies_s) * 1000.0
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    summary = {
        "count": len(ms),
        "p50_ms": float(p50),
        "p95_ms": float(p95),
        "p99_ms": float(p99),
        "mean_ms": float(ms.mean()),
        "max_ms": float(ms.max()),
    }
    if wall_s:
        summary["wall_s"] = wall_s
        summary["per_s"] = len(ms) / wall_s
    return summary


def stage_percentiles(stages: Sequence[dict[str, float]]) -> dict:
    """p50 and p95 (ms) of each search stage (engine/stages.py) over the calls that timed
    them; a stage a call did not reach counts as 0 ms for it."""
    return {name: {"p50": float(np.percentile(ms, 50)), "p95": float(np.percentile(ms, 95))}
            for name in STAGES if stages
            for ms in [[s.get(name, 0.0) for s in stages]]}


def time_calls(
    call: Callable[[str], object], queries: Sequence[str], *, desc: str, max_seconds: float
) -> dict:
    """Call `call(q)` for each query in turn, stopping after `max_seconds`; summarize."""
    latencies, stages = [], []
    started = time.perf_counter()
    for query in tqdm(queries, desc=desc, unit="query", leave=False):
        if time.perf_counter() - started > max_seconds:
            break
        t = time.perf_counter()
        result = call(query)
        latencies.append(time.perf_counter() - t)
        if hasattr(result, "stages_ms"):  # a search's: where its time went (stages.py)
            stages.append(result.stages_ms)
    summary = summarize(latencies, time.perf_counter() - started)
    summary["stopped_early"] = len(latencies) < len(queries)
    if stages:
        summary["stages_ms"] = stage_percentiles(stages)
    return summary


def run_in_process(index_dir: Path, queries: Sequence[str], *, max_seconds: float) -> dict:
    """Open the index, warm up, then time embedding alone, search in the default mode and in
    each other retrieval mode, browsing (BROWSING), and filtered search."""
    started = time.perf_counter()
    index = SearchIndex(index_dir, spec=Settings().embedder_spec())  # env picks the backend
    open_s = time.perf_counter() - started
    started = time.perf_counter()
    index.search(queries[0])  # loads the model: the first query a fresh server answers
    first_query_s = time.perf_counter() - started
    for query in queries[:WARMUP]:
        index.search(query)
    results = {
        "batch": time_batch(index, queries),
        "vectors": index.chunk_count,
        "open_seconds": open_s,
        "first_query_seconds": first_query_s,
        "embed_only": time_calls(lambda q: index.embedder.embed([q]), queries,
                                 desc="Embed query only", max_seconds=max_seconds),
        "config": dataclasses.asdict(index.config),
        "search": time_calls(lambda q: index.search(q, k=10), queries,
                             desc="Search in-process", max_seconds=max_seconds),
        "modes": {
            mode: time_calls(lambda q, m=mode: index.search(q, k=10, mode=m), queries,
                             desc=f"Search, {mode}", max_seconds=max_seconds)
            for mode in MODES if mode != index.config.mode
        },
        "browsing": {
            name: time_calls(lambda q, b=browsing: index.search(q, k=10, browsing=b), queries,
                             desc=f"Search, {name}", max_seconds=max_seconds)
            for name, browsing in BROWSING.items()
        },
    }
    # A debate's page opened at each query's best hit, as the page's debate view opens it
    # (GET /debates/{id}?around=).
    best = {q: hits[0].contribution for q in queries if (hits := index.search(q, k=1).hits)}
    results["debate"] = time_calls(
        lambda q: index.debate(best[q].debate.id, 0, 50, best[q].id), list(best),
        desc="Debate page", max_seconds=max_seconds)
    try:
        results["filtered_total"] = index.search(queries[0], filters=FILTERED).total
    except InvalidRequest as exc:  # another corpus than the default: no such party or house
        results["search_filtered"] = {"count": 0, "skipped": str(exc)}
        results["embed_only_1_thread"] = _embed_one_thread(index, queries, max_seconds)
        return results
    for query in queries[:WARMUP]:
        index.search(query, filters=FILTERED)
    results["search_filtered"] = time_calls(
        lambda q: index.search(q, k=10, filters=FILTERED), queries, desc="Filtered search",
        max_seconds=max_seconds,
    )
    # Filtered and faceted ranks twice: the page's results, and the query's own matches.
    results["search_filtered_facets"] = time_calls(
        lambda q: index.search(q, k=10, filters=FILTERED, browsing=BROWSING["facets"]),
        queries, desc="Filtered search + facets", max_seconds=max_seconds,
    )
    results["embed_only_1_thread"] = _embed_one_thread(index, queries, max_seconds)
    return results


def _embed_one_thread(index: SearchIndex, queries: Sequence[str], max_seconds: float) -> dict:
    """The query embedding again with one torch thread: a diagnostic, not the library's
    setting. On a busy 2-core machine torch's default threads wait on each other."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return time_calls(lambda q: index.embedder.embed([q]), queries,
                          desc="Embed, 1 torch thread", max_seconds=max_seconds)
    finally:
        torch.set_num_threads(threads)


def time_batch(index: SearchIndex, queries: Sequence[str]) -> dict:
    """Queries per second searching `queries` one by one (SearchIndex.search) and all at once
    (search_many: embedded in batches, searched on a thread per core), the same default
    search each way; the index is warmed up first."""
    specs = [SearchSpec(q) for q in queries]
    started = time.perf_counter()
    for query in tqdm(queries, desc="One by one", unit="query", leave=False):
        index.search(query)
    single_s = time.perf_counter() - started
    started = time.perf_counter()
    for _ in tqdm(search_many(index, specs), total=len(specs), desc="In batches", unit="query",
                  leave=False):
        pass
    batch_s = time.perf_counter() - started
    return {"count": len(queries), "workers": os.cpu_count() or 1,
            "one_by_one_s": single_s, "one_by_one_per_s": len(queries) / single_s,
            "batch_s": batch_s, "batch_per_s": len(queries) / batch_s,
            "speedup": single_s / batch_s}


def batch_rows(batch: dict) -> list[list]:
    """The rows of the batch table (report.py renders them)."""
    return [["one by one (SearchIndex.search)", batch["count"], batch["one_by_one_s"],
             f"{batch['one_by_one_per_s']:,.1f}"],
            [f"in batches (search_many, {batch['workers']} threads)", batch["count"],
             batch["batch_s"], f"{batch['batch_per_s']:,.1f} ({batch['speedup']:.1f}x)"]]


def main() -> None:
    from bench.queries import build_query_set
    from bench.report import table

    parser = argparse.ArgumentParser(prog="python -m bench.latency", description=__doc__)
    parser.add_argument("--batch", action="store_true", required=True,
                        help="time the batch path against one search at a time")
    parser.add_argument("--index", type=Path, default=Settings().index_dir)
    parser.add_argument("--queries", type=int, default=1000)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    index = SearchIndex(args.index, spec=Settings().embedder_spec())
    queries = build_query_set(args.index, args.queries)
    for query in queries[:WARMUP]:
        index.search(query)
    batch = time_batch(index, queries)
    print(table(BATCH_TITLE, BATCH_HEADERS, batch_rows(batch), align="lrrl"))


BATCH_TITLE = "Many queries at once (search --queries: engine/batch.py), in-process"
BATCH_HEADERS = ("", "queries", "seconds", "queries/s")

if __name__ == "__main__":
    main()
