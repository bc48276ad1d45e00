"""The pipeline: sources -> contributions -> chunks -> vectors -> store."""

from __future__ import annotations

import hashlib
import json
import platform
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from indexer.chunking import Chunk, ChunkingParams
from indexer.contribution import Contribution, ParseIssue
from indexer.corpus import CorpusInput, sha256_file
from indexer.embedding import Embedder
from indexer.errors import IndexFormatError, IndexNotFound, UpdateError
from indexer.sentences import sentence_spans
from indexer.sources import corpus_defaults, members_files, parser_version
from indexer.store.integrity import file_digests, verify_build
from indexer.store.layout import (
    FORMAT_VERSION,
    MANIFEST_FILE,
    SEGMENTS_DIR,
    build_lock,
    publish,
    read_manifest,
)
from indexer.store.reader import stored_vectors
from indexer.store.vector_cache import open_vector_cache
from indexer.store.vectors import EXACT_BELOW, EXACT_FILE, ExactVectors
from indexer.store.writer import (
    FileRows,
    SegmentWriter,
    SourceFile,
    contribution_ids_among,
    link_segment,
    parsed_file_rows,
    stored_file_rows,
    text_hash,
)
from indexer.updates import (
    SEGMENT_CHUNKS,
    ParsedFile,
    Previous,
    StoredFile,
    Unit,
    UpdatePlan,
    lookups_digest,
    new_segment_id,
    plan_update,
    previous_build,
    wanted_files,
)
from indexer.workers import LocalWorkers, PreparedFile, Workers

EMBED_BATCH = 256
EMBED_WINDOW = 4096  # chunks read before their vectors are looked up or computed, and written


@dataclass
class BuildReport:
    """What a build did, for people and for benchmarks."""

    index_dir: str
    up_to_date: bool = False
    contributions: int = 0
    chunks: int = 0
    embedded: int = 0  # distinct chunk texts whose vectors were computed
    reused: int = 0  # chunks whose vectors were not computed: cache, previous build, segments
    sentences: int = 0  # sentences with a vector (answers quote the best of them)
    sentences_embedded: int = 0  # distinct sentence texts whose vectors were computed
    files: dict[str, int] = field(default_factory=dict)  # parsed, kept, copied, removed
    segments: dict[str, int] = field(default_factory=dict)  # kept, written
    embedder: dict[str, str] = field(default_factory=dict)  # backend, device (and workers)
    issues: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict:
        """The report as `debate-search index --json` prints it."""
        return asdict(self)

    def _embedded_by(self) -> str:
        if not (self.embedded or self.sentences_embedded) or not self.embedder:
            return ""
        by = f" by {self.embedder['backend']} on {self.embedder['device']}"
        return by + (f", {self.embedder['workers']}" if "workers" in self.embedder else "")

    def summary(self) -> str:
        if self.up_to_date:
            return f"Index at {self.index_dir} is up to date; nothing to do."
        lines = [
            f"Indexed {self.contributions:,} contributions as {self.chunks:,} chunks "
            f"({self.embedded:,} embedded{self._embedded_by()}, {self.reused:,} reused) and "
            f"{self.sentences:,} sentences ({self.sentences_embedded:,} embedded) in "
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
        entry = {
            "name": corpus.name,
            "format": corpus.format,
            "parser_version": parser_version(corpus.format),
            "manifest": str(corpus.manifest.manifest_path) if corpus.manifest else None,
            "files": {p.relative_to(corpus.root).as_posix(): sha256_file(p) for p in paths},
        }
        if defaults := corpus_defaults(corpus):  # the house and parliament a manifest states
            entry["defaults"] = defaults
        corpora.append(entry)
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
    add: bool = False,
    progress: bool = True,
    cache_dir: Path | None = None,
    exact_below: int = EXACT_BELOW,
    workers: Workers | None = None,
) -> BuildReport:
    """Build or update the index at `index_dir` so that it holds `inputs`.

    Only what changed is parsed, chunked, embedded and written: source files new or changed
    since the current build go into new segments; the segments of unchanged files are kept
    as they are; a segment that lost files (removed or changed) is written again from its
    stored rows, without them (updates.py decides). With `add`, files the index holds that
    `inputs` do not name are kept rather than removed. `force` rebuilds everything. Nothing
    already embedded is embedded again: vectors come from the vector cache under `cache_dir`
    (shared by every index of the machine; none if None) or the previous build. From
    `exact_below` chunks up, a segment's vector index is approximate. `workers` parse, chunk
    and embed (default: this process; distributed.RayWorkers: a Ray cluster's).
    """
    params = params or ChunkingParams()
    index_dir = Path(index_dir)
    workers = workers or LocalWorkers(embedder, params)
    report = BuildReport(index_dir=str(index_dir),
                         embedder=embedded_with(embedder) | workers.description)
    started = time.perf_counter()
    with build_lock(index_dir):
        fingerprint = input_fingerprint(inputs, embedder, params, exact_below)
        if not force and not add and is_up_to_date(index_dir, fingerprint):
            report.up_to_date = True
            return report
        settings = build_settings(embedder, params, exact_below)
        previous = None if force else previous_build(index_dir, settings)
        if add and previous is None:
            _check_nothing_to_lose(index_dir, force)
        corpora = _corpora(inputs, fingerprint, previous if add else None)
        plan = plan_update(previous, wanted_files(inputs, corpora, previous if add else None))
        if previous and plan.unchanged():
            report.up_to_date = True
            return report
        writer = _BuildWriter(plan, embedder, workers, params, exact_below, index_dir,
                              cache_dir, report, progress)

        def write(folder: Path, build_id: str) -> None:
            segments = writer.write(folder)
            manifest = _manifest(embedder, params, settings, fingerprint, corpora, segments,
                                 inputs, exact_below, None if add else fingerprint["digest"])
            t = time.perf_counter()
            # Kept segments' files keep the checksums they were written with, so that the
            # check below finds one damaged since, rather than publishing it again.
            files = file_digests(folder, previous.manifest.get("files") if previous else None)
            (folder / MANIFEST_FILE).write_text(json.dumps(
                {"format_version": FORMAT_VERSION, "build_id": build_id, **manifest,
                 "files": files}, indent=2))
            verify_build(folder, name=f"the new build of {index_dir} (not published)")
            report.seconds["check"] = time.perf_counter() - t

        publish(index_dir, write)
    report.issues = [str(i) for corpus in inputs for i in corpus.issues] + report.issues
    report.seconds["total"] = time.perf_counter() - started
    return report


