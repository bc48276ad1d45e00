"""The approximate vector index against the exact one: recall@10 and latency of dense search.

    python -m bench.recall --exact DIR --approximate DIR [--nprobe 8 16 32 64] [--out FILE]

Both folders index the same inputs; the second was built with `exact_below` under its size
(`build_index(..., exact_below=0)`). Queries: the index's written questions (the
written-question set of `debate-search eval --set uk-written-answers`, cut to a query's
length) and the hand-written ones of bench/queries.py. Recall@10 is the share of the exact
search's ten contributions that the approximate search also returns, over all queries;
latency is the approximate search's, in-process, one thread, query vectors given.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bench.latency import summarize
from bench.queries import HAND_WRITTEN
from bench.report import table, write_json
from indexer.store.records import SearchFilters
from search_api.engine.checks import query_text
from search_api.engine.ranking import RetrievalConfig
from search_api.engine.search_index import SearchIndex
from search_api.evaluation.sets import written_answers_set


def measure(exact: SearchIndex, approximate: SearchIndex, queries: list[str],
            nprobes: list[int], filters: SearchFilters | None = None) -> list[dict]:
    vectors = exact.embedder.embed(queries)
    dense = RetrievalConfig(mode="dense")
    truth = [{i for i, _ in exact.rank(q, 10, filters, dense, v)}
             for q, v in zip(queries, vectors, strict=True)]
    rows = []
    for nprobe in nprobes:
        config = RetrievalConfig(mode="dense", nprobe=nprobe)
        found, times = 0, []
        for query, vector, expected in zip(queries, vectors, truth, strict=True):
            started = time.perf_counter()
            got = {i for i, _ in approximate.rank(query, 10, filters, config, vector)}
            times.append(time.perf_counter() - started)
            found += len(expected & got)
        rows.append({"nprobe": nprobe, "queries": len(queries),
                     "recall_at_10": found / sum(len(t) for t in truth),
                     "latency": summarize(times)})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.recall", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exact", type=Path, required=True)
    parser.add_argument("--approximate", type=Path, required=True)
    parser.add_argument("--nprobe", type=int, nargs="+", default=[8, 16, 32, 64])
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    exact, approximate = SearchIndex(args.exact), SearchIndex(args.approximate)
    questions = [query_text(q) for q in written_answers_set(exact).queries.values()]
    queries = [*HAND_WRITTEN, *questions]
    results = {
        "chunks": approximate.chunk_count,
        "unfiltered": measure(exact, approximate, queries, args.nprobe),
        "filtered_house_of_lords": measure(exact, approximate, queries, args.nprobe,
                                           SearchFilters(house="House of Lords")),
    }
    for name in ("unfiltered", "filtered_house_of_lords"):
        print(table(f"Approximate vs exact dense search, {name.replace('_', ' ')}: "
                    f"{len(queries)} queries, {results['chunks']:,} chunks",
                    ["nprobe", "recall@10", "p50 ms", "p95 ms"],
                    [[r["nprobe"], r["recall_at_10"], r["latency"]["p50_ms"],
                      r["latency"]["p95_ms"]] for r in results[name]]))
    if args.out:
        write_json(args.out, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
