"""Reading a published build: the one interface search_api and bench use to read an index.

Contributions are numbered 1..N in record order within a build (SQLite's rowid); chunks
0..M-1 (their vectors' positions). Those numbers are how retrieval refers to them in one
build; anything a user or a file sees uses the source's ids.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import fields
from pathlib import Path

import faiss
import numpy as np

from indexer.contribution import Speaker
from indexer.errors import IndexNotFound
from indexer.store.facets import COLUMNS, Facets
from indexer.store.keyword import KEYWORD_DIR, KeywordIndex
from indexer.store.layout import DATABASE_FILE, MANIFEST_FILE, read_manifest, resolve_build
from indexer.store.records import (
    ChunkSpan,
    ContributionRecord,
    Coverage,
    Debate,
    IndexCounts,
    IndexValues,
    SearchFilters,
    SpeakerSummary,
)
from indexer.store.vectors import (
    EXACT_FILE,
    NPROBE,
    VECTORS_FILE,
    ExactVectors,
    VectorIndex,
)


def connect(build: Path) -> sqlite3.Connection:
    """A read-only connection to a build's metadata."""
    conn = sqlite3.connect(f"file:{build / DATABASE_FILE}?mode=ro", uri=True,
                           check_same_thread=False)
    conn.row_factory = sqlite3.Row
    return conn