def _check_nothing_to_lose(index_dir: Path, force: bool) -> None:
    """An `add` keeps what the index holds: it cannot start over (`force`, or settings other
    than the index's) without losing the files it is not given."""
    try:
        read_manifest(index_dir)
    except IndexNotFound:
        return  # nothing there: an add is a first build
    except IndexFormatError as exc:
        why = str(exc)
    else:
        why = ("--force rebuilds from the inputs alone" if force else
               "the index was built with another model, chunking or vector settings")
    raise UpdateError(f"cannot add to the index at {index_dir}: {why}; rebuild it from all "
                      "its sources without --add")


class _BuildWriter:
    """Carries out a plan: keeps segments, writes new ones from stored and parsed files, in
    windows of EMBED_WINDOW chunks so that memory stays bounded."""

    def __init__(self, plan: UpdatePlan, embedder: Embedder, workers: Workers,
                 params: ChunkingParams, exact_below: int, index_dir: Path,
                 cache_dir: Path | None, report: BuildReport, progress: bool):
        self.plan, self.embedder, self.workers, self.params = plan, embedder, workers, params
        self.exact_below, self.index_dir, self.cache_dir = exact_below, index_dir, cache_dir
        self.report, self.progress = report, progress

    def write(self, folder: Path) -> list[dict]:
        """Write the build's segments under `folder`; returns their summaries, in order."""
        plan, report = self.plan, self.report
        self.root = folder / SEGMENTS_DIR
        self.root.mkdir()
        self.done: list[dict] = []
        t = time.perf_counter()
        for segment in plan.kept:
            link_segment(plan.previous / SEGMENTS_DIR / segment["id"], self.root / segment["id"])
            self.done.append(segment)
        report.seconds["write"] = time.perf_counter() - t
        self.segment: SegmentWriter | None = None
        window: list[_Pending] = []
        with open_vector_cache(self.cache_dir, self.embedder.fingerprint,
                               self.embedder.dimension) as cache, \
                tqdm(total=len(plan.units), desc="Indexing", unit="file",
                     disable=not self.progress) as bar:
            self.cache = cache
            self.embedding_bar: tqdm | None = None
            try:
                prepared = self.workers.prepared(
                    (u.corpus, u.path) if isinstance(u, ParsedFile) else None for u in plan.units)
                for unit, ready in zip(plan.units, prepared, strict=True):
                    window.append(self._read(unit, ready, window))
                    bar.update()
                    if sum(p.chunk_count for p in window) >= EMBED_WINDOW:
                        self._flush(window)
                        window = []
                self._flush(window)
                if self.segment is not None:
                    self._finish_segment()
            except BaseException:
                if self.segment is not None:
                    self.segment.abandon()
                raise
            finally:
                if self.embedding_bar is not None:
                    self.embedding_bar.close()
        report.contributions = sum(s["contributions"] for s in self.done)
        report.chunks = sum(s["chunks"] for s in self.done)
        report.sentences = sum(s.get("sentences", 0) for s in self.done)
        report.reused = report.chunks - report.embedded
        report.files = {"parsed": plan.parsed, "kept": plan.kept_files,
                        "copied": plan.copied, "removed": plan.removed}
        report.segments = {"kept": len(plan.kept), "written": len(self.done) - len(plan.kept)}
        return self.done

    def _read(self, unit: Unit, prepared: PreparedFile | None, window: list[_Pending]
              ) -> _Pending:
        """A file of the plan, parsed and chunked (`prepared`), or as a segment stores it."""
        t = time.perf_counter()
        if isinstance(unit, StoredFile):
            folder = unit.segment
            rows = stored_file_rows(folder, unit.number, ExactVectors(folder / EXACT_FILE).rows)
            rows = self._without_duplicates(rows, window)
            self.report.seconds["write"] = (self.report.seconds.get("write", 0)
                                            + time.perf_counter() - t)
            return _Pending(rows=rows)
        issues = prepared.issues
        taken = self._taken([c.id for c in prepared.contributions], window)
        kept, seen = [], set()
        for i, c in enumerate(prepared.contributions):
            if c.id in taken or c.id in seen:
                issues.append(ParseIssue(c.source_file or unit.corpus.name, None,
                                         f"duplicate contribution id {c.id}; kept the first"))
                continue
            seen.add(c.id)
            kept.append(i)
        self.report.issues += [str(i) for i in issues]
        for phase, seconds in prepared.seconds.items():  # summed over workers
            self.report.seconds[phase] = self.report.seconds.get(phase, 0) + seconds
        contributions = [prepared.contributions[i] for i in kept]
        return _Pending(file=unit.file, contributions=contributions,
                        chunks=[prepared.chunks[i] for i in kept],
                        tokens=[prepared.tokens[i] for i in kept], issues=issues,
                        sentences=[sentence_spans(c.text) for c in contributions])

    def _taken(self, ids: list[str], window: list[_Pending]) -> set[str]:
        """Which of `ids` an earlier file of this build already holds."""
        taken = {i for pending in window for i in pending.ids() if i in set(ids)}
        for segment in self.done:
            taken |= contribution_ids_among(self.root / segment["id"], ids)
        if self.segment is not None:
            taken |= self.segment.holds(ids)
        return taken

    def _without_duplicates(self, rows: FileRows, window: list[_Pending]) -> FileRows:
        taken = self._taken([row[0] for row in rows.contributions], window)
        return rows.without(taken) if taken else rows

    def _flush(self, window: list[_Pending]) -> None:
        """Embed what the window's parsed files need, then write them all, in order."""
        t = time.perf_counter()
        texts = {text_hash(ch.embed_text): ch.embed_text
                 for p in window if p.rows is None for own in p.chunks for ch in own}
        vectors, embedded = self._vectors(texts)
        self.report.embedded += embedded
        self._add_seconds("embed", t)
        t = time.perf_counter()
        sentences = {text_hash(text): text for p in window if p.rows is None
                     for text in p.sentence_texts()}
        sentence_vectors, embedded = self._vectors(sentences)
        self.report.sentences_embedded += embedded
        self._add_seconds("embed_sentences", t)
        t = time.perf_counter()
        dimension = self.embedder.dimension
        for pending in window:
            rows = pending.rows or parsed_file_rows(
                pending.file, pending.contributions, pending.tokens, pending.chunks,
                np.array([vectors[text_hash(ch.embed_text)] for own in pending.chunks
                          for ch in own], dtype=np.float32).reshape(-1, dimension),
                pending.issues, pending.sentences,
                np.array([sentence_vectors[text_hash(text)] for text in pending.sentence_texts()],
                         dtype=np.float16).reshape(-1, dimension))
            if (self.segment is not None and self.segment.chunk_count
                    and self.segment.chunk_count + rows.chunk_count > SEGMENT_CHUNKS):
                self._finish_segment()
            if self.segment is None:
                self.segment = SegmentWriter(self.root / new_segment_id(), self.embedder.dimension,
                                             self.params.context, self.exact_below)
            self.segment.add(rows)
        self._add_seconds("write", t)

    def _finish_segment(self) -> None:
        t = time.perf_counter()
        self.done.append(self.segment.finish())
        self._add_seconds("write", t)
        self.segment = None

    def _vectors(self, texts: dict[str, str]) -> tuple[dict[str, np.ndarray], int]:
        """Vectors of these texts (by hash): from the cache, the previous build, or embedded
        now, in batches of similar length; and how many were embedded now."""
        known = self.cache.get(list(texts)) if self.cache else {}
        if len(known) < len(texts):  # an index built before the cache was shared
            found = stored_vectors(self.index_dir, self.embedder.fingerprint,
                                   set(texts) - set(known))
            if self.cache:
                self.cache.put(found.items())
            known.update(found)
        missing = sorted(((h, t) for h, t in texts.items() if h not in known),
                         key=lambda item: len(item[1]))
        if missing and self.embedding_bar is None:  # shown once there is something to embed
            self.embedding_bar = tqdm(desc="Embedding", unit="text", disable=not self.progress)
        batches = [missing[start : start + EMBED_BATCH]
                   for start in range(0, len(missing), EMBED_BATCH)]
        for batch, vectors in zip(batches, self.workers.embedded(
                [[text for _, text in batch] for batch in batches]), strict=True):
            embedded = list(zip((h for h, _ in batch), vectors, strict=True))
            known.update(embedded)
            if self.cache:
                self.cache.put(embedded)
            self.embedding_bar.update(len(batch))
        return known, len(missing)

    def _add_seconds(self, phase: str, since: float) -> None:
        self.report.seconds[phase] = (self.report.seconds.get(phase, 0)
                                      + time.perf_counter() - since)


