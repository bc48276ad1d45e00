"""The pipeline: sources -> contributions -> chunks -> vectors -> store."""

from __future__ import annotations

import hashlib
import json
import platform
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from indexer.chunking import Chunk, ChunkingParams, chunk_contribution, context_line
from indexer.contribution import Contribution, ParseIssue
from indexer.corpus import CorpusInput, sha256_file
from indexer.embedding import Embedder
from indexer.errors import IndexFormatError, IndexNotFound
from indexer.sources import import_corpus, members_files, parser_version
from indexer.store.layout import FORMAT_VERSION, build_lock, read_manifest
from indexer.store.reader import cached_vectors
from indexer.store.vector_cache import open_vector_cache
from indexer.store.vectors import EXACT_BELOW
from indexer.store.writer import text_hash, write_index
from indexer.tokens import count_tokens

EMBED_BATCH = 256


@dataclass
class BuildReport:
    """What a build did, for people and for benchmarks."""

    index_dir: str
    up_to_date: bool = False
    contributions: int = 0
    chunks: int = 0
    embedded: int = 0  # distinct chunk texts whose vectors were computed
    reused: int = 0  # chunks whose vectors came from the vector cache or the previous build
    issues: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict:
        """The report as `debate-search index --json` prints it."""
        return asdict(self)

    def summary(self) -> str:
        if self.up_to_date:
            return f"Index at {self.index_dir} is up to date; nothing to do."
        lines = [
            f"Indexed {self.contributions:,} contributions as {self.chunks:,} chunks "
            f"({self.embedded:,} embedded, {self.reused:,} reused) in "
            f"{self.seconds.get('total', 0):.1f} s -> {self.index_dir}"
        ]
        if self.issues:
            lines.append(f"Skipped {len(self.issues)} item(s):")
            lines += [f"  {issue}" for issue in self.issues]
        return "\n".join(lines)


def input_fingerprint(
    inputs: Sequence[CorpusInput], embedder: Embedder, params: ChunkingParams,
    exact_below: int = EXACT_BELOW,
) -> dict:
    """Everything a build's output depends on; equal fingerprints mean an equal index."""
    corpora = []
    for corpus in inputs:
        paths = sorted({*corpus.files, *members_files(corpus)})
        corpora.append({
            "name": corpus.name,
            "format": corpus.format,
            "parser_version": parser_version(corpus.format),
            "manifest": str(corpus.manifest.manifest_path) if corpus.manifest else None,
            "files": {p.relative_to(corpus.root).as_posix(): sha256_file(p) for p in paths},
        })
    spec = {
        "format_version": FORMAT_VERSION,
        "model": embedder.fingerprint,
        "chunking": asdict(params),
        "exact_below": exact_below,
        "corpora": corpora,
    }
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()
    return {"digest": digest, "corpora": corpora}


def is_up_to_date(index_dir: Path, fingerprint: dict) -> bool:
    try:
        manifest = read_manifest(index_dir)
    except (IndexNotFound, IndexFormatError):
        return False
    return manifest.get("input_fingerprint") == fingerprint["digest"]


def build_index(
    inputs: Sequence[CorpusInput],
    index_dir: Path,
    embedder: Embedder,
    params: ChunkingParams | None = None,
    *,
    force: bool = False,
    progress: bool = True,
    cache_dir: Path | None = None,
    exact_below: int = EXACT_BELOW,
) -> BuildReport:
    """Build (or refresh) the index at `index_dir` from `inputs`.

    Skips the work when the inputs, model and chunking are unchanged (unless `force`).
    Embeds only the chunk texts that neither the vector cache under `cache_dir` (shared by
    every index of the machine; none if None) nor the previous build holds. From
    `exact_below` chunks up, the vector index is approximate.
    """
    params = params or ChunkingParams()
    index_dir = Path(index_dir)
    report = BuildReport(index_dir=str(index_dir))
    started = time.perf_counter()
    with build_lock(index_dir):
        fingerprint = input_fingerprint(inputs, embedder, params, exact_below)
        if not force and is_up_to_date(index_dir, fingerprint):
            report.up_to_date = True
            return report

        t = time.perf_counter()
        contributions, issues = _import_all(inputs, progress)
        report.seconds["import"] = time.perf_counter() - t

        t = time.perf_counter()
        chunks, tokens = _chunk_all(contributions, embedder, params, progress)
        report.seconds["chunk"] = time.perf_counter() - t

        t = time.perf_counter()
        vectors, report.embedded, report.reused = _embed_all(chunks, embedder, index_dir,
                                                             cache_dir, progress)
        report.seconds["embed"] = time.perf_counter() - t

        t = time.perf_counter()
        manifest = _manifest(inputs, embedder, params, fingerprint, contributions, chunks, issues,
                             exact_below)
        keyword_texts = [f"{context_line(c)}\n{c.text}" if params.context else c.text
                         for c in contributions]
        write_index(index_dir, contributions, tokens, chunks, vectors, issues, manifest,
                    keyword_texts, exact_below)
        report.seconds["write"] = time.perf_counter() - t

    report.contributions, report.chunks = len(contributions), len(chunks)
    report.issues = [str(i) for i in issues]
    report.seconds["total"] = time.perf_counter() - started
    return report


