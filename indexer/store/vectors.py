"""Chunk vectors: unit-length embeddings in a FAISS inner-product index (exact search).

A chunk's number is its vector's position, so the index holds nothing but vectors.
"""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

VECTORS_FILE = "vectors.faiss"


def write_vectors(matrix: np.ndarray, build: Path) -> None:
    """Save `matrix` (one row per chunk, L2-normalised) as the build's vector index."""
    index = faiss.IndexFlatIP(matrix.shape[1])
    index.add(matrix)
    faiss.write_index(index, str(build / VECTORS_FILE))


def read_vectors(build: Path) -> faiss.Index:
    """The vector index of a build."""
    return faiss.read_index(str(build / VECTORS_FILE))


def all_vectors(index: faiss.Index) -> np.ndarray:
    """Every vector of `index`, by chunk number."""
    return index.reconstruct_n(0, index.ntotal)


def nearest(index: faiss.Index, vector: np.ndarray, n: int, among: np.ndarray | None = None
            ) -> list[tuple[int, float]]:
    """(chunk number, inner product) of the `n` nearest chunks, best first; only the chunks
    `among` selects (one bool per chunk) if given."""
    params = None
    if among is not None:  # a bitmap: a set of ids costs far more to build at a million
        bits = np.packbits(among, bitorder="little")
        params = faiss.SearchParameters(sel=faiss.IDSelectorBitmap(len(among),
                                                                    faiss.swig_ptr(bits)))
    faiss.omp_set_num_threads(1)  # per thread; parallelism only hurts single queries
    scores, ids = index.search(vector.reshape(1, -1), n, params=params)
    return [(int(i), float(s)) for s, i in zip(scores[0], ids[0], strict=True) if i >= 0]
