"""The index at archive scale: synthetic indexes of 10k, 100k and 1M chunks made from the real
default corpus, measured as `make bench` measures the real one.

    python -m bench.scale --chunks N [--base DIR] [--out DIR]

How an index of N chunks is made, without embedding N texts: the real default corpus index
(`--base`, built if missing) is copied over and over until there are N chunks. Copy k of a
contribution keeps its text, speaker and attribution, gets the id "<id>~k" (its debate
"<debate id>~k"), and is dated k weeks after the original, so dates spread over the years
like an archive's; each of its chunks keeps the chunk's span, and its vector is the real
chunk vector plus Gaussian noise (sigma 0.02 a dimension: cosine about 0.93 to the original),
normalised. Each copy is one synthetic source file, streamed into segments by the store's own
SegmentWriter as a build streams files, so the index is what a real build of that size would
be, minus the embedding.

Reported per size (scale.json, `--out`): build seconds (generation and writing, no
embedding) and peak build RSS (the build runs in a child process), disk bytes per chunk,
recall@10 of dense search against exact search, in-process and HTTP /search latency for
hybrid, dense, keyword and two filters (about 30% and about 0.1% of the contributions), and
the server's peak RSS; for the largest size, the time to add a real sitting day
(`debate-search index --add`, embedded for real with an empty vector cache). The largest
index is left at OUT/index.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import httpx
import numpy as np

from bench import DEFAULT_CORPUS, RESULTS, ROOT
from bench.latency import stage_percentiles, summarize
from bench.queries import build_query_set
from bench.report import stages_table, table, write_json
from bench.server import Server
from search_api.engine.browsing import FIELD_FACETS, Browsing
from search_api.engine.stages import parse_server_timing

SIZES = (10_000, 100_000, 1_000_000)
NOISE = 0.02
QUERIES = 100
VARIANTS = ("hybrid", "dense", "keyword", "filter_30pct", "filter_0_1pct", "filter_party",
            "facets", "facets_speaker", "debate")


def synthesize(base: Path, chunks: int, out: Path, seed: int = 0) -> dict:
    """Write a synthetic index of `chunks` chunks from the index at `base` into `out`, a
    copy at a time (one synthetic source file each), as a build streams files."""
    from indexer.contribution import Contribution, Kind
    from indexer.pipeline.updates import new_segment_id
    from indexer.pipeline.writing import keyword_text
    from indexer.store.integrity import file_digests
    from indexer.store.layout import SEGMENTS_DIR, build_lock, publish, read_manifest
    from indexer.store.manifest import CorpusEntry, Manifest, write_manifest_file
    from indexer.store.merging import MERGE_POLICY
    from indexer.store.reader import IndexReader
    from indexer.store.records import SearchFilters
    from indexer.store.writer import SegmentWriter, SourceFile, parsed_file_rows
    from indexer.text.chunking import Chunk

    started = time.perf_counter()
    reader = IndexReader(base)
    templates = list(reader.records(SearchFilters()))
    by_number = reader.chunks_of(range(1, len(templates) + 1))
    spans = [by_number[n] for n in range(1, len(templates) + 1)]
    exact = reader.chunk_vectors(np.arange(reader.chunk_count))
    exact_below = reader.manifest.exact_below
    rng = np.random.default_rng(seed)

    def copies():
        """FileRows of copy 0, 1, ... until `chunks` chunks."""
        written, copy = 0, 0
        while written < chunks:
            contributions, tokens, own_chunks, rows = [], [], [], []
            for record, record_spans in zip(templates, spans, strict=True):
                if written >= chunks:
                    break
                c = _copy(record, copy, Contribution, Kind)
                contributions.append(c)
                tokens.append((record.tokens_cl100k, record.tokens_o200k))
                taken = record_spans[: chunks - written]
                # Only the spans are written; the "embedded text" just has to be unique.
                own_chunks.append([Chunk(c.id, sp.ordinal, sp.start, sp.end, "",
                                         f"{c.id}#{sp.ordinal}", 0, 0, 0) for sp in taken])
                rows += [sp.id for sp in taken]
                written += len(taken)
            matrix = exact[np.array(rows)]
            matrix += NOISE * rng.standard_normal(matrix.shape, dtype=np.float32)
            matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
            file = SourceFile(SYNTHETIC, f"copy-{copy:05d}", "synthetic")
            # No sentences: this index is for /search (sentences serve /answer's quotes).
            yield parsed_file_rows(file, contributions, tokens, own_chunks, matrix, [], [],
                                   [[] for _ in contributions])
            copy += 1

    def write(folder: Path, build_id: str) -> None:
        segments, writer = [], None
        for rows in copies():
            if writer and writer.chunk_count + rows.chunk_count > MERGE_POLICY.segment_chunks:
                segments.append(writer.finish())
                writer = None
            writer = writer or SegmentWriter(
                folder / SEGMENTS_DIR / new_segment_id(), exact.shape[1],
                keyword_text if reader.manifest.chunking["context"] else None, exact_below)
            writer.add(rows)
        segments.append(writer.finish())
        base_manifest = reader.manifest
        write_manifest_file(folder, Manifest.of_segments(
            tuple(segments), build_id=build_id, created_at=base_manifest.created_at,
            input_fingerprint=None, settings=base_manifest.settings, model=base_manifest.model,
            chunking=base_manifest.chunking, exact_below=exact_below, corpus_issues=(),
            corpora=(CorpusEntry(SYNTHETIC, "Synthetic copies of the default corpus",
                                 "synthetic", None, "", None, 0, "", {}),),
            built_with=base_manifest.built_with,
            files=file_digests(folder)))  # this build's own, as a real build records

    out.mkdir(parents=True, exist_ok=True)
    with build_lock(out):
        publish(out, write)
    counts = asdict(read_manifest(out).counts)  # (opening the index would measure a server)
    return {**counts, "build_seconds": time.perf_counter() - started,
            "build_peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


SYNTHETIC = "scale-synthetic"  # the corpus the synthetic copies' files belong to


def _copy(record, copy: int, Contribution, Kind):
    shift = dt.timedelta(weeks=copy)
    date = (dt.date.fromisoformat(record.date) + shift).isoformat() if record.date else ""
    suffix = f"~{copy}"  # every copy's ids differ from the real ones (a real day may be added)
    d = record.debate
    return Contribution(
        id=record.id + suffix, corpus=record.corpus, parliament=record.parliament,
        kind=Kind(record.kind), house=record.house, date=date, text=record.text,
        speaker=record.speaker, debate_id=d.id + suffix, debate_title=d.title,
        major_heading=d.major_heading, minor_heading=d.minor_heading, position=d.position,
        time=record.time, column=record.column, source_url=record.source_url,
        source_file=record.source_file,
    )


# Measuring ---------------------------------------------------------------------------------


def filters_for(reader, fraction: float) -> tuple[dict, float]:
    """Filters passing about `fraction` of the contributions: a range of sitting days, or for
    small fractions one day in one house (of one kind); (filters, the fraction they pass)."""
    from indexer.store.records import SearchFilters

    dates = reader.facets.columns["date"]
    counts = np.bincount(dates.codes[dates.codes >= 0], minlength=len(dates.vocabulary))
    share = np.cumsum(counts) / reader.contribution_count
    last = min(int(np.searchsorted(share, fraction)), len(share) - 1)
    candidates = [{"date_from": dates.vocabulary[0], "date_to": dates.vocabulary[last]}]
    step = max(1, len(dates.vocabulary) // 50)
    values = reader.values()
    candidates += [{"date_from": day, "date_to": day, "house": house, **({"kind": kind} if kind
                                                                         else {})}
                   for day in dates.vocabulary[::step] for house in values.houses
                   for kind in (None, *values.kinds)]
    shares = [(reader.passing(SearchFilters(**f)).mean(), f) for f in candidates]
    best = min(((abs(share - fraction), f) for share, f in shares if share > 0),
               key=lambda item: item[0])[1]
    return best, float(reader.passing(SearchFilters(**best)).mean())


def party_filter(reader) -> tuple[dict, float]:
    """The filter on the party with most contributions (Labour, in the default corpus: about
    30%, spread evenly over every segment, unlike a range of dates); (filter, its share)."""
    from indexer.store.records import SearchFilters

    party = reader.facets.columns["party"]
    counts = np.bincount(party.codes[party.codes >= 0], minlength=len(party.vocabulary))
    chosen = {"party": party.vocabulary[int(np.argmax(counts))]}
    return chosen, float(reader.passing(SearchFilters(**chosen)).mean())


def recall_at_10(index, store, queries: list[str], vectors: np.ndarray) -> float:
    """Dense search's top ten contributions against exact search's (the index's `store`, an
    IndexReader, read directly), over all queries."""
    from search_api.engine.ranking import RetrievalConfig

    exact = store.chunk_vectors(np.arange(store.chunk_count))
    owner = store.chunk_owner
    found = 0
    for query, vector in zip(queries, vectors, strict=True):
        scores = exact @ vector
        best: dict[int, float] = {}
        for chunk in np.argsort(-scores)[:2000]:
            best.setdefault(int(owner[chunk]), float(scores[chunk]))
            if len(best) == 10:
                break
        truth = set(store.ids(list(best)).values())
        got = {i for i, _ in index.rank(query, 10, None, RetrievalConfig(mode="dense"), vector)}
        found += len(truth & got)
    return found / (10 * len(queries))


def latency_in_process(index, queries: list[str], filters: dict) -> dict:
    from indexer.store.records import SearchFilters
    calls = {
        "hybrid": lambda q: index.search(q, k=10),
        "dense": lambda q: index.search(q, k=10, mode="dense"),
        "keyword": lambda q: index.search(q, k=10, mode="keyword"),
        "filter_30pct": lambda q: index.search(q, k=10, filters=SearchFilters(**filters["30"])),
        "filter_0_1pct": lambda q: index.search(q, k=10,
                                                filters=SearchFilters(**filters["0.1"])),
        "filter_party": lambda q: index.search(q, k=10,
                                               filters=SearchFilters(**filters["party"])),
        "facets": lambda q: index.search(q, k=10, browsing=Browsing(facets=FIELD_FACETS)),
        "facets_speaker": lambda q: index.search(q, k=10, browsing=Browsing(facets="speaker")),
    }
    results = {}
    opened = _debates_of(lambda q: index.search(q, k=1).hits[0].contribution, queries)
    for name, call in calls.items():
        for query in queries[:5]:
            call(query)  # warm up
        times, stages = [], []
        for query in queries:
            started = time.perf_counter()
            stages.append(call(query).stages_ms)
            times.append(time.perf_counter() - started)
        results[name] = {**_percentiles(times), "stages_ms": stage_percentiles(stages)}
    results["debate"] = _timed(lambda q: index.debate(*opened[q]), queries)
    return results


def _debates_of(top, queries: list[str]) -> dict[str, tuple[str, int, int, str]]:
    """For each query, its best hit's debate opened at it (a debate page's arguments: id,
    offset, limit, around)."""
    found = {}
    for query in queries:
        record = top(query)
        found[query] = (record.debate.id, 0, 50, record.id)
    return found


def _timed(call, queries: list[str]) -> dict:
    """Percentiles of `call` over the queries, after five calls to warm up."""
    for query in queries[:5]:
        call(query)
    times = []
    for query in queries:
        started = time.perf_counter()
        call(query)
        times.append(time.perf_counter() - started)
    return _percentiles(times)


def latency_http(base_url: str, queries: list[str], filters: dict) -> dict:
    params = {"hybrid": {}, "dense": {"mode": "dense"}, "keyword": {"mode": "keyword"},
              "filter_30pct": filters["30"], "filter_0_1pct": filters["0.1"],
              "filter_party": filters["party"],
              "facets": {"facets": ",".join(FIELD_FACETS)},
              "facets_speaker": {"facets": "speaker"}}
    results = {}
    with httpx.Client(base_url=base_url, timeout=120) as client:
        for name, extra in params.items():
            for query in queries[:5]:
                client.get("/search", params={"q": query, "k": 10, **extra})
            times, stages = [], []
            for query in queries:
                started = time.perf_counter()
                response = client.get("/search", params={"q": query, "k": 10, **extra})
                times.append(time.perf_counter() - started)
                response.raise_for_status()
                stages.append(parse_server_timing(response.headers.get("server-timing", "")))
            results[name] = {**_percentiles(times), "stages_ms": stage_percentiles(stages)}
        tops = {q: client.get("/search", params={"q": q, "k": 1}).json()["results"][0]
                for q in queries}

        def debate(query: str) -> None:
            top = tops[query]
            client.get(f"/debates/{top['debate']['id']}",
                       params={"around": top["id"]}).raise_for_status()

        results["debate"] = _timed(debate, queries)
    return results


def _percentiles(times: list[float]) -> dict:
    s = summarize(times)
    return {"p50": s["p50_ms"], "p95": s["p95_ms"], "p99": s["p99_ms"]}


def measure_size(base: Path, chunks: int, work: Path) -> dict:
    import torch

    from indexer.store.reader import IndexReader
    from search_api.engine.search_index import SearchIndex
    from search_api.settings import Settings

    index_dir = work / f"index-{chunks}"
    shutil.rmtree(index_dir, ignore_errors=True)
    print(f"Building a synthetic index of {chunks:,} chunks ...", flush=True)
    done = subprocess.run([sys.executable, "-m", "bench.scale", "--build-one", str(chunks),
                           "--base", str(base), "--out", str(index_dir)],
                          capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        raise RuntimeError(f"the synthetic build failed:\n{done.stderr[-3000:]}")
    built = json.loads(done.stdout.strip().splitlines()[-1])
    disk = sum(p.stat().st_size for p in index_dir.rglob("*") if p.is_file())
    torch.set_num_threads(1)  # as the server runs: one thread a query
    index = SearchIndex(index_dir, spec=Settings().embedder_spec())  # env picks the backend
    queries = build_query_set(base, QUERIES)
    vectors = index.embedder.embed(queries)
    filters = {}
    reader = IndexReader(index_dir)  # the store itself, for what only it tells
    for name, fraction in (("30", 0.30), ("0.1", 0.001)):
        filters[name], filters[f"{name}_passes"] = filters_for(reader, fraction)
    filters["party"], filters["party_passes"] = party_filter(reader)
    print("  recall and in-process latency ...", flush=True)
    recall = recall_at_10(index, reader, queries, vectors)
    reader.close()
    del reader
    result = {
        **built,
        "disk_bytes_per_chunk": disk / chunks,
        "recall_at_10": recall,
        "filters": filters,
        "inprocess_ms": latency_in_process(index, queries, filters),
    }
    del index
    print("  HTTP latency ...", flush=True)
    with Server(index_dir, work / f"server-{chunks}.log") as server:
        result["http_ms"] = latency_http(server.base_url, queries, filters)
        result["server_rss_mib"] = server.peak_rss_bytes() / 2**20
        result["server_startup_seconds"] = server.startup_seconds
    return result


# A sitting day of the default corpus: every file of 28 October 2009 (Commons, Lords,
# Westminster Hall, statements, written answers; about 2,600 chunks).
DAY = "2009-10-28"


def add_day(index_dir: Path, work: Path) -> dict:
    """Add a real sitting day to the index at `index_dir` (`debate-search index --add`),
    embedding it for real (an empty vector cache); its build report, timed in a child
    process from start to publication, the model's loading included."""
    from indexer.corpus import load_manifest

    manifest = load_manifest(DEFAULT_CORPUS)
    files = [str(manifest.mirror / f.path) for f in manifest.files if DAY in f.path]
    cache = work / "add-day-cache"
    shutil.rmtree(cache, ignore_errors=True)
    print(f"  adding {DAY} ({len(files)} files) ...", flush=True)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "search_api.interfaces.cli", "index", "--out", str(index_dir),
         "--add", "--json", *files], capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, "DEBATE_SEARCH_CACHE_DIR": str(cache)})
    if done.returncode:
        raise RuntimeError(f"adding a day failed:\n{done.stderr[-3000:]}")
    report = json.loads(done.stdout)
    shutil.rmtree(cache, ignore_errors=True)
    return {"wall_seconds": time.perf_counter() - started, **report}