def _import_all(
    inputs: Sequence[CorpusInput], progress: bool
) -> tuple[list[Contribution], list[ParseIssue]]:
    contributions: list[Contribution] = []
    issues: list[ParseIssue] = []
    seen: set[str] = set()
    for corpus in inputs:
        issues.extend(corpus.issues)
        found, problems = import_corpus(corpus, progress=progress)
        issues.extend(problems)
        for c in found:
            if c.id in seen:
                issues.append(ParseIssue(c.source_file or corpus.name, None,
                                         f"duplicate contribution id {c.id}; kept the first"))
                continue
            seen.add(c.id)
            contributions.append(c)
    return contributions, issues


def _chunk_all(
    contributions: Sequence[Contribution], embedder: Embedder, params: ChunkingParams,
    progress: bool,
) -> tuple[list[Chunk], list[tuple[int, int]]]:
    chunks: list[Chunk] = []
    tokens: list[tuple[int, int]] = []
    for c in tqdm(contributions, desc="Chunking", unit="contribution", disable=not progress):
        chunks.extend(chunk_contribution(c, embedder, params))
        tokens.append((count_tokens(c.text, "cl100k_base"), count_tokens(c.text, "o200k_base")))
    return chunks, tokens


def _embed_all(
    chunks: Sequence[Chunk], embedder: Embedder, index_dir: Path, cache_dir: Path | None,
    progress: bool,
) -> tuple[np.ndarray, int, int]:
    """Vectors for all chunks, computing only those that neither the machine's vector cache
    (under `cache_dir`, when given) nor the previous build holds.

    Returns the vectors, the number of distinct texts embedded, and the number of chunks
    whose vector was reused.
    """
    hashes = [text_hash(ch.embed_text) for ch in chunks]
    with open_vector_cache(cache_dir, embedder.fingerprint, embedder.dimension) as shared:
        known = shared.get(hashes) if shared else {}
        if len(known) < len(set(hashes)):  # an index built before the cache was shared
            previous = cached_vectors(index_dir, embedder.fingerprint)
            found = {h: previous[h] for h in hashes if h in previous and h not in known}
            if shared:
                shared.put(found.items())
            known.update(found)
        reused = sum(1 for h in hashes if h in known)
        missing = sorted({h: ch.embed_text for h, ch in zip(hashes, chunks, strict=True)
                          if h not in known}.items(), key=lambda item: len(item[1]))
        with tqdm(total=len(missing), desc="Embedding", unit="chunk",
                  disable=not progress) as bar:
            for start in range(0, len(missing), EMBED_BATCH):
                batch = missing[start : start + EMBED_BATCH]
                embedded = list(zip((h for h, _ in batch),
                                    embedder.embed([text for _, text in batch]), strict=True))
                known.update(embedded)
                if shared:
                    shared.put(embedded)
                bar.update(len(batch))
    matrix = np.zeros((len(chunks), embedder.dimension), dtype=np.float32)
    for i, h in enumerate(hashes):
        matrix[i] = known[h]
    return matrix, len(missing), reused


def _manifest(
    inputs: Sequence[CorpusInput], embedder: Embedder, params: ChunkingParams,
    fingerprint: dict, contributions: Sequence[Contribution], chunks: Sequence[Chunk],
    issues: Sequence[ParseIssue], exact_below: int,
) -> dict:
    corpora = []
    for corpus, files in zip(inputs, fingerprint["corpora"], strict=True):
        manifest = corpus.manifest
        corpora.append({
            "name": corpus.name,
            "title": manifest.title if manifest else corpus.name,
            "format": corpus.format,
            "manifest": str(manifest.manifest_path) if manifest else None,
            "root": str(corpus.root),
            "licence": asdict(manifest.licence) if manifest else None,
            "parser_version": files["parser_version"],
            "files": files["files"],
        })
    return {
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "input_fingerprint": fingerprint["digest"],
        "model": {
            "name": embedder.name,
            "path": str(getattr(embedder, "model_path", "")),
            "fingerprint": embedder.fingerprint,
            "dimension": embedder.dimension,
            "max_tokens": embedder.max_tokens,
        },
        "chunking": asdict(params),
        "vectors": {"exact_below": exact_below,
                    "search": "exact" if len(chunks) < max(exact_below, 1) else "approximate"},
        "corpora": corpora,
        "counts": {
            "contributions": len(contributions),
            "chunks": len(chunks),
            "issues": len(issues),
            "by_kind": dict(Counter(str(c.kind) for c in contributions)),
            "by_house": dict(Counter(c.house for c in contributions)),
        },
        "built_with": {"python": platform.python_version()},
    }
