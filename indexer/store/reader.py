"""Reading a published build: the one interface search_api and bench use to read an index.

Contributions are numbered 1..N in record order within a build, segment after segment (in a
segment, SQLite's rowid); chunks 0..M-1 (their vectors' positions). Those numbers are how
retrieval refers to them in one build; anything a user or a file sees uses the source's ids.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from indexer.contribution import Speaker
from indexer.store import retrieval
from indexer.store.database import open_read_only
from indexer.store.facets import COLUMNS, Column, Facets
from indexer.store.integrity import verify_build
from indexer.store.keyword import KEYWORD_DIR, KeywordIndex
from indexer.store.layout import hold_build, segment_folders
from indexer.store.manifest import read_manifest_file
from indexer.store.records import (
    ChunkSpan,
    ContributionRecord,
    Coverage,
    Debate,
    IndexCounts,
    IndexValues,
    KeywordFeedback,
    SearchFilters,
    SpeakerSummary,
)
from indexer.store.speakers import merged_speakers
from indexer.store.vectors import NPROBE, VectorIndex

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


class Segment:
    """One segment of a build: its vectors and keyword index in memory, its metadata in
    SQLite; `first_contribution` and `first_chunk` place its numbers among the build's."""

    def __init__(self, folder: Path, first_contribution: int, first_chunk: int):
        self.folder = folder
        self.vectors = VectorIndex(folder)
        self.keyword = KeywordIndex(folder / KEYWORD_DIR)
        self.first_contribution = first_contribution  # contribution number of its rowid 1
        self.first_chunk = first_chunk  # chunk number of its chunk 0


