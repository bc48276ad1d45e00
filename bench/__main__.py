"""`python -m bench`: build, query latency in-process and over HTTP, server memory."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from bench import DEFAULT_CORPUS, DEFAULT_OUT
from bench.build import index_sizes, run_build_benchmark
from bench.latency import run_in_process
from bench.queries import FILTERED, HAND_WRITTEN, build_query_set
from bench.report import CpuWatch, machine_info, render, write_json
from bench.server import run_http


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--index", type=Path,
                        help="benchmark this existing index and skip the build")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                        help="corpus manifest or source folder to build [default corpus]")
    parser.add_argument("--queries", type=int, default=200, help="queries per run [200]")
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients [4]")
    parser.add_argument("--max-seconds", type=float, default=300,
                        help="time limit of each timed query loop [300]")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="JSON results; the tables go beside it as .txt "
                             "[bench-results/bench.json]")
    parser.add_argument("--keep-index", action="store_true",
                        help="keep the index the benchmark builds (its path is printed)")
    args = parser.parse_args(argv)
    if args.queries < 1 or args.clients < 1:
        parser.error("--queries and --clients must be at least 1")
    return args


def run(args: argparse.Namespace, workdir: Path) -> dict:
    from search_api.settings import Settings

    results: dict = {"machine": machine_info(), "warnings": []}
    contention = results["machine"]["other_processes_cpu_share"] = {}
    if args.index:
        index_dir = args.index
    else:
        index_dir = workdir / "index"
        with CpuWatch() as watch:
            results["build"] = run_build_benchmark(args.corpus, index_dir, Settings().cache_dir)
        contention["build"] = watch.share
        results["warnings"] += results["build"]["warnings"]
    results["index"] = index_sizes(index_dir)

    queries = build_query_set(index_dir, args.queries)
    results["settings"] = {
        "index": str(index_dir), "k": 10, "clients": args.clients,
        "max_seconds": args.max_seconds, "filters": FILTERED.active(),
    }
    results["queries"] = {"count": len(queries),
                          "hand_written": len(HAND_WRITTEN[: len(queries)]), "list": queries}
    with CpuWatch() as watch:
        print(f"Timing {len(queries)} queries in-process...", flush=True)
        results["in_process"] = run_in_process(index_dir, queries, max_seconds=args.max_seconds)
        print("Timing queries over HTTP against `debate-search serve`...", flush=True)
        try:
            results["http"] = run_http(index_dir, queries, workdir, clients=args.clients,
                                       max_seconds=args.max_seconds)
        except RuntimeError as exc:  # the server did not start: keep what was measured
            results["http"] = {"error": str(exc)}
            results["warnings"].append(f"HTTP benchmark skipped: {exc}")
    contention["queries"] = watch.share
    from bench.answers import run_answers_benchmark

    print("Answers: the answerable decision, /answer and /context latency...", flush=True)
    results["answers"] = run_answers_benchmark(index_dir, http=True,
                                               max_seconds=args.max_seconds,
                                               log=workdir / "answers-server.log")
    for name in ("sequential", "sequential_facets", "sequential_facets_speaker", "concurrent"):
        if failures := results["http"].get(name, {}).get("failures"):
            results["warnings"].append(f"{failures} {name} HTTP queries failed or found nothing")
    for name, summary in [*results["in_process"].items(), *results["http"].items()]:
        if isinstance(summary, dict) and summary.get("stopped_early"):
            results["warnings"].append(f"{name}: stopped at the --max-seconds limit")
    results["notes"] = []  # about the machine, not the code: they do not fail the run
    for phase, share in contention.items():
        if share > 0.1:
            results["notes"].append(
                f"other processes used {share:.0%} of the CPUs during the {phase}; "
                "those figures are pessimistic: rerun on a quiet machine"
            )
    return results


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # models load from local folders only
    args = parse_args(argv)
    if args.keep_index:
        workdir = Path(tempfile.mkdtemp(prefix="debate-search-bench-"))
        results = run(args, workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="debate-search-bench-") as tmp:
            results = run(args, Path(tmp))
            workdir = None
    from bench.answers import render_answers

    text = render(results) + "\n\n" + render_answers(results["answers"])
    write_json(args.out, results)
    args.out.with_suffix(".txt").write_text(text + "\n")
    print("\n" + text + "\n")
    print(f"Results: {args.out} (tables: {args.out.with_suffix('.txt')})")
    if workdir and not args.index:
        print(f"Index kept at {workdir / 'index'}; rerun with --index {workdir / 'index'}")
    return 1 if results["warnings"] else 0


if __name__ == "__main__":
    sys.exit(main())