@dataclass
class _Pending:
    """A file read and waiting for its vectors: parsed (contributions, chunks) or stored."""

    rows: FileRows | None = None
    file: SourceFile | None = None
    contributions: list[Contribution] = field(default_factory=list)
    chunks: list[list[Chunk]] = field(default_factory=list)
    tokens: list[tuple[int, int]] = field(default_factory=list)
    issues: list[ParseIssue] = field(default_factory=list)
    sentences: list[list[tuple[int, int]]] = field(default_factory=list)  # spans, per contribution

    def sentence_texts(self) -> list[str]:
        """The text of every sentence of its contributions, in order."""
        return [c.text[start:end] for c, own in zip(self.contributions, self.sentences,
                                                     strict=True) for start, end in own]

    @property
    def chunk_count(self) -> int:
        return self.rows.chunk_count if self.rows else sum(len(own) for own in self.chunks)

    def ids(self) -> list[str]:
        return ([row[0] for row in self.rows.contributions] if self.rows
                else [c.id for c in self.contributions])


def embedded_with(embedder: Embedder) -> dict[str, str]:
    """What computes the vectors: not part of the model's fingerprint (embedding.py says why)."""
    return {"backend": embedder.backend, "device": embedder.device}


def build_settings(embedder: Embedder, params: ChunkingParams, exact_below: int) -> str:
    """What every segment of an index must share: a build with other settings starts over."""
    spec = {"format_version": FORMAT_VERSION, "model": embedder.fingerprint,
            "chunking": asdict(params), "exact_below": exact_below}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


