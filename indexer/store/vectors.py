"""Chunk vectors: the exact vectors on disk, and the index that searches them.

    vectors.npy     every chunk's unit vector (float32), by chunk number: the exact values
    vectors.faiss   the search index: exact (inner product over all vectors) for up to
                    EXACT_BELOW chunks; above, approximate (IVF with 8-bit scalar
                    quantization), whose candidates are re-scored with the exact vectors

An approximate search reads only the exact rows it re-scores, with positioned reads, so a
server's memory holds the quantized index (a quarter of the vectors' size), not the vectors.
A filter that selects few chunks is searched exactly among them; one that selects more, but
of which the lists a search probes would hold too few, is searched in every list (by the
quantized codes in memory, only its chunks compared), then re-scored: either way it returns
its best matches, however selective.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import faiss
import numpy as np

VECTORS_FILE = "vectors.faiss"
EXACT_FILE = "vectors.npy"
EXACT_BELOW = 50_000  # chunks; an exact search of 50k vectors takes ~10 ms on one core
NPROBE = 32  # inverted lists an approximate search visits (of about 4 * sqrt(chunks))
# Approximate candidates re-scored exactly per result wanted (over all segments). At 1M chunks
# 1 and 2 both give recall@10 0.995 against exact search (bench/scale.py's recall_at_10), and
# 1 reads half the rows: dense search's CPU time 5.3 ms a query against 10.7.
RESCORED = 1
# A filter selecting at most this many chunks is searched exactly (their vectors read from
# disk); one of which the probed lists would hold too few is searched in every list.
EXACT_SELECTION = 2_000


def write_search_index(build: Path, exact_below: int = EXACT_BELOW) -> None:
    """The search index of the vectors in `build`'s vectors.npy (one L2-normalised row per
    chunk), read from the file in batches: memory holds the index, not the vectors."""
    vectors = ExactVectors(build / EXACT_FILE)
    count, dimension = vectors.count, vectors.dimension
    index: faiss.Index
    if count < max(exact_below, 1):
        index = faiss.IndexFlatIP(dimension)
    else:
        lists = max(1, min(int(4 * math.sqrt(count)), count // 39))  # faiss: >= 39 a list
        index = faiss.index_factory(dimension, f"IVF{lists},SQ8", faiss.METRIC_INNER_PRODUCT)
        sample = np.random.default_rng(0).permutation(count)[: min(count, 64 * lists)]
        index.train(vectors.rows(np.sort(sample)))
    for start in range(0, count, _ADD_BATCH):
        index.add(vectors.rows(np.arange(start, min(start + _ADD_BATCH, count))))
    faiss.write_index(index, str(build / VECTORS_FILE))


_ADD_BATCH = 65_536  # vectors added to a search index at once


class VectorIndex:
    """A build's vectors opened for searching."""

    def __init__(self, build: Path):
        self.index = faiss.read_index(str(build / VECTORS_FILE))
        self.exact = ExactVectors(build / EXACT_FILE)
        self.approximate = not isinstance(self.index, faiss.IndexFlat)

    @property
    def count(self) -> int:
        return int(self.index.ntotal)

    def candidates(self, vector: np.ndarray, n: int, among: np.ndarray | None = None,
                   nprobe: int = NPROBE, widen: bool = True
                   ) -> tuple[np.ndarray, np.ndarray, bool]:
        """Chunk numbers and similarities of up to `n` chunks nearest `vector`, best first,
        only of the chunks `among` selects (one bool per chunk) if given; and whether the
        similarities are exact (else the approximate index's, to be re-scored: `exactly`).
        With `widen`, an approximate search visits more lists until it finds `n` (a filter
        thins them out); without, it returns what `nprobe` lists hold."""
        vector = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1)
        faiss.omp_set_num_threads(1)  # per thread; parallelism only hurts single queries
        selector: faiss.IDSelector | None = None
        if among is not None:
            # A bitmap selector (a set of ids costs far more to build at a million chunks);
            # it points into `bits`, which lives as long as this call.
            bits = np.packbits(among, bitorder="little")
            selector = faiss.IDSelectorBitmap(len(among), faiss.swig_ptr(bits))
        if not self.approximate:
            params: faiss.SearchParameters | None = None
            if selector is not None:
                params = faiss.SearchParameters()
                params.sel = selector
            return *_hits(*self.index.search(vector, n, params=params)), True
        selected = self.count if among is None else int(among.sum())
        if selected <= EXACT_SELECTION:
            chunks = np.arange(self.count) if among is None else np.flatnonzero(among)
            return *self.exactly(vector[0], n, chunks), True
        lists = faiss.extract_index_ivf(self.index).nlist
        if selected * min(nprobe, lists) / lists < n:  # the lists would hold too few of them
            nprobe = lists
        while True:  # widen until the lists hold enough candidates (a filter thins them out)
            ivf_params = faiss.SearchParametersIVF()
            ivf_params.nprobe = min(nprobe, lists)
            if selector is not None:
                ivf_params.sel = selector
            chunks, scores = _hits(*self.index.search(vector, n, params=ivf_params))
            if len(chunks) >= n or nprobe >= lists or not widen:
                return chunks, scores, False
            nprobe *= 4

    def stored(self, chunks: np.ndarray) -> np.ndarray:
        """The exact vectors of `chunks`: from memory where the search index is exact (it
        holds them), else read from disk."""
        if self.approximate:
            return self.exact.rows(chunks)
        return self.index.reconstruct_batch(np.asarray(chunks, dtype=np.int64))

    def exactly(self, vector: np.ndarray, n: int, chunks: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
        """The `n` best of `chunks` by their exact vectors: chunk numbers, similarities."""
        scores = self.exact.rows(chunks) @ np.asarray(vector, dtype=np.float32).reshape(-1)
        best = np.argsort(-scores, kind="stable")[:n]
        return np.asarray(chunks)[best], scores[best]


class ExactVectors:
    """vectors.npy, read row by row where it is needed (positioned reads: no mapping that
    would grow a server's resident memory with every row it ever touched)."""

    def __init__(self, path: Path):
        header = np.load(path, mmap_mode="r")  # only to read the layout: where rows begin
        self.count, self.dimension = header.shape
        self.offset = header.offset
        del header
        self.row_bytes = self.dimension * 4  # float32
        self.path = path
        self._fd = os.open(path, os.O_RDONLY)

    def __del__(self) -> None:
        if hasattr(self, "_fd"):
            os.close(self._fd)

    def rows(self, chunks: np.ndarray) -> np.ndarray:
        """The vectors of `chunks`, in that order (runs of consecutive chunks read at once)."""
        chunks = np.asarray(chunks, dtype=np.int64)
        order = np.argsort(chunks, kind="stable")
        ordered = chunks[order]
        read = np.empty((len(chunks), self.dimension), dtype=np.float32)
        into = read.reshape(-1).view(np.uint8).data  # a writable memoryview of its bytes
        starts = np.flatnonzero(np.diff(ordered, prepend=-2) != 1).tolist()  # run beginnings
        for begin, end in zip(starts, [*starts[1:], len(ordered)], strict=True):
            os.preadv(self._fd, [into[begin * self.row_bytes : end * self.row_bytes]],
                      self.offset + int(ordered[begin]) * self.row_bytes)
        out = np.empty_like(read)
        out[order] = read
        return out

    def all(self) -> np.ndarray:
        """Every vector, by chunk number."""
        return np.load(self.path)


def _hits(scores: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A FAISS search's chunk numbers and similarities, without its padding (-1)."""
    found = ids[0] >= 0
    return ids[0][found], scores[0][found]
