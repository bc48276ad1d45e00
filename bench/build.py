"""Build benchmark: the sources parsed on their own, a cold build with an empty embedding
cache, a no-op rebuild, a forced one."""

from __future__ import annotations

import time
from pathlib import Path, PurePosixPath

from indexer.corpus import CorpusInput
from indexer.embedding import EmbedderSpec
from indexer.pipeline.build import build_index
from indexer.pipeline.report import BuildReport
from indexer.sources import CorpusParser, resolve_inputs
from indexer.store.keyword import KEYWORD_DIR
from indexer.store.layout import DATABASE_FILE, read_manifest, resolve_build
from indexer.store.manifest import MANIFEST_FILE
from indexer.store.vectors import EXACT_FILE, VECTORS_FILE


def index_sizes(index_dir: Path) -> dict:
    """Bytes on disk of the current build (all its segments), and per chunk."""
    build = resolve_build(index_dir)
    manifest = read_manifest(index_dir)
    files = {p.relative_to(build).as_posix(): p.stat().st_size
             for p in build.rglob("*") if p.is_file()}

    def total_of(named) -> int:  # over every segment
        return sum(n for name, n in files.items() if named(PurePosixPath(name)))

    total = sum(files.values())
    chunks = manifest.counts.chunks
    faiss_bytes = total_of(lambda p: p.name == VECTORS_FILE)
    return {
        "build": str(build),
        "contributions": manifest.counts.contributions,
        "chunks": chunks,
        "segments": len(manifest.segments),
        "files": files,
        "faiss_bytes": faiss_bytes,
        "exact_vectors_bytes": total_of(lambda p: p.name == EXACT_FILE),
        "sqlite_bytes": total_of(lambda p: p.name == DATABASE_FILE),
        "keyword_bytes": total_of(lambda p: KEYWORD_DIR in p.parts),
        "manifest_bytes": files.get(MANIFEST_FILE, 0),
        "total_bytes": total,
        "bytes_per_chunk": total / chunks if chunks else None,
        "faiss_bytes_per_chunk": faiss_bytes / chunks if chunks else None,
    }


def _rate(count: int, seconds: float | None) -> float | None:
    return count / seconds if seconds else None


def _report(report: BuildReport, wall: float) -> dict:
    return {
        "up_to_date": report.up_to_date,
        "contributions": report.contributions,
        "chunks": report.chunks,
        "embedded": report.embedded,
        "reused": report.reused,
        "files": report.files,
        "issues": len(report.issues),
        "seconds": {**report.seconds, "wall": wall},
    }


def time_parse(inputs: list[CorpusInput]) -> dict:
    """Every source file parsed, nothing chunked or embedded: what reading the sources costs
    (the tests check what parsing gives, this measures how long it takes). Each corpus's
    lookups (members, parties) are loaded once first, timed apart."""
    lookups_s = parse_s = 0.0
    files = contributions = issues = 0
    for corpus in inputs:
        started = time.perf_counter()
        parser = CorpusParser(corpus)
        loaded = time.perf_counter()
        for path in corpus.files:
            found, problems = parser.parse(path)
            contributions += len(found)
            issues += len(problems)
        lookups_s += loaded - started
        parse_s += time.perf_counter() - loaded
        files += len(corpus.files)
    return {"files": files, "contributions": contributions, "issues": issues,
            "lookups_seconds": lookups_s, "seconds": parse_s,
            "contributions_per_s": _rate(contributions, parse_s)}


def _timed_build(inputs, index_dir: Path, embedder, vector_cache: Path, *,
                 force: bool = False) -> dict:
    started = time.perf_counter()
    report = build_index(inputs, index_dir, embedder, force=force, cache_dir=vector_cache)
    return _report(report, time.perf_counter() - started)


def run_build_benchmark(corpus: Path, index_dir: Path, cache_dir: Path) -> dict:
    """Build `corpus` into the empty folder `index_dir` three times (cold, again, forced),
    then into a folder beside it, all with an embedding cache that starts empty."""
    vector_cache, elsewhere_dir = index_dir.parent / "vector-cache", index_dir.parent / "elsewhere"
    for folder in (index_dir, vector_cache, elsewhere_dir):
        if folder.exists() and any(folder.iterdir()):
            raise ValueError(f"{folder} is not empty; the cold build needs empty folders")
    started = time.perf_counter()
    inputs = resolve_inputs([corpus], cache_dir)
    resolve_s = time.perf_counter() - started
    input_bytes = sum(p.stat().st_size for c in inputs for p in c.files)
    parse = time_parse(inputs)
    print(f"Parsed {parse['contributions']:,} contributions of {parse['files']} files in "
          f"{parse['seconds']:.2f} s (lookups loaded in {parse['lookups_seconds']:.2f} s)",
          flush=True)

    embedder = EmbedderSpec(cache_dir=cache_dir).open()
    started = time.perf_counter()
    embedder.embed(["warm-up"])  # load the model now: chunking time is not its start-up
    model_load_s = time.perf_counter() - started

    print("Cold build (empty embedding cache):", flush=True)
    cold = _timed_build(inputs, index_dir, embedder, vector_cache)
    print("Second build of the same inputs (expect: up to date):", flush=True)
    again = _timed_build(inputs, index_dir, embedder, vector_cache)
    print("Forced rebuild (expect: every vector reused):", flush=True)
    forced = _timed_build(inputs, index_dir, embedder, vector_cache, force=True)
    print("The same inputs in another folder (expect: every vector reused):", flush=True)
    elsewhere = _timed_build(inputs, elsewhere_dir, embedder, vector_cache)

    seconds = cold["seconds"]
    warnings = []
    if not again["up_to_date"]:
        warnings.append("the second build of unchanged inputs was not 'up to date'")
    for name, build in (("forced rebuild", forced), ("build in another folder", elsewhere)):
        if build["embedded"] or build["reused"] != build["chunks"]:
            warnings.append(
                f"the {name} embedded {build['embedded']} texts and reused "
                f"{build['reused']} of {build['chunks']} chunks; expected 0 and all"
            )
    if cold["reused"]:
        warnings.append(f"the cold build reused {cold['reused']} vectors; the cache was not empty")
    return {
        "corpus": str(corpus),
        "files": sum(len(c.files) for c in inputs),
        "input_bytes": input_bytes,
        "resolve_seconds": resolve_s,
        "parse": parse,
        "model_load_seconds": model_load_s,
        "cold": cold,
        "rates": {
            "import_contributions_per_s": _rate(cold["contributions"], seconds.get("import")),
            "import_mb_per_s": _rate(input_bytes / 1e6, seconds.get("import")),
            "chunk_contributions_per_s": _rate(cold["contributions"], seconds.get("chunk")),
            "embed_chunks_per_s": _rate(cold["embedded"], seconds.get("embed")),
        },
        "up_to_date": again,
        "forced": forced,
        "elsewhere": elsewhere,
        "warnings": warnings,
    }