def _corpora(inputs: Sequence[CorpusInput], fingerprint: dict, previous: Previous | None
             ) -> list[dict]:
    """The manifest's corpora: those of `inputs`, after (with `add`) those the previous
    build holds, their files joined."""
    corpora = {c["name"]: c for c in (previous.manifest["corpora"] if previous else [])}
    for corpus, files in zip(inputs, fingerprint["corpora"], strict=True):
        manifest = corpus.manifest
        entry = {
            "name": corpus.name,
            "title": manifest.title if manifest else corpus.name,
            "format": corpus.format,
            "manifest": str(manifest.manifest_path) if manifest else None,
            "root": str(corpus.root),
            "licence": asdict(manifest.licence) if manifest else None,
            "parser_version": files["parser_version"],
            "lookups": lookups_digest(corpus, files["files"]),
            "files": files["files"],
        }
        if corpus.name in corpora and previous:
            entry["files"] = {**corpora[corpus.name]["files"], **entry["files"]}
        corpora[corpus.name] = entry
    return list(corpora.values())


def _manifest(
    embedder: Embedder, params: ChunkingParams, settings: str, fingerprint: dict,
    corpora: list[dict], segments: list[dict], inputs: Sequence[CorpusInput], exact_below: int,
    input_digest: str | None,
) -> dict:
    return {
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "input_fingerprint": input_digest,
        "settings": settings,
        "model": {
            "name": embedder.name,
            "path": str(getattr(embedder, "model_path", "")),
            "fingerprint": embedder.fingerprint,
            "dimension": embedder.dimension,
            "max_tokens": embedder.max_tokens,
            "embedded_with": embedded_with(embedder),  # this build's new vectors
        },
        "chunking": asdict(params),
        "vectors": {"exact_below": exact_below,
                    "search": ("approximate" if any(s.get("search") == "approximate"
                                                    for s in segments) else "exact")},
        "corpora": corpora,
        "corpus_issues": [[i.file, i.line, i.message] for c in inputs for i in c.issues],
        "segments": segments,
        "counts": {
            "contributions": sum(s["contributions"] for s in segments),
            "chunks": sum(s["chunks"] for s in segments),
        },
        "built_with": {"python": platform.python_version()},
    }
