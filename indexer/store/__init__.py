"""The on-disk index: written by indexer/pipeline/, read by everything else through
`IndexReader`. The one place that knows how a build is stored (SQLite, FAISS, bm25s files):
swapping a storage touches this package only.

    manifest.py  a build's manifest (its commit point), typed
    layout.py    where a build and its segments live, atomic publication, the build lock,
                 builds held by their readers and retired when none holds them
    database.py  a segment's SQLite schema, its columns, the read-only opener
    writer.py    writing a segment (rows, vectors, keyword index), streamed
    merging.py   which segments an update merges (MergePolicy)
    integrity.py the checksums of a build's files, and the check that it is intact
    reader.py    IndexReader: typed reads of a published build, across its segments
                 (retrieval.py: searching them; speakers.py: their speakers added up)
    records.py   the types reads return
    vectors.py   the FAISS vector index
    keyword.py   the BM25 keyword index
    facets.py    the filtered (and counted) fields of every contribution, in memory
    vector_cache.py   vectors by model and text, shared by every index of the machine
    previous.py  vectors a build of an older format holds, for a build that reuses them

Import what you need from its modules (records.py is light; the others load FAISS and bm25s).
"""
