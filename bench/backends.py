"""Embedding backends side by side: `python -m bench.backends`.

- throughput: chunks/s on the same real chunk texts of the default corpus, embedded as a
  build embeds them (batches of 256), torch and OpenVINO interleaved over rounds so that both
  see the same load; then OpenVINO on Ray workers of a local cluster of one and of two nodes
  (one CPU each), with the per-worker rate a user multiplies by their cluster.
- queries: milliseconds to embed one query, as a server does, the backends alternating query
  by query; beside them, OpenVINO's LATENCY compilation of the same model (one stream over
  every core), which the library does not use: a query runs on one of the THROUGHPUT
  compilation's streams (one core), and issue 25 measured no gain from the other.
  The queries are bench.queries' set of `--index` (100: hand-written, then written questions'
  first sentences), those of `--queries FILE`, or else the hand-written ones ten times.
- builds: a cold build of the default corpus (empty vector cache) with each backend, one
  after the other in this run.
- quality: each evaluation set (bench.quality's) built with each backend, no vector cache,
  and the default ranking's nDCG@10 on its test split, OpenVINO against torch with a paired
  t-test.

Results go to bench-results/backends.json, tables beside it.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import stats

from bench import DEFAULT_CORPUS, RESULTS
from bench.quality import SETS, WORK, _evalset
from bench.report import CpuWatch, machine_info, table, write_json, write_results
from indexer.embedding import EmbedderSpec
from indexer.pipeline.build import build_index
from indexer.pipeline.workers import FilePreparer
from indexer.pipeline.writing import EMBED_BATCH
from indexer.sources import resolve_inputs
from indexer.text.chunking import ChunkingParams
from search_api.engine.search_index import SearchIndex
from search_api.evaluation import runs
from search_api.settings import Settings

BACKENDS = ("torch", "openvino")


def chunk_texts(count: int) -> list[str]:
    """The embedding texts of the default corpus's first chunks, as a build makes them."""
    inputs = resolve_inputs([DEFAULT_CORPUS], Settings().cache_dir, progress=False)
    preparer = FilePreparer(EmbedderSpec().open(), ChunkingParams())
    texts: dict[str, None] = {}
    for corpus in inputs:
        for path in corpus.files:
            for own in preparer.prepare(corpus, path).chunks:
                texts.update(dict.fromkeys(chunk.embed_text for chunk in own))
            if len(texts) >= count:
                return list(texts)[:count]
    return list(texts)


def _batches(texts: list[str]) -> list[list[str]]:
    ordered = sorted(texts, key=len)  # as build.py hands them out
    return [ordered[i : i + EMBED_BATCH] for i in range(0, len(ordered), EMBED_BATCH)]


def throughput(texts: list[str], rounds: int, cache_dir: Path) -> dict:
    embedders = {b: EmbedderSpec(backend=b, cache_dir=cache_dir).open() for b in BACKENDS}
    for embedder in embedders.values():
        embedder.embed(texts[:64])  # load (and convert) before timing
    seconds: dict[str, list[float]] = {b: [] for b in BACKENDS}
    for _ in range(rounds):
        for backend, embedder in embedders.items():
            started = time.perf_counter()
            for batch in _batches(texts):
                embedder.embed(batch)
            seconds[backend].append(time.perf_counter() - started)
    results = {b: {"chunks_per_s": len(texts) * rounds / sum(s),
                   "rounds_chunks_per_s": [len(texts) / x for x in s]}
               for b, s in seconds.items()}
    results["openvino"]["speedup"] = (results["openvino"]["chunks_per_s"]
                                      / results["torch"]["chunks_per_s"])
    return results


def query_latency(queries: list[str], cache_dir: Path, rounds: int = 1) -> dict:
    """Milliseconds to embed one query, as a server does (torch on one thread, OpenVINO on
    one stream), and with OpenVINO's LATENCY compilation, in a new order for each query."""
    import torch

    torch.set_num_threads(1)  # the server's setting (DEBATE_SEARCH_TORCH_THREADS)
    embedders = {b: EmbedderSpec(backend=b, cache_dir=cache_dir).open() for b in BACKENDS}
    embed = {b: e.embed for b, e in embedders.items()}
    embed[LATENCY] = _latency_compiled(embedders["openvino"])
    timings: dict[str, list[float]] = {b: [] for b in embed}
    for query in queries[:20]:  # warm-up
        for one in embed.values():
            one([query])
    shuffle = random.Random(0).shuffle
    for _ in range(rounds):
        for query in queries:
            order = list(embed.items())
            shuffle(order)  # no backend always runs just after another
            for backend, one in order:
                started = time.perf_counter()
                one([query])
                timings[backend].append((time.perf_counter() - started) * 1000)
    served = np.array(timings["openvino"])
    return {b: {"queries": len(t), "p50_ms": float(np.percentile(t, 50)),
                "p95_ms": float(np.percentile(t, 95)), "min_ms": float(np.min(t)),
                # the same query's time over OpenVINO's as served: robust to the load
                "median_ratio_to_openvino": float(np.median(np.array(t) / served))}
            for b, t in timings.items()}


