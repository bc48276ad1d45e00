"""The vector cache: every text a model has embedded on this machine, by model and text.

One SQLite file per model fingerprint under the cache folder (`DEBATE_SEARCH_CACHE_DIR`),
shared by every index: rebuilding an index, or indexing the same text in another folder,
embeds nothing it has embedded before. Vectors are written as each batch is embedded, so an
interrupted build keeps what it paid for.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

CACHE_SUBDIR = "vectors"
_LOOKUP_BATCH = 500  # hashes per SELECT ... IN (...): SQLite's variable limit is 32,766


class VectorCache:
    """Vectors of one model (float32, one row per text hash), on disk."""

    def __init__(self, cache_dir: Path, model_fingerprint: str, dimension: int):
        folder = Path(cache_dir) / CACHE_SUBDIR
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{re.sub(r'[^A-Za-z0-9._-]', '_', model_fingerprint)}.sqlite"
        self.dimension = dimension
        # Several builds may share the cache at once: WAL lets them read while one writes.
        self._conn = sqlite3.connect(self.path, timeout=120)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("CREATE TABLE IF NOT EXISTS vectors "
                           "(text_hash TEXT PRIMARY KEY, vector BLOB NOT NULL)")

    def get(self, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """The cached vectors among `hashes`."""
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(hashes))
        for start in range(0, len(unique), _LOOKUP_BATCH):
            batch = unique[start : start + _LOOKUP_BATCH]
            marks = ", ".join("?" * len(batch))
            for text_hash, blob in self._conn.execute(
                    f"SELECT text_hash, vector FROM vectors WHERE text_hash IN ({marks})", batch):
                found[text_hash] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put(self, items: Iterable[tuple[str, np.ndarray]]) -> None:
        """Store vectors by text hash (a hash already there keeps its vector)."""
        rows = [(h, np.asarray(v, dtype=np.float32).tobytes()) for h, v in items]
        with self._conn:
            self._conn.executemany("INSERT OR IGNORE INTO vectors VALUES (?, ?)", rows)

    def close(self) -> None:
        self._conn.close()


@contextlib.contextmanager
def open_vector_cache(cache_dir: Path | None, model_fingerprint: str, dimension: int
                      ) -> Iterator[VectorCache | None]:
    """The machine's vector cache for a model, or None without a cache folder."""
    if cache_dir is None:
        yield None
        return
    cache = VectorCache(cache_dir, model_fingerprint, dimension)
    try:
        yield cache
    finally:
        cache.close()