def ensure_base(base: Path) -> Path:
    """The real default corpus index to copy from, built (as `make index` would) if missing."""
    from indexer.errors import DebateSearchError
    from indexer.store.reader import IndexReader

    try:
        IndexReader(base)
        return base
    except DebateSearchError:
        from indexer.embedding.torch_backend import SentenceTransformerEmbedder
        from indexer.pipeline.build import build_index
        from indexer.sources import resolve_inputs
        from search_api.settings import Settings

        settings = Settings()
        inputs = resolve_inputs([DEFAULT_CORPUS], settings.cache_dir)
        build_index(inputs, base, SentenceTransformerEmbedder(), cache_dir=settings.cache_dir)
        return base


def _cell(ms: dict | None) -> str:
    """p50 / p95 / p99 ms (a row measured before its variant was: a dash)."""
    return f"{ms['p50']:.0f} / {ms['p95']:.0f} / {ms['p99']:.0f}" if ms else "–"


def render(sizes: list[dict]) -> str:
    rows = [[f"{s['chunks']:,}", s["build_seconds"], s["build_peak_rss_mib"],
             s["disk_bytes_per_chunk"], s["server_rss_mib"], s["recall_at_10"]] for s in sizes]
    parts = [table("Synthetic indexes (python -m bench.scale)",
                   ["chunks", "build s", "build RSS MiB", "disk B/chunk", "server RSS MiB",
                    "recall@10"], rows)]
    for where in ("inprocess_ms", "http_ms"):
        parts.append(table(
            f"/search {'in-process' if where == 'inprocess_ms' else 'over HTTP'}, k=10 (debate: "
            "/debates/{id} at the top hit): "
            "p50 / p95 / p99 ms",
            ["chunks", *VARIANTS],
            [[f"{s['chunks']:,}", *(_cell(s[where].get(v)) for v in VARIANTS)]
             for s in sizes]))
    largest = sizes[-1]
    for where, how in (("inprocess_ms", "in-process"),
                       ("http_ms", "over HTTP (the Server-Timing header)")):
        parts.append(stages_table(
            f"{largest['chunks']:,} chunks, {how}",
            {v: largest[where][v]["stages_ms"] for v in VARIANTS
             if "stages_ms" in largest[where].get(v, {})}))
    parts.append("Every facet (party, house, kind, parliament, date) against a plain hybrid "
                 "search, p95: " + "; ".join(
                     f"{s['chunks']:,} chunks {s[w]['facets']['p95'] / s[w]['hybrid']['p95']:.2f}x "
                     f"{'in-process' if w == 'inprocess_ms' else 'HTTP'}"
                     for s in sizes for w in ("inprocess_ms", "http_ms")))
    parts.append("The speaker facet against a plain hybrid search, p95: " + "; ".join(
        f"{s['chunks']:,} chunks "
        f"{s[w]['facets_speaker']['p95'] / s[w]['hybrid']['p95']:.2f}x "
        f"{'in-process' if w == 'inprocess_ms' else 'HTTP'}"
        for s in sizes for w in ("inprocess_ms", "http_ms") if "facets_speaker" in s[w]))
    day = sizes[-1].get("add_day")
    if day:
        parts.append(
            f"Adding a sitting day ({DAY}) to the {sizes[-1]['chunks']:,}-chunk index: "
            f"{day['wall_seconds']:.0f} s ({day['chunks'] - sizes[-1]['chunks']:,} chunks, "
            f"{day['embedded']:,} embedded; files parsed {day['files']['parsed']}, "
            f"kept {day['files']['kept']}, rewritten {day['files']['copied']}; "
            f"segments kept {day['segments']['kept']}, written {day['segments']['written']})")
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=SIZES[-1],
                        help="the largest size; every size of 10k, 100k, 1M up to it is run")
    parser.add_argument("--base", type=Path, default=RESULTS / "scale" / "base",
                        help="an index of the real default corpus (built if missing)")
    parser.add_argument("--out", type=Path, default=RESULTS / "scale")
    parser.add_argument("--build-one", type=int, help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args(argv)
    if args.build_one:
        print(json.dumps(synthesize(args.base, args.build_one, args.out)))
        return 0
    base = ensure_base(args.base)
    args.out.mkdir(parents=True, exist_ok=True)
    sizes = [s for s in SIZES if s < args.chunks] + [args.chunks]
    results = {"sizes": [measure_size(base, size, args.out) for size in sizes]}
    largest = results["sizes"][-1]
    largest["add_day"] = add_day(args.out / f"index-{sizes[-1]}", args.out)
    largest["add_day_seconds"] = largest["add_day"]["wall_seconds"]
    largest = args.out / f"index-{sizes[-1]}"
    for size in sizes[:-1]:
        shutil.rmtree(args.out / f"index-{size}", ignore_errors=True)
    shutil.rmtree(args.out / "index", ignore_errors=True)
    largest.rename(args.out / "index")
    write_json(args.out / "scale.json", results)
    print(render(results["sizes"]))
    print(f"\nWritten {args.out / 'scale.json'}; the largest index is at {args.out / 'index'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
