"""The on-disk index: written by indexer/build.py, read by everything else through
`IndexReader`. The one place that knows how a build is stored (SQLite, FAISS, bm25s files):
swapping a storage touches this package only.

    layout.py    where a build lives, atomic publication, the build lock
    writer.py    writing a build (schema, rows, vectors, keyword index, manifest)
    reader.py    IndexReader: typed reads of a published build
    records.py   the types reads return
    vectors.py   the FAISS vector index
    keyword.py   the BM25 keyword index
"""

from indexer.store.keyword import KEYWORD_DIR
from indexer.store.layout import (
    DATABASE_FILE,
    FORMAT_VERSION,
    MANIFEST_FILE,
    build_lock,
    read_manifest,
    resolve_build,
)
from indexer.store.reader import IndexReader, cached_vectors
from indexer.store.vectors import VECTORS_FILE
from indexer.store.writer import text_hash, write_index

__all__ = [
    "DATABASE_FILE", "FORMAT_VERSION", "KEYWORD_DIR", "MANIFEST_FILE", "VECTORS_FILE",
    "IndexReader", "build_lock", "cached_vectors", "read_manifest", "resolve_build",
    "text_hash", "write_index",
]
