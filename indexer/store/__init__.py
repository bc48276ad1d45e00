"""The on-disk index: written by indexer/build.py, read by everything else through
`IndexReader`. The one place that knows how a build is stored (SQLite, FAISS, bm25s files):
swapping a storage touches this package only.

    layout.py    where a build and its segments live, atomic publication, the build lock
    integrity.py the checksums of a build's files, and the check that it is intact
    writer.py    writing a segment (schema, rows, vectors, keyword index), streamed
    reader.py    IndexReader: typed reads of a published build, across its segments
    records.py   the types reads return
    vectors.py   the FAISS vector index
    keyword.py   the BM25 keyword index
    facets.py    the filtered (and counted) fields of every contribution, in memory
    vector_cache.py   vectors by model and text, shared by every index of the machine

Import what you need from its modules (records.py is light; the others load FAISS and bm25s).
"""