class IndexReader:
    """A published build opened for reading: its vectors and keyword index in memory, its
    metadata in SQLite (one connection per thread: FastAPI answers on a thread pool)."""

    def __init__(self, index_dir: Path):
        self.build = resolve_build(index_dir)
        self.manifest = read_manifest(index_dir)
        self.vectors = VectorIndex(self.build)
        self.keyword = KeywordIndex(self.build / KEYWORD_DIR)
        self._local = threading.local()
        rows = self._db.execute("SELECT contribution_rowid FROM chunks ORDER BY id")
        # The contribution number of each chunk, by chunk number: kept in memory, as dense
        # retrieval maps every chunk it finds to its contribution.
        self.chunk_owner = np.fromiter((r[0] for r in rows), dtype=np.int64)
        rows = self._db.execute(f"SELECT {', '.join(COLUMNS)}, office IS NOT NULL "
                                "FROM contributions ORDER BY rowid").fetchall()
        self.facets = Facets([row[:-1] for row in rows],
                             np.fromiter((row[-1] for row in rows), dtype=bool, count=len(rows)))
        self.contribution_count = self.facets.size

    @property
    def _db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = connect(self.build)
        return conn

    @property
    def chunk_count(self) -> int:
        return self.vectors.count

    # Contributions ---------------------------------------------------------------------

    def contribution(self, contribution_id: str) -> ContributionRecord | None:
        """The contribution with this source id, or None."""
        row = self._db.execute(f"{_SELECT_RECORDS} WHERE id = ?", (contribution_id,)).fetchone()
        return _record(row) if row else None

    def contributions(self, numbers: Sequence[int]) -> dict[int, ContributionRecord]:
        """Records by contribution number."""
        rows = self._in(f"{_SELECT_RECORDS} WHERE rowid IN ({{marks}})", numbers)
        return {row["rowid"]: _record(row) for row in rows}

    def contributions_by_id(self, ids: Iterable[str]) -> dict[str, ContributionRecord]:
        """Records by source id (ids not in the index are left out)."""
        rows = self._in(f"{_SELECT_RECORDS} WHERE id IN ({{marks}})", list(set(ids)))
        return {row["id"]: _record(row) for row in rows}

    def ids(self, numbers: Sequence[int]) -> dict[int, str]:
        """Source ids by contribution number."""
        rows = self._in("SELECT rowid, id FROM contributions WHERE rowid IN ({marks})", numbers)
        return {row[0]: row[1] for row in rows}

    def records(self, filters: SearchFilters) -> Iterator[ContributionRecord]:
        """Every contribution passing `filters` (taken as they are), in record order."""
        passing = self.passing(filters)
        numbers = (np.arange(1, self.contribution_count + 1) if passing is None
                   else np.flatnonzero(passing) + 1).tolist()
        for start in range(0, len(numbers), _READ_BATCH):
            batch = self.contributions(numbers[start : start + _READ_BATCH])
            yield from (batch[n] for n in numbers[start : start + _READ_BATCH])

    # Chunks ----------------------------------------------------------------------------

    def chunks_of(self, number: int) -> list[ChunkSpan]:
        """A contribution's chunks, in order."""
        rows = self._db.execute(f"{_SELECT_CHUNKS} WHERE contribution_rowid = ? ORDER BY ordinal",
                                (number,))
        return [ChunkSpan(*row) for row in rows]

    def chunk(self, chunk_id: int) -> ChunkSpan:
        return ChunkSpan(*self._db.execute(f"{_SELECT_CHUNKS} WHERE id = ?",
                                           (chunk_id,)).fetchone())

    def chunk_of(self, contribution_id: str, ordinal: int) -> ChunkSpan | None:
        """Chunk `ordinal` of the contribution with this source id, or None."""
        row = self._db.execute(
            "SELECT chunks.id, ordinal, char_start, char_end FROM chunks JOIN contributions "
            "ON contributions.rowid = chunks.contribution_rowid "
            "WHERE contributions.id = ? AND ordinal = ?", (contribution_id, ordinal)).fetchone()
        return ChunkSpan(*row) if row else None

    # Filtering -------------------------------------------------------------------------

    def values(self) -> IndexValues:
        """The values the filterable fields take in this index."""
        return self.facets.values()

    def passing(self, filters: SearchFilters) -> np.ndarray | None:
        """Which contributions pass `filters` (taken as they are): one bool per contribution
        number - 1; None when nothing is filtered. Read from memory, not the database."""
        return self.facets.passing(filters)

    def has_speaker(self, speaker: str) -> bool:
        """Whether any contribution matches the speaker filter `speaker`."""
        return bool(self.facets.speaker(speaker).any())

    def office_holders(self, numbers: Sequence[int]) -> set[int]:
        """Which of these contributions were made by someone holding an office."""
        return {n for n in numbers if self.facets.has_office[n - 1]}

    # Retrieval -------------------------------------------------------------------------

    def nearest_contributions(self, vector: np.ndarray, n: int, among: np.ndarray | None = None,
                              nprobe: int = NPROBE) -> list[tuple[int, float, int]]:
        """(contribution number, cosine similarity, chunk number) of the `n` contributions
        whose best chunks lie nearest `vector`, best first; only those `among` selects (one
        bool per contribution number - 1) if given. `nprobe`: how many lists an approximate
        vector index visits (more: slower, nearer exact)."""
        owner = self.chunk_owner
        chunks = None if among is None else among[owner - 1]
        available = len(owner) if chunks is None else int(chunks.sum())
        fetch = min(available, max(n * 4, 50))
        while fetch:  # widen until `n` contributions, as several chunks may share one
            best: dict[int, tuple[int, float, int]] = {}
            for chunk_id, score in self.vectors.nearest(vector, fetch, chunks, nprobe):
                number = int(owner[chunk_id])
                best.setdefault(number, (number, score, chunk_id))
            if len(best) >= n or fetch >= available:
                return list(best.values())[:n]
            fetch = min(available, fetch * 4)
        return []

    def keyword_matches(self, query: str, n: int, among: np.ndarray | None = None
                        ) -> list[tuple[int, float]]:
        """(contribution number, BM25 score) of up to `n` contributions matching `query`'s
        words, best first; only those `among` selects if given."""
        # BM25 documents are contributions in record order: the selection is a weight mask.
        mask = None if among is None else among.astype(np.float32)
        return [(doc + 1, score) for doc, score in self.keyword.search(query, n, mask)]

    # Speakers, links, counts -----------------------------------------------------------

    def speakers(self, q: str | None = None, limit: int | None = None) -> list[SpeakerSummary]:
        """Speakers whose name (canonical or printed) or person id contains `q` (all without
        one), busiest first."""
        sql, args = "SELECT * FROM speakers", []
        if q and q.strip():
            pattern = _contains(q)
            sql += (" WHERE name LIKE ? ESCAPE '\\' OR printed_names LIKE ? ESCAPE '\\'"
                    " OR person_id = ?")
            args = [pattern, pattern, q.strip()]
        sql += " ORDER BY contributions DESC, name"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return [
            SpeakerSummary(
                key=r["key"], person_id=r["person_id"], name=r["name"],
                printed_names=json.loads(r["printed_names"]), party=r["party"],
                constituency=r["constituency"], peerage=r["peerage"],
                houses=json.loads(r["houses"]), contributions=r["contributions"],
                by_kind=json.loads(r["by_kind"]),
            )
            for r in self._db.execute(sql, args)
        ]

    def question_answer_links(self, ids: Iterable[str]) -> list[tuple[str, str]]:
        """(question id, answer id) of every link with one end among `ids`
        (indexer/qa_links.py makes them)."""
        ids = list(dict.fromkeys(ids))
        if not ids:
            return []
        marks = ", ".join("?" * len(ids))
        return [tuple(row) for row in self._db.execute(
            f"SELECT question_id, answer_id FROM qa_links WHERE question_id IN ({marks}) "
            f"OR answer_id IN ({marks})", [*ids, *ids])]

    def counts(self) -> IndexCounts:
        """Counts by kind, house, parliament and corpus, with attribution coverage."""
        db = self._db
        by_kind = {kind: Coverage(total, named, party) for kind, total, named, party in db.execute(
            "SELECT kind, count(*), count(speaker_name), count(party) FROM contributions "
            "GROUP BY kind ORDER BY kind")}
        by_corpus = {corpus: Coverage(total, named, party)
                     for corpus, total, named, party in db.execute(
                         "SELECT corpus, count(*), count(speaker_name), count(party) "
                         "FROM contributions GROUP BY corpus ORDER BY corpus")}
        first, last = db.execute("SELECT min(date), max(date) FROM contributions").fetchone()
        return IndexCounts(
            contributions=self.contribution_count,
            chunks=self.chunk_count,
            speakers=db.execute("SELECT count(*) FROM speakers").fetchone()[0],
            import_issues=db.execute("SELECT count(*) FROM issues").fetchone()[0],
            by_kind=by_kind,
            by_house=self._counts_by("house"),
            by_parliament=self._counts_by("parliament"),
            by_corpus=by_corpus,
            first_date=first,
            last_date=last,
        )

    # Helpers ---------------------------------------------------------------------------

    def _counts_by(self, column: str) -> dict[str, int]:
        return dict(self._db.execute(f"SELECT {column}, count(*) FROM contributions "
                                     f"GROUP BY {column} ORDER BY {column}").fetchall())

    def _in(self, sql: str, values: Sequence) -> list[sqlite3.Row]:
        """`sql` with its "{marks}" placeholder bound to `values` (none: no rows)."""
        if not len(values):
            return []
        marks = ", ".join("?" * len(values))
        return self._db.execute(sql.format(marks=marks), [*values]).fetchall()


