"""Vectors an earlier build of an index already holds, for a build that embeds anew only what
it must (an index built before the vector cache was shared: store/vector_cache.py).

A build of an older format counts too: its vectors are as good, so its manifest is read as
plain JSON here, not as this version's Manifest.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import faiss
import numpy as np

from indexer.errors import IndexNotFound
from indexer.store.database import reading
from indexer.store.layout import DATABASE_FILE, SEGMENTS_DIR, resolve_build
from indexer.store.manifest import MANIFEST_FILE
from indexer.store.vectors import EXACT_FILE, VECTORS_FILE, ExactVectors


def stored_vectors(index_dir: Path, model_fingerprint: str, hashes: set[str]
                   ) -> dict[str, np.ndarray]:
    """Vectors of these text hashes in the current build, if it was made with the same
    model (none when it cannot be read)."""
    try:
        build = resolve_build(index_dir)
        manifest = json.loads((build / MANIFEST_FILE).read_text())
        if manifest.get("model", {}).get("fingerprint") != model_fingerprint or not hashes:
            return {}
        found: dict[str, np.ndarray] = {}
        for segment in _segments(build, manifest):
            with reading(segment) as conn:
                rows = [(number, h) for number, h in
                        conn.execute("SELECT id, text_hash FROM chunks ORDER BY id")
                        if h in hashes and h not in found]
            if not rows:
                continue
            numbers = np.array([number for number, _ in rows])
            if (segment / EXACT_FILE).is_file():
                vectors = ExactVectors(segment / EXACT_FILE).rows(numbers)
            else:  # format 3
                vectors = faiss.read_index(str(segment / VECTORS_FILE)).reconstruct_n()[numbers]
            found.update(zip((h for _, h in rows), vectors, strict=True))
        return found
    except (IndexNotFound, OSError, json.JSONDecodeError, KeyError, sqlite3.Error):
        return {}


def _segments(build: Path, manifest: dict) -> list[Path]:
    """The segment folders of a build, in order (a build older than segments is one)."""
    if (build / DATABASE_FILE).is_file():  # formats 3 and 4
        return [build]
    return [build / SEGMENTS_DIR / entry["id"] for entry in manifest["segments"]]
