"""The vector cache: every text a model has embedded on this machine, by model and text.

One SQLite file per model fingerprint under the cache folder (`DEBATE_SEARCH_CACHE_DIR`),
shared by every index: rebuilding an index, or indexing the same text in another folder,
embeds nothing it has embedded before. Vectors are written as each batch is embedded, so an
interrupted build keeps what it paid for. Servers keep the vectors of the sentences they
quote here too (search_api/engine/sentence_vectors.py), so one cache may be read and written
by builds and by a server's request threads at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from indexer.errors import VectorCacheError

CACHE_SUBDIR = "vectors"
_LOOKUP_BATCH = 500  # hashes per SELECT ... IN (...): SQLite's variable limit is 32,766


def text_hash(text: str) -> str:
    """Content key of an embedded text (the vector cache is keyed by it)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class VectorCache:
    """Vectors of one model (float32, one row per text hash), on disk. One connection, used
    by one thread at a time: a server's request threads share it. VectorCacheError where the
    folder or its database cannot be read or written."""

    def __init__(self, cache_dir: Path, model_fingerprint: str, dimension: int):
        folder = Path(cache_dir) / CACHE_SUBDIR
        self.path = folder / f"{re.sub(r'[^A-Za-z0-9._-]', '_', model_fingerprint)}.sqlite"
        self.dimension = dimension
        self._lock = threading.Lock()
        with self._failing_as_cache_error():
            folder.mkdir(parents=True, exist_ok=True)
            # Several builds may share the cache at once: WAL lets them read while one writes.
            self._conn = sqlite3.connect(self.path, timeout=120, check_same_thread=False)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("CREATE TABLE IF NOT EXISTS vectors "
                               "(text_hash TEXT PRIMARY KEY, vector BLOB NOT NULL)")

    def get(self, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """The cached vectors among `hashes`."""
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(hashes))
        with self._lock, self._failing_as_cache_error():
            for start in range(0, len(unique), _LOOKUP_BATCH):
                batch = unique[start : start + _LOOKUP_BATCH]
                marks = ", ".join("?" * len(batch))
                for key, blob in self._conn.execute(
                        f"SELECT text_hash, vector FROM vectors WHERE text_hash IN ({marks})",
                        batch):
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put(self, items: Iterable[tuple[str, np.ndarray]]) -> None:
        """Store vectors by text hash (a hash already there keeps its vector)."""
        rows = [(h, np.asarray(v, dtype=np.float32).tobytes()) for h, v in items]
        with self._lock, self._failing_as_cache_error(), self._conn:
            self._conn.executemany("INSERT OR IGNORE INTO vectors VALUES (?, ?)", rows)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextlib.contextmanager
    def _failing_as_cache_error(self) -> Iterator[None]:
        try:
            yield
        except (OSError, sqlite3.Error) as exc:
            raise VectorCacheError(
                f"the vector cache {self.path} cannot be read or written ({exc}); set "
                "DEBATE_SEARCH_CACHE_DIR to a folder this user may write") from exc


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