def cached_vectors(index_dir: Path, model_fingerprint: str) -> dict[str, np.ndarray]:
    """Vectors of the current build by text hash, if it was made with the same model; a
    build of an older format counts too (its vectors are as good)."""
    try:
        build = resolve_build(index_dir)
        manifest = json.loads((build / MANIFEST_FILE).read_text())
    except (IndexNotFound, OSError, json.JSONDecodeError):
        return {}
    if manifest.get("model", {}).get("fingerprint") != model_fingerprint:
        return {}
    try:
        with contextlib.closing(connect(build)) as conn:
            hashes = [row[0] for row in conn.execute("SELECT text_hash FROM chunks ORDER BY id")]
    except sqlite3.Error:
        return {}
    stored = (ExactVectors(build / EXACT_FILE).all() if (build / EXACT_FILE).is_file()
              else faiss.read_index(str(build / VECTORS_FILE)).reconstruct_n())  # format 3
    return dict(zip(hashes, stored, strict=True))


_SELECT_RECORDS = "SELECT rowid, * FROM contributions"
_READ_BATCH = 500  # records per query when reading many
_SELECT_CHUNKS = "SELECT id, ordinal, char_start, char_end FROM chunks"


def _record(row: sqlite3.Row) -> ContributionRecord:
    chair = row["speaker_chair"]
    return _from_row(
        ContributionRecord, row, {"column": "column_ref", "previous_id": "prev_id"},
        speaker=_from_row(Speaker, row, {"name": "speaker_name"},
                          chair=None if chair is None else bool(chair)),
        debate=_from_row(Debate, row, {"id": "debate_id", "title": "debate_title"}),
    )


def _from_row(cls, row: sqlite3.Row, columns: dict[str, str], **given):
    """A `cls` whose fields are the row's columns of the same name (`columns` names those
    stored under another name); `given` fields are not read from the row."""
    read = {f.name: row[columns.get(f.name, f.name)] for f in fields(cls) if f.name not in given}
    return cls(**read, **given)


def _contains(value: str) -> str:
    """A LIKE pattern matching `value` anywhere, with LIKE's wildcards escaped."""
    escaped = value.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