class IndexReader:
    """A published build opened for reading: its segments' vectors and keyword indexes and
    every contribution's filtered fields in memory, their metadata in SQLite (a connection
    per segment and thread: FastAPI answers on a thread pool)."""

    def __init__(self, index_dir: Path, verify: bool = False):
        """The current build of `index_dir` (or the build folder `index_dir`). With `verify`,
        its files are first checked against its manifest (`integrity.verify_build`):
        IndexDamaged rather than whatever a damaged file would make opening it raise."""
        # Held while this reader lives: the build is not deleted under it (layout.py).
        self._held = hold_build(index_dir)
        self.build = self._held.path
        try:
            self.check = verify_build(self.build) if verify else None
            self._open()
        except BaseException:
            self._held.release()
            raise

    def close(self) -> None:
        """Let go of the build (also done when the reader is garbage)."""
        self._held.release()

    def _open(self) -> None:
        self.manifest = read_manifest_file(self.build)
        self._local = threading.local()
        self.segments: list[Segment] = []
        owners = []
        contributions = chunks = 0
        for folder in segment_folders(self.build, self.manifest):
            segment = Segment(folder, contributions + 1, chunks)
            self.segments.append(segment)
            db = self._db(segment)
            # The contribution number of each chunk, by chunk number: kept in memory, as
            # dense retrieval maps every chunk it finds to its contribution.
            owners.append(np.fromiter(
                (r[0] for r in db.execute("SELECT contribution_rowid FROM chunks ORDER BY id")),
                dtype=np.int64) + contributions)
            contributions += db.execute("SELECT count(*) FROM contributions").fetchone()[0]
            chunks += segment.vectors.count
        self.chunk_owner = np.concatenate(owners) if owners else np.zeros(0, dtype=np.int64)
        # Column by column, the values streamed from every segment in record order.
        self.facets = Facets(
            {name: Column(self._column(name)) for name in COLUMNS},
            np.fromiter(self._column("office IS NOT NULL AND speaker_chair IS NOT 1"),
                        dtype=bool),
            self._entered(), self.manifest.first_build_since)
        self.contribution_count = self.facets.size
        self.chunk_count = chunks
        self._contribution_starts = np.array([s.first_contribution for s in self.segments])
        self._chunk_starts = np.array([s.first_chunk for s in self.segments])

    def _entered(self) -> np.ndarray:
        """For each contribution, the position among the folder's builds of the build its
        file entered the index in (Manifest.entered_in), read through the files table."""
        positions: dict[tuple[str, str], int] = {}

        def position(corpus: str, path: str) -> int:
            if (corpus, path) not in positions:
                positions[corpus, path] = self.manifest.entered_in(corpus, path)
            return positions[corpus, path]

        return np.fromiter(
            (position(*row) for segment in self.segments for row in self._db(segment).execute(
                "SELECT files.corpus, files.path FROM contributions JOIN files "
                "ON files.number = contributions.file_number ORDER BY contributions.rowid")),
            dtype=np.int32)

    def _column(self, expression: str) -> Iterator:
        """An SQL expression over `contributions`, one value each, segment after segment."""
        for segment in self.segments:
            for (value,) in self._db(segment).execute(
                    f"SELECT {expression} FROM contributions ORDER BY rowid"):
                yield value

    def _db(self, segment: Segment) -> sqlite3.Connection:
        conns = self._local.__dict__.setdefault("conns", {})
        conn = conns.get(segment.folder)
        if conn is None:
            conn = conns[segment.folder] = open_read_only(segment.folder)
        return conn

    def _segment_of(self, number: int) -> Segment:
        """The segment holding contribution `number`."""
        return self.segments[int(np.searchsorted(self._contribution_starts, number, "right")) - 1]

    def _by_segment(self, numbers: Sequence[int]) -> Iterator[tuple[Segment, list[int]]]:
        """`numbers` (contribution numbers) grouped by segment, as the segment's rowids."""
        groups: dict[int, list[int]] = {}
        for n in numbers:
            i = int(np.searchsorted(self._contribution_starts, n, "right")) - 1
            groups.setdefault(i, []).append(int(n) - self.segments[i].first_contribution + 1)
        for i, rowids in groups.items():
            yield self.segments[i], rowids

    # Contributions ---------------------------------------------------------------------

    def contribution(self, contribution_id: str) -> ContributionRecord | None:
        """The contribution with this source id, or None."""
        for segment in self.segments:
            row = self._db(segment).execute(f"{_SELECT_RECORDS} WHERE id = ?",
                                            (contribution_id,)).fetchone()
            if row:
                return _record(row)
        return None

    def contributions(self, numbers: Sequence[int]) -> dict[int, ContributionRecord]:
        """Records by contribution number."""
        found = {}
        for segment, rowids in self._by_segment(numbers):
            for row in self._in(segment, f"{_SELECT_RECORDS} WHERE rowid IN ({{marks}})",
                                rowids):
                found[row["rowid"] + segment.first_contribution - 1] = _record(row)
        return found

    def contributions_by_id(self, ids: Iterable[str]) -> dict[str, ContributionRecord]:
        """Records by source id (ids not in the index are left out)."""
        wanted, found = list(set(ids)), {}
        for segment in self.segments:
            for row in self._in(segment, f"{_SELECT_RECORDS} WHERE id IN ({{marks}})", wanted):
                found[row["id"]] = _record(row)
        return found

    def ids(self, numbers: Sequence[int]) -> dict[int, str]:
        """Source ids by contribution number."""
        found = {}
        for segment, rowids in self._by_segment(numbers):
            for rowid, cid in self._in(
                    segment, "SELECT rowid, id FROM contributions WHERE rowid IN ({marks})",
                    rowids):
                found[rowid + segment.first_contribution - 1] = cid
        return found

    def records(self, filters: SearchFilters) -> Iterator[ContributionRecord]:
        """Every contribution passing `filters` (taken as they are), in record order."""
        passing = self.passing(filters)
        numbers = (np.arange(1, self.contribution_count + 1) if passing is None
                   else np.flatnonzero(passing) + 1).tolist()
        for start in range(0, len(numbers), _READ_BATCH):
            batch = self.contributions(numbers[start : start + _READ_BATCH])
            yield from (batch[n] for n in numbers[start : start + _READ_BATCH])

    def debate_numbers(self, debate_id: str) -> list[int]:
        """The contribution numbers of the debate with this id, in the record's order (their
        positions in it); none: no such debate."""
        found = []
        for segment in self.segments:
            found += [(position, rowid + segment.first_contribution - 1)
                      for rowid, position in self._db(segment).execute(
                          "SELECT rowid, position FROM contributions WHERE debate_id = ?",
                          (debate_id,))]
        return [number for _, number in sorted(found)]

    # Chunks ----------------------------------------------------------------------------

    def chunks_of(self, numbers: Sequence[int]) -> dict[int, list[ChunkSpan]]:
        """Each contribution's chunks, in order, by contribution number (one query a
        segment)."""
        found: dict[int, list[ChunkSpan]] = {int(n): [] for n in numbers}
        for segment, rowids in self._by_segment(numbers):
            for row in self._in(segment, "SELECT id, ordinal, char_start, char_end, "
                                "contribution_rowid FROM chunks WHERE contribution_rowid "
                                "IN ({marks}) ORDER BY contribution_rowid, ordinal", rowids):
                found[row[4] + segment.first_contribution - 1].append(_span(segment, row))
        return found

    def chunks(self, chunk_ids: Sequence[int]) -> dict[int, ChunkSpan]:
        """Chunks by chunk number (one query a segment)."""
        numbers = np.asarray(chunk_ids, dtype=np.int64)
        which = np.searchsorted(self._chunk_starts, numbers, "right") - 1
        found = {}
        for i in np.unique(which).tolist():
            segment = self.segments[i]
            local = (numbers[which == i] - segment.first_chunk).tolist()
            for row in self._in(segment, f"{_SELECT_CHUNKS} WHERE id IN ({{marks}})", local):
                span = _span(segment, row)
                found[span.id] = span
        return found

    def chunk_of(self, contribution_id: str, ordinal: int) -> ChunkSpan | None:
        """Chunk `ordinal` of the contribution with this source id, or None."""
        for segment in self.segments:
            row = self._db(segment).execute(
                "SELECT chunks.id, ordinal, char_start, char_end FROM chunks JOIN contributions "
                "ON contributions.rowid = chunks.contribution_rowid "
                "WHERE contributions.id = ? AND ordinal = ?",
                (contribution_id, ordinal)).fetchone()
            if row:
                return _span(segment, row)
        return None

    def chunk_vectors(self, chunks: Sequence[int] | np.ndarray) -> np.ndarray:
        """The exact vectors of these chunk numbers, in that order."""
        numbers = np.asarray(chunks, dtype=np.int64)
        out = np.empty((len(numbers), self.segments[0].vectors.exact.dimension if self.segments
                        else 0), dtype=np.float32)
        which = np.searchsorted(self._chunk_starts, numbers, "right") - 1
        for i, segment in enumerate(self.segments):
            mine = np.flatnonzero(which == i)
            if len(mine):
                out[mine] = segment.vectors.exact.rows(numbers[mine] - segment.first_chunk)
        return out

    # Sentences ---------------------------------------------------------------------------

    def sentence_spans(self, ids: Iterable[str]) -> dict[str, list[tuple[int, int]]]:
        """The (start, end) of every sentence of these contributions (by source id), in
        order; an id the index does not hold is left out."""
        ids = list(dict.fromkeys(ids))
        found: dict[str, list[tuple[int, int]]] = {}
        for segment in self.segments:
            for cid, start, end in self._in(
                    segment, "SELECT contributions.id, char_start, char_end "
                    "FROM sentences JOIN contributions ON contributions.rowid = "
                    "contribution_rowid WHERE contributions.id IN ({marks}) "
                    "ORDER BY sentences.id", ids):
                found.setdefault(cid, []).append((start, end))
        return found

    # Filtering -------------------------------------------------------------------------

    def values(self) -> IndexValues:
        """The values the filterable fields take in this index."""
        return self.facets.values()

    def passing(self, filters: SearchFilters) -> np.ndarray | None:
        """Which contributions pass `filters` (taken as they are): one bool per contribution
        number - 1; None when nothing is filtered. Read from memory, not the database."""
        return self.facets.passing(filters)

    def field_codes(self, name: str, numbers: Sequence[int] | np.ndarray) -> np.ndarray:
        """The codes of field `name` (one of facets.COLUMNS) of these contributions, from
        memory: equal codes, equal values; -1, none; codes sort as their values do."""
        return self.facets.codes(name, np.asarray(numbers, dtype=np.int64))

    def value_counts(self, name: str, numbers: Sequence[int] | np.ndarray
                     ) -> list[tuple[str | None, int]]:
        """(value, how many of these contributions have it) of field `name` (one of
        facets.COLUMNS), values in order, None (no value) first; from memory."""
        return self.facets.counts(name, np.asarray(numbers, dtype=np.int64))

    def has_speaker(self, speaker: str) -> bool:
        """Whether any contribution matches the speaker filter `speaker`."""
        return bool(self.facets.speaker(speaker).any())

    def office_holders(self, numbers: Sequence[int]) -> set[int]:
        """Which of these contributions were made by someone holding an office, not from
        the chair (the Speaker's office is no answer to "what did the Government say")."""
        return {n for n in numbers if self.facets.has_office[n - 1]}

    # Retrieval -------------------------------------------------------------------------

    def nearest_contributions(self, vector: np.ndarray, n: int, among: np.ndarray | None = None,
                              nprobe: int = NPROBE) -> list[tuple[int, float, int]]:
        """(contribution number, cosine similarity, chunk number) of the `n` contributions
        whose best chunks lie nearest `vector`, best first; only those `among` selects (one
        bool per contribution number - 1) if given. `nprobe`: how many lists an approximate
        vector index visits (more: slower, nearer exact)."""
        return self.nearest_chunks(vector, n, among, nprobe).contributions(n)

    def nearest_chunks(self, vector: np.ndarray, n: int, among: np.ndarray | None = None,
                       nprobe: int = NPROBE) -> retrieval.NearestChunks:
        """The chunks nearest `vector` that hold the best chunks of the `n` contributions
        nearest it (as nearest_contributions takes its arguments), with their vectors."""
        return retrieval.chunks_for_contributions(self.segments, self.chunk_owner, vector, n,
                                               among, nprobe)

    def keyword_matches(self, query: str, n: int, among: np.ndarray | None = None,
                        feedback: KeywordFeedback | None = None) -> list[tuple[int, float]]:
        """(contribution number, BM25 score) of up to `n` contributions matching `query`'s
        words, best first; only those `among` selects if given. Scores use the whole index's
        document frequencies (keyword.index_wide), whatever segment a contribution is in.
        With `feedback`, the
        query is expanded from its own best matches first (RM3: keyword.relevance_model)."""
        return retrieval.keyword_matches(self.segments, query, n, among, feedback,
                                         lambda numbers: {n: r.text for n, r in
                                                          self.contributions(numbers).items()})

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
        rows = (row for segment in self.segments for row in self._db(segment).execute(sql, args))
        return merged_speakers(rows)[:limit]

    def question_answer_links(self, ids: Iterable[str]) -> list[tuple[str, str]]:
        """(question id, answer id) of every link with one end among `ids`
        (indexer/qa_links.py makes them)."""
        ids = list(dict.fromkeys(ids))
        if not ids:
            return []
        marks = ", ".join("?" * len(ids))
        return [tuple(row) for segment in self.segments for row in self._db(segment).execute(
            f"SELECT question_id, answer_id FROM qa_links WHERE question_id IN ({marks}) "
            f"OR answer_id IN ({marks})", [*ids, *ids])]

    def dates(self) -> list[str]:
        """Every sitting day the index holds, in order."""
        return sorted(self.facets.columns["date"].vocabulary)

    def counts(self) -> IndexCounts:
        """Counts by kind, house, parliament and corpus, with attribution coverage (from the
        filtered fields in memory)."""
        columns = self.facets.columns
        named, party = columns["speaker_name"].codes >= 0, columns["party"].codes >= 0
        dates = columns["date"].vocabulary
        issues = sum(self._db(s).execute("SELECT count(*) FROM issues").fetchone()[0]
                     for s in self.segments)
        return IndexCounts(
            contributions=self.contribution_count,
            chunks=self.chunk_count,
            speakers=len(self.speakers()),
            import_issues=issues + len(self.manifest.corpus_issues),
            by_kind={kind: Coverage(int(mask.sum()), int(named[mask].sum()),
                                    int(party[mask].sum()))
                     for kind, mask in self._groups("kind")},
            by_house={house: int(mask.sum()) for house, mask in self._groups("house")},
            by_parliament={p: int(mask.sum()) for p, mask in self._groups("parliament")},
            by_corpus={corpus: Coverage(int(mask.sum()), int(named[mask].sum()),
                                        int(party[mask].sum()))
                       for corpus, mask in self._groups("corpus")},
            first_date=dates[0] if dates else None,
            last_date=dates[-1] if dates else None,
        )

    # Helpers ---------------------------------------------------------------------------

    def _groups(self, column: str) -> Iterator[tuple[str, np.ndarray]]:
        """Each value of a filtered field, with which contributions have it."""
        field = self.facets.columns[column]
        for code, value in enumerate(field.vocabulary):
            yield value, field.codes == code

    def _in(self, segment: Segment, sql: str, values: Sequence) -> list[sqlite3.Row]:
        """`sql` with its "{marks}" placeholder bound to `values` (none: no rows)."""
        if not len(values):
            return []
        marks = ", ".join("?" * len(values))
        return self._db(segment).execute(sql.format(marks=marks), [*values]).fetchall()


