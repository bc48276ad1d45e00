"""Writing a build's segments as an update plan says: kept segments linked, the rest written
from stored and parsed files, their chunks embedded (or their vectors found) in windows.

Only chunks are embedded. Sentences are stored as spans: an answer embeds the ones it may
quote when it first needs them, into the same vector cache (search_api/engine/
sentence_vectors.py), so a build no longer embeds five texts a chunk for the few sentences
answers ever quote."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from indexer.contribution import Contribution, ParseIssue
from indexer.embedding import Embedder
from indexer.pipeline.report import BuildReport
from indexer.pipeline.updates import ParsedFile, StoredFile, Unit, UpdatePlan, new_segment_id
from indexer.pipeline.workers import PreparedFile, Workers
from indexer.store.layout import SEGMENTS_DIR
from indexer.store.manifest import SegmentEntry
from indexer.store.merging import MergePolicy
from indexer.store.previous import stored_vectors
from indexer.store.vector_cache import open_vector_cache, text_hash
from indexer.store.writer import (
    FileRows,
    SegmentWriter,
    SourceFile,
    contribution_ids_among,
    link_segment,
    parsed_file_rows,
    stored_file_rows,
)
from indexer.text.chunking import Chunk, ChunkingParams, context_line_of
from indexer.text.qa_links import link_questions
from indexer.text.sentences import sentence_spans

EMBED_BATCH = 256
EMBED_WINDOW = 4096  # chunks read before their vectors are looked up or computed, and written


def keyword_text(title: str, name: str | None, office: str | None, party: str | None,
                 text: str) -> str:
    """A contribution's BM25 text when its chunks are embedded with a context line: the same
    line, then its text."""
    return f"{context_line_of(title, name, office, party)}\n{text}"


class BuildWriter:
    """Carries out a plan: keeps segments, writes new ones from stored and parsed files, in
    windows of EMBED_WINDOW chunks so that memory stays bounded."""

    def __init__(self, plan: UpdatePlan, embedder: Embedder, workers: Workers,
                 params: ChunkingParams, exact_below: int, policy: MergePolicy, index_dir: Path,
                 cache_dir: Path | None, report: BuildReport, progress: bool):
        self.plan, self.embedder, self.workers, self.params = plan, embedder, workers, params
        self.exact_below, self.policy = exact_below, policy
        self.index_dir, self.cache_dir = index_dir, cache_dir
        self.report, self.progress = report, progress

    def write(self, folder: Path) -> tuple[SegmentEntry, ...]:
        """Write the build's segments under `folder`; returns their entries, in order."""
        plan, report = self.plan, self.report
        self.root = folder / SEGMENTS_DIR
        self.root.mkdir()
        self.done: list[SegmentEntry] = []
        t = time.perf_counter()
        for segment in plan.kept:
            link_segment(plan.previous / SEGMENTS_DIR / segment.id, self.root / segment.id)
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
        report.contributions = sum(s.contributions for s in self.done)
        report.chunks = sum(s.chunks for s in self.done)
        report.sentences = sum(s.sentences for s in self.done)
        report.reused = report.chunks - report.embedded_by_kind["chunks"]
        report.files = {"parsed": plan.parsed, "kept": plan.kept_files,
                        "copied": plan.copied, "removed": plan.removed}
        report.segments = {"kept": len(plan.kept), "written": len(self.done) - len(plan.kept)}
        return tuple(self.done)

    def _read(self, unit: Unit, prepared: PreparedFile | None, window: list[_Pending]
              ) -> _Pending:
        """A file of the plan, parsed and chunked (`prepared`), or as a segment stores it."""
        t = time.perf_counter()
        if isinstance(unit, StoredFile):
            rows = self._without_duplicates(stored_file_rows(unit.segment, unit.number), window)
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
            taken |= contribution_ids_among(self.root / segment.id, ids)
        if self.segment is not None:
            taken |= self.segment.holds(ids)
        return taken

    def _without_duplicates(self, rows: FileRows, window: list[_Pending]) -> FileRows:
        taken = self._taken(rows.ids(), window)
        return rows.without(taken) if taken else rows

    def _flush(self, window: list[_Pending]) -> None:
        """Embed what the window's parsed files need, then write them all, in order."""
        t = time.perf_counter()
        texts = {text_hash(ch.embed_text): ch.embed_text
                 for p in window if p.rows is None for own in p.chunks for ch in own}
        vectors, embedded = self._vectors(texts)
        self.report.count_embedded("chunks", embedded)
        self._add_seconds("embed", t)
        t = time.perf_counter()
        dimension = self.embedder.dimension
        for pending in window:
            rows = pending.rows or parsed_file_rows(
                pending.file, pending.contributions, pending.tokens, pending.chunks,
                np.array([vectors[text_hash(ch.embed_text)] for own in pending.chunks
                          for ch in own], dtype=np.float32).reshape(-1, dimension),
                link_questions(pending.contributions), pending.issues, pending.sentences)
            if (self.segment is not None and self.segment.chunk_count
                    and self.segment.chunk_count + rows.chunk_count
                    > self.policy.segment_chunks):
                self._finish_segment()
            if self.segment is None:
                self.segment = SegmentWriter(
                    self.root / new_segment_id(), self.embedder.dimension,
                    keyword_text if self.params.context else None, self.exact_below)
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

    @property
    def chunk_count(self) -> int:
        return self.rows.chunk_count if self.rows else sum(len(own) for own in self.chunks)

    def ids(self) -> list[str]:
        return self.rows.ids() if self.rows else [c.id for c in self.contributions]