LATENCY = "openvino, LATENCY compilation (not used)"


def _latency_compiled(embedder):
    """embed() of one batch on OpenVINO's LATENCY compilation of the embedder's converted
    model: every core on one request."""
    import openvino as ov

    from indexer.embedding.openvino_backend import _mean_pooled

    embedder.embed(["converted and cached"])
    compiled = ov.Core().compile_model(embedder.converted_path(), "CPU",
                                       {"PERFORMANCE_HINT": "LATENCY"})
    names = {name for port in compiled.inputs for name in port.get_names()}
    request = compiled.create_infer_request()

    def embed(texts: list[str]) -> np.ndarray:
        encoded = embedder.tokenizer(texts, padding=True, truncation=True,
                                     max_length=embedder.max_tokens, return_tensors="np")
        request.infer({name: encoded[name] for name in encoded if name in names})
        return _mean_pooled(request.get_output_tensor(0).data, encoded["attention_mask"])

    return embed


def ray_throughput(texts: list[str], nodes: int, cache_dir: Path) -> dict:
    from indexer.pipeline.distributed import RayWorkers, local_cluster

    spec = EmbedderSpec(backend="openvino", cache_dir=cache_dir)
    with local_cluster(nodes) as address, \
            RayWorkers(address, spec, ChunkingParams()) as workers:
        count = len(workers.actors)
        list(workers.embedded([texts[:16]] * count))  # every worker's model loaded
        started = time.perf_counter()
        list(workers.embedded(_batches(texts)))
        elapsed = time.perf_counter() - started
    return {"nodes": nodes, "workers": count, "chunks_per_s": len(texts) / elapsed,
            "per_worker_chunks_per_s": len(texts) / elapsed / count}


def cold_builds(cache_dir: Path) -> dict:
    inputs = resolve_inputs([DEFAULT_CORPUS], Settings().cache_dir, progress=False)
    results = {}
    for backend in BACKENDS:
        with tempfile.TemporaryDirectory(prefix=f"bench-build-{backend}-") as work:
            embedder = EmbedderSpec(backend=backend, cache_dir=cache_dir).open()
            embedder.embed(["warm-up"])  # model loading is not the build's
            started = time.perf_counter()
            report = build_index(inputs, Path(work) / "index", embedder,
                                 cache_dir=Path(work) / "vectors", progress=False)
            results[backend] = {"seconds": time.perf_counter() - started,
                                "embed_seconds": report.seconds.get("embed"),
                                "chunks": report.chunks, "embedded": report.embedded}
    results["speedup"] = results["torch"]["seconds"] / results["openvino"]["seconds"]
    return results


def quality(sets: list[str], cache_dir: Path) -> dict:
    default = {"hybrid (default)": runs.PRESETS["hybrid"]}
    results = {}
    for name in sets:
        per_backend = {}
        for backend in BACKENDS:
            embedder = EmbedderSpec(backend=backend, cache_dir=cache_dir).open()
            folder = WORK / "backends" / f"{name}-{backend}"
            inputs = resolve_inputs([SETS[name]], WORK / "cache", progress=False)
            build_index(inputs, folder, embedder, progress=True)  # no vector cache: its own
            index = SearchIndex(folder, embedder=embedder)
            evalset = _evalset(name, index).split("test")
            (scored,) = runs.compare(index, evalset, default, progress=False)
            per_backend[backend] = [scored.per_query[q][runs.PRIMARY] for q in evalset.qrels]
        torch_scores, ov_scores = (np.array(per_backend[b]) for b in BACKENDS)
        differ = bool(np.any(torch_scores != ov_scores))
        results[name] = {
            "queries": len(torch_scores),
            "ndcg10": {b: float(np.mean(per_backend[b])) for b in BACKENDS},
            "difference": float(ov_scores.mean() - torch_scores.mean()),
            "queries_changed": int(np.sum(torch_scores != ov_scores)),
            "p_value": float(stats.ttest_rel(ov_scores, torch_scores).pvalue) if differ else None,
        }
    return results


