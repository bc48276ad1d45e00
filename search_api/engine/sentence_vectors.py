"""The vectors of the sentences answers quote: each embedded once a machine, when first needed.

A build stores sentences as spans only: embedding every sentence of a corpus cost four texts
a chunk (41,699 sentence texts beside 10,483 chunk texts on the default corpus's first
build), for the few sentences answers ever score. An answer asks here, in one call, for the
vectors of the sentences it may quote (answering/answers.py, `_quote`): those
in memory are taken from there, the rest read from the machine's vector cache
(indexer/store/vector_cache.py, one SQLite file per model, shared with builds and with every
server of the machine), and those not there either are embedded together, in one call of
the model that embeds the index's queries, and kept in both. So the first answer that may
quote a sentence pays for it, and every later answer, replica, restart and rebuild on the
machine reads it.

The most recently used `MEMORY_VECTORS` are kept in memory in front of the disk: a repeated
question reads no database (docs/benchmarks.md, "Answers: speed", has the measurements),
and where the cache folder cannot be written they are all there is (a warning is logged;
answers go on). One SentenceVectors is shared by a server's request threads: its
memory changes under a lock, the disk cache has its own, and embedding holds neither, so
one request embedding does not hold up another.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer.embedding import Embedder
from indexer.errors import VectorCacheError
from indexer.store.vector_cache import VectorCache, text_hash

log = logging.getLogger(__name__)
MEMORY_VECTORS = 10_000  # 15 MiB at 384 dimensions; an answer scores about 60 sentences


@dataclass(frozen=True)
class SentenceVectorCounts:
    """Where the vectors asked for came from, since the index was opened (distinct texts
    of each call, added up), and how many calls of the model embedded the rest."""

    from_memory: int = 0
    from_disk: int = 0
    embedded: int = 0
    embed_calls: int = 0


class SentenceVectors:
    """Vectors of sentence texts by `embedder`: from memory, the vector cache under
    `cache_dir` (None: memory only), or embedded now and kept in both."""

    def __init__(self, embedder: Embedder, cache_dir: Path | None,
                 memory: int = MEMORY_VECTORS):
        self._embedder, self._cache_dir, self._capacity = embedder, cache_dir, memory
        self._lock = threading.Lock()  # guards the fields below
        self._memory: OrderedDict[str, np.ndarray] = OrderedDict()  # least recent first
        self._disk: VectorCache | None = None
        self._disk_tried = False  # opened, or failed to open: not opened again
        self._counts = SentenceVectorCounts()

    def of(self, texts: Sequence[str]) -> np.ndarray:
        """The vectors of `texts`, one row each (float32, shape (len(texts), dimension))."""
        hashes = [text_hash(t) for t in texts]
        wanted = dict(zip(hashes, texts, strict=True))
        found = self._remembered(wanted)
        in_memory = len(found)
        disk = self._disk_cache() if len(found) < len(wanted) else None
        if disk is not None:
            found.update(self._read(disk, [h for h in wanted if h not in found]))
        from_disk = len(found) - in_memory
        missing = [h for h in wanted if h not in found]
        if missing:
            vectors = self._embedder.embed([wanted[h] for h in missing])
            embedded = dict(zip(missing, vectors, strict=True))
            if disk is not None:
                self._write(disk, embedded)
            found.update(embedded)
        self._remember(found, in_memory, from_disk, len(missing))
        if not hashes:
            return np.empty((0, self._embedder.dimension), dtype=np.float32)
        return np.stack([found[h] for h in hashes]).astype(np.float32, copy=False)

    def counts(self) -> SentenceVectorCounts:
        with self._lock:
            return self._counts

    def close(self) -> None:
        """Close the disk cache: later calls keep their vectors in memory only."""
        with self._lock:
            disk, self._disk, self._disk_tried = self._disk, None, True
        if disk is not None:
            disk.close()

    def _remembered(self, wanted: dict[str, str]) -> dict[str, np.ndarray]:
        with self._lock:
            found = {h: self._memory[h] for h in wanted if h in self._memory}
            for h in found:
                self._memory.move_to_end(h)
        return found

    def _remember(self, found: dict[str, np.ndarray], from_memory: int, from_disk: int,
                  embedded: int) -> None:
        with self._lock:
            for h, vector in found.items():
                if h not in self._memory:
                    vector.setflags(write=False)  # shared by every request that reads it
                    self._memory[h] = vector
            while len(self._memory) > self._capacity:
                self._memory.popitem(last=False)
            c = self._counts
            self._counts = SentenceVectorCounts(
                c.from_memory + from_memory, c.from_disk + from_disk, c.embedded + embedded,
                c.embed_calls + bool(embedded))

    def _disk_cache(self) -> VectorCache | None:
        with self._lock:
            if self._cache_dir is not None and not self._disk_tried:
                self._disk_tried = True
                try:
                    self._disk = VectorCache(self._cache_dir, self._embedder.fingerprint,
                                             self._embedder.dimension)
                except VectorCacheError as exc:
                    log.warning("%s: sentence vectors are kept in memory only", exc)
            return self._disk

    def _read(self, disk: VectorCache, hashes: list[str]) -> dict[str, np.ndarray]:
        try:
            return disk.get(hashes)
        except VectorCacheError as exc:
            self._give_up(disk, exc)
            return {}

    def _write(self, disk: VectorCache, vectors: dict[str, np.ndarray]) -> None:
        try:
            disk.put(vectors.items())
        except VectorCacheError as exc:
            self._give_up(disk, exc)

    def _give_up(self, disk: VectorCache, exc: VectorCacheError) -> None:
        """Stop using a disk cache that failed (it is not tried again: memory only)."""
        with self._lock:
            if self._disk is not disk:
                return  # another request gave up on it first, or it was closed
            self._disk = None
        log.warning("%s: sentence vectors are kept in memory only", exc)
        disk.close()
