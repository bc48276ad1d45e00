"""Answers and context: the answerable/unanswerable decision, and /answer, /context latency.

    python -m bench.answers --index DIR [--http]

The decision ("does the index answer this question?") compares the best retrieval score with
search_api.answering.ANSWERABLE_THRESHOLD (bench/calibration.py). Measured here on two sets:

- answerable: written questions of the index itself (kind question), each searched without
  its own record or copies of its text, so only what else the index holds (its answer,
  related speeches) can make it answerable;
- unanswerable: SciFact claims (biomedical research claims; ../shared/data/benchmarks/scifact).

The threshold is fitted (best balanced accuracy) on one half of each set and reported on the
other half; the constant in use is reported on both halves together.

Latency, in-process and (--http) over HTTP: an answer embeds the sentences it may quote the
first time any answer needs them (search_api/engine/sentence_vectors.py), so /answer is
timed twice. First time: every question once, on an index (a server) whose vector cache is
an empty folder, so no sentence has a vector yet; then warm: each question again (its
sentences in memory), with /context.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench import RESULTS, SCIFACT, calibration
from bench.latency import summarize
from bench.queries import HAND_WRITTEN
from bench.report import table, write_json
from search_api.answering.answers import ANSWERABLE_THRESHOLD
from search_api.engine.checks import query_text
from search_api.operations.answers import AnswerRequest, answer
from search_api.operations.context import ContextRequest, context
from search_api.settings import Settings

CONTEXT_TOKENS = 2000


def scifact_probes(path: Path = SCIFACT / "queries.jsonl", limit: int = 300
                   ) -> list[calibration.Probe]:
    """SciFact claims: questions a parliamentary index should not claim to answer."""
    with open(path) as handle:
        claims = [json.loads(line)["text"] for line in handle if line.strip()]
    return [calibration.Probe(query_text(c)) for c in claims[:limit]]


def _scores(index, probes: list[calibration.Probe]) -> list[float]:
    return [calibration.top_score(index, p) for p in probes]


def calibrate(index, answerable: int = 300, unanswerable: int = 300) -> dict:
    """Fit on even positions, test on odd; and the constant in use on everything."""
    a = _scores(index, calibration.written_question_probes(index, answerable))
    u = _scores(index, scifact_probes(limit=unanswerable))
    fitted = calibration.best_threshold(a[::2], u[::2])
    result = {"answerable": len(a), "unanswerable": len(u), "fitted_threshold": fitted}
    for name, threshold, aa, uu in (
        ("fitted_on_dev_reported_on_test", fitted, a[1::2], u[1::2]),
        ("constant_on_all", ANSWERABLE_THRESHOLD, a, u),
    ):
        precision, recall, accuracy = calibration.decision_quality(aa, uu, threshold)
        unanswered = sum(s < threshold for s in uu)
        result[name] = {
            "threshold": threshold, "precision": precision, "recall": recall,
            "accuracy": accuracy, "unanswerable_recall": unanswered / len(uu) if uu else 0.0,
        }
    result["score_quantiles"] = {
        "answerable": _quantiles(a), "unanswerable": _quantiles(u),
    }
    return result


def _quantiles(scores: list[float]) -> dict:
    ordered = sorted(scores)
    if not ordered:
        return {}
    pick = {q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] for q in (.05, .5, .95)}
    return {"p5": pick[.05], "p50": pick[.5], "p95": pick[.95]}


def _timed(call: Callable[[str], object], query: str, into: list[float]) -> None:
    t = time.perf_counter()
    call(query)
    into.append(time.perf_counter() - t)


def first_time_then_warm(ask: Callable[[str], object], contextualise: Callable[[str], object],
                         queries: list[str], max_seconds: float) -> dict:
    """/answer of each query once, by an index whose vector cache is empty (first time),
    then /answer and /context of each again (warm), within `max_seconds` in all."""
    timings: dict[str, list[float]] = {"answer_first_time": [], "answer": [], "context": []}
    started, asked = time.perf_counter(), []
    for query in queries:
        if time.perf_counter() - started > max_seconds / 2:
            break
        _timed(ask, query, timings["answer_first_time"])
        asked.append(query)
    for query in asked:
        _timed(ask, query, timings["answer"])
        _timed(contextualise, query, timings["context"])
    return {name: summarize(values) for name, values in timings.items()}


def latency_in_process(index_dir: Path, queries: list[str], max_seconds: float) -> dict:
    """answer and context (2,000 tokens) through the library, as the routes call it, on an
    index whose sentence vectors are kept in an empty vector cache; with the sentences the
    first-time answers embedded (per answer, and calls of the model)."""
    from search_api.engine.search_index import SearchIndex

    with tempfile.TemporaryDirectory(prefix="empty-vector-cache-") as empty:
        index = SearchIndex(index_dir, spec=Settings().embedder_spec(), cache_dir=Path(empty))
        index.warm_up()
        results = first_time_then_warm(
            lambda q: answer(index, AnswerRequest(q=q)),
            lambda q: context(index, ContextRequest(q=q, max_tokens=CONTEXT_TOKENS)),
            queries, max_seconds)
        counts = index.sentence_vectors.counts()
        index.close()
    answered = results["answer_first_time"]["count"]
    results["first_time_embedded"] = {"sentences": counts.embedded,
                                      "per_answer": counts.embedded / max(answered, 1),
                                      "embed_calls": counts.embed_calls}
    return results


def latency_http(index_dir: Path, queries: list[str], max_seconds: float, log: Path) -> dict:
    """GET /answer and POST /context against `debate-search serve`, one client; the server's
    cache folder (DEBATE_SEARCH_CACHE_DIR) empty, so it holds no sentence vector at first."""
    import httpx

    from bench.server import Server

    with tempfile.TemporaryDirectory(prefix="empty-cache-") as empty, \
            Server(index_dir, log, env={"DEBATE_SEARCH_CACHE_DIR": empty}) as server, \
            httpx.Client(base_url=server.base_url, timeout=120) as client:
        return first_time_then_warm(
            lambda q: client.get("/answer", params={"q": q}).raise_for_status(),
            lambda q: client.post("/context", json={"q": q, "max_tokens": CONTEXT_TOKENS}
                                  ).raise_for_status(),
            queries, max_seconds)


def run_answers_benchmark(index_dir: Path, *, answerable: int = 300, unanswerable: int = 300,
                          latency_queries: int = 40, max_seconds: float = 300,
                          http: bool = False, log: Path | None = None) -> dict:
    from search_api.engine.search_index import SearchIndex

    index = SearchIndex(index_dir, spec=Settings().embedder_spec())  # env picks the backend
    index.warm_up()
    probes = calibration.written_question_probes(index, latency_queries)
    queries = [*HAND_WRITTEN, *(p.text for p in probes)][:latency_queries]
    results = {
        "calibration": calibrate(index, answerable, unanswerable),
        "latency_in_process": latency_in_process(index_dir, queries, max_seconds),
    }
    if http:
        results["latency_http"] = latency_http(index_dir, queries, max_seconds,
                                               log or RESULTS / "answers-server.log")
    return results


def render_answers(results: dict) -> str:
    c = results["calibration"]
    rows = [[name, c[name]["threshold"], c[name]["precision"], c[name]["recall"],
             c[name]["unanswerable_recall"], c[name]["accuracy"]]
            for name in ("fitted_on_dev_reported_on_test", "constant_on_all")]
    parts = [table(
        f"Answerable decision ({c['answerable']} written questions answerable, "
        f"{c['unanswerable']} SciFact claims unanswerable)",
        ["", "threshold", "precision", "recall", "unanswerable recall", "accuracy"], rows)]
    for key in ("latency_in_process", "latency_http"):
        if key in results:
            timed = results[key]
            title = key.replace("_", " ").capitalize()
            if "first_time_embedded" in timed:
                e = timed["first_time_embedded"]
                title += (f" (first time: {e['per_answer']:.1f} sentences embedded an answer, "
                          f"{e['embed_calls']} calls of the model for {e['sentences']})")
            parts.append(table(title, ["", "queries", "p50 ms", "p95 ms"], [
                [label, timed[name].get("count"), timed[name].get("p50_ms"),
                 timed[name].get("p95_ms")]
                for name, label in (("answer_first_time", "/answer, first time"),
                                    ("answer", "/answer"), ("context", "/context"))]))
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.answers", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True, help="a built index")
    parser.add_argument("--answerable", type=int, default=300)
    parser.add_argument("--unanswerable", type=int, default=300)
    parser.add_argument("--latency-queries", type=int, default=40)
    parser.add_argument("--max-seconds", type=float, default=300)
    parser.add_argument("--http", action="store_true", help="also time the real server")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args(argv)
    results = run_answers_benchmark(
        args.index, answerable=args.answerable, unanswerable=args.unanswerable,
        latency_queries=args.latency_queries, max_seconds=args.max_seconds, http=args.http)
    print(render_answers(results))
    if args.out:
        write_json(args.out, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