_SELECT_RECORDS = "SELECT rowid, * FROM contributions"
_READ_BATCH = 500  # records per query when reading many
_SELECT_CHUNKS = "SELECT id, ordinal, char_start, char_end FROM chunks"


def _span(segment: Segment, row: Sequence) -> ChunkSpan:
    """A chunk's span from its row (id, ordinal, char_start, char_end)."""
    chunk, ordinal, start, end = row[:4]
    return ChunkSpan(chunk + segment.first_chunk, ordinal, start, end)


def _record(row: sqlite3.Row) -> ContributionRecord:
    chair, offices = row["speaker_chair"], row["offices"]  # offices: a JSON list
    return _from_row(
        ContributionRecord, row, {"column": "column_ref", "previous_id": "prev_id"},
        speaker=_from_row(Speaker, row, {"name": "speaker_name"},
                          chair=None if chair is None else bool(chair),
                          offices=tuple(json.loads(offices)) if offices else None),
        debate=_from_row(Debate, row, {"id": "debate_id", "title": "debate_title"}),
    )


_Record = TypeVar("_Record", bound="DataclassInstance")  # a record, speaker, debate


def _from_row(cls: type[_Record], row: sqlite3.Row, columns: dict[str, str],
              **given: object) -> _Record:
    """A `cls` whose fields are the row's columns of the same name (`columns` names those
    stored under another name); `given` fields are not read from the row."""
    read = {f.name: row[columns.get(f.name, f.name)] for f in fields(cls) if f.name not in given}
    return cls(**read, **given)


def _contains(value: str) -> str:
    """A LIKE pattern matching `value` anywhere, with LIKE's wildcards escaped."""
    escaped = value.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