def render(results: dict) -> str:
    parts = []
    if "throughput" in results:
        t = results["throughput"]
        rows = [[b, t[b]["chunks_per_s"], " / ".join(f"{r:.1f}" for r in t[b]
                                                   ["rounds_chunks_per_s"])]
                for b in BACKENDS]
        rows += [[f"openvino on Ray, {r['nodes']} node(s), {r['workers']} worker(s)",
                  r["chunks_per_s"], f"{r['per_worker_chunks_per_s']:.1f} per worker"]
                 for r in results.get("ray", [])]
        parts.append(table(f"Embedding {results['texts']} real chunk texts "
                           f"(OpenVINO {t['openvino']['speedup']:.2f}x torch)",
                           ["backend", "chunks/s", "rounds / note"], rows))
    if "queries" in results:
        q = results["queries"]
        parts.append(table("Embedding one query (as the server does)",
                           ["backend", "queries", "p50 ms", "p95 ms", "min ms",
                            "median x openvino's"],
                           [[b, r["queries"], r["p50_ms"], r["p95_ms"], r["min_ms"],
                             f"{r['median_ratio_to_openvino']:.2f}"] for b, r in q.items()]))
    if "builds" in results:
        b = results["builds"]
        parts.append(table(f"Cold build of the default corpus (OpenVINO {b['speedup']:.2f}x)",
                           ["backend", "seconds", "embedding s", "chunks embedded"],
                           [[n, b[n]["seconds"], b[n]["embed_seconds"], b[n]["embedded"]]
                            for n in BACKENDS]))
    if "quality" in results:
        q = results["quality"]
        parts.append(table("nDCG@10 of the default ranking, test splits (paired t-test)",
                           ["set", "queries", "torch", "openvino", "difference",
                            "queries changed", "p"],
                           [[n, r["queries"], f"{r['ndcg10']['torch']:.4f}",
                             f"{r['ndcg10']['openvino']:.4f}", f"{r['difference']:+.4f}",
                             r["queries_changed"],
                             "-" if r["p_value"] is None else f"{r['p_value']:.2f}"]
                            for n, r in q.items()]))
    return "\n\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.backends", description=__doc__)
    parser.add_argument("--sections", nargs="+",
                        default=["throughput", "queries", "builds", "quality"],
                        choices=["throughput", "queries", "builds", "quality"])
    parser.add_argument("--texts", type=int, default=1024, help="chunk texts timed [1024]")
    parser.add_argument("--rounds", type=int, default=3,
                        help="interleaved rounds of the throughput and queries sections [3]")
    parser.add_argument("--sets", nargs="+", choices=list(SETS), default=list(SETS))
    parser.add_argument("--index", type=Path,
                        help="an index whose bench query set (100 queries) the queries "
                             "section embeds [the hand-written queries, ten times]")
    parser.add_argument("--queries", type=Path,
                        help="the queries section embeds these (one a line) instead")
    parser.add_argument("--out", type=Path, default=RESULTS / "backends.json")
    args = parser.parse_args()
    results: dict = {"machine": machine_info(), "texts": args.texts}
    cache_dir = Settings().cache_dir  # converted models only: vectors are never cached here
    with CpuWatch() as watch:  # each section's results are written as soon as they exist
        if "throughput" in args.sections:
            texts = chunk_texts(args.texts)
            results["throughput"] = throughput(texts, args.rounds, cache_dir)
            write_json(args.out, results)
            results["ray"] = [ray_throughput(texts, nodes, cache_dir) for nodes in (1, 2)]
            write_json(args.out, results)
        if "queries" in args.sections:
            from bench.queries import HAND_WRITTEN, build_query_set

            queries = (args.queries.read_text().splitlines() if args.queries
                       else build_query_set(args.index, 100) if args.index
                       else list(HAND_WRITTEN) * 10)
            results["queries"] = query_latency(queries, cache_dir, args.rounds)
            write_json(args.out, results)
        if "builds" in args.sections:
            results["builds"] = cold_builds(cache_dir)
            write_json(args.out, results)
        if "quality" in args.sections:
            results["quality"] = quality(args.sets, cache_dir)
    results["machine"]["other_processes_cpu_share"] = watch.share
    write_results(args.out, results, render(results))


if __name__ == "__main__":
    main()
