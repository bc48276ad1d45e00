"""Writing segments: one SQLite database, vectors, FAISS and BM25 index per segment.

A segment holds whole source files. It is written in a stream, file by file, so a build's
memory depends on the segment size (SEGMENT_CHUNKS), not on the corpus: rows go to SQLite and
vectors to disk as they come; only finishing a segment (its BM25 and FAISS indexes) holds the
segment's texts or vectors at once. Once finished a segment is never changed: a later build
keeps it whole (hard links) or writes a new one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer.chunking import Chunk, context_line_of
from indexer.contribution import Contribution, ParseIssue
from indexer.qa_links import link_questions
from indexer.store.keyword import KEYWORD_DIR, build_keyword_index
from indexer.store.layout import DATABASE_FILE, SENTENCES_FILE
from indexer.store.vectors import EXACT_BELOW, EXACT_FILE, write_search_index

_SCHEMA = """
CREATE TABLE files (
    number INTEGER PRIMARY KEY, corpus TEXT NOT NULL, path TEXT NOT NULL, sha256 TEXT NOT NULL
);
CREATE TABLE contributions (
    rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, corpus TEXT NOT NULL,
    parliament TEXT NOT NULL, kind TEXT NOT NULL, house TEXT NOT NULL, date TEXT NOT NULL,
    time TEXT, column_ref TEXT, debate_id TEXT NOT NULL, debate_title TEXT NOT NULL,
    major_heading TEXT, minor_heading TEXT, position INTEGER NOT NULL, source_url TEXT,
    source_file TEXT, text TEXT NOT NULL, speaker_name TEXT, person_id TEXT, member_id TEXT,
    member_name TEXT, party TEXT, party_code TEXT, constituency TEXT, peerage TEXT,
    office TEXT, office_source TEXT, offices TEXT, speaker_chair INTEGER,
    tokens_cl100k INTEGER NOT NULL,
    tokens_o200k INTEGER NOT NULL, prev_id TEXT, next_id TEXT,
    file_number INTEGER NOT NULL REFERENCES files
);
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY, contribution_rowid INTEGER NOT NULL REFERENCES contributions,
    ordinal INTEGER NOT NULL, char_start INTEGER NOT NULL, char_end INTEGER NOT NULL,
    pieces INTEGER NOT NULL, tokens_cl100k INTEGER NOT NULL, tokens_o200k INTEGER NOT NULL,
    text_hash TEXT NOT NULL
);
CREATE TABLE sentences (  -- row `id` of sentences.npy: the sentence's vector, for quoting
    id INTEGER PRIMARY KEY, contribution_rowid INTEGER NOT NULL REFERENCES contributions,
    char_start INTEGER NOT NULL, char_end INTEGER NOT NULL
);
CREATE TABLE speakers (
    key TEXT PRIMARY KEY, person_id TEXT, name TEXT NOT NULL, printed_names TEXT NOT NULL,
    party TEXT, constituency TEXT, peerage TEXT, houses TEXT NOT NULL,
    contributions INTEGER NOT NULL, by_kind TEXT NOT NULL, latest_date TEXT NOT NULL
);
CREATE TABLE issues (
    file TEXT NOT NULL, line INTEGER, message TEXT NOT NULL,
    file_number INTEGER NOT NULL REFERENCES files
);
CREATE TABLE qa_links (
    question_id TEXT NOT NULL, answer_id TEXT NOT NULL, rule TEXT NOT NULL,  -- qa_links.py
    file_number INTEGER NOT NULL REFERENCES files
);
CREATE INDEX qa_links_question ON qa_links(question_id);
CREATE INDEX qa_links_answer ON qa_links(answer_id);
CREATE INDEX contributions_date ON contributions(date);
CREATE INDEX contributions_person ON contributions(person_id);
CREATE INDEX contributions_debate ON contributions(debate_id);
CREATE INDEX contributions_file ON contributions(file_number);
CREATE INDEX chunks_contribution ON chunks(contribution_rowid);
CREATE INDEX sentences_contribution ON sentences(contribution_rowid);
"""

CONTRIBUTION_COLUMNS = (
    "id corpus parliament kind house date time column_ref debate_id debate_title major_heading "
    "minor_heading position source_url source_file text speaker_name person_id member_id "
    "member_name party party_code constituency peerage office office_source offices "
    "speaker_chair tokens_cl100k tokens_o200k prev_id next_id"
).split()
CHUNK_COLUMNS = "ordinal char_start char_end pieces tokens_cl100k tokens_o200k text_hash".split()


def text_hash(text: str) -> str:
    """Content key of an embedded text (the embedding cache is keyed by it)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SourceFile:
    """A source file as an index knows it: which corpus, where in it, which content."""

    corpus: str
    path: str  # relative to the corpus root
    sha256: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.corpus, self.path)


@dataclass
class FileRows:
    """One source file's part of a segment, as rows: what a segment writer takes."""

    file: SourceFile
    contributions: list[tuple]  # CONTRIBUTION_COLUMNS values, in record order
    chunks: list[list[tuple]]  # CHUNK_COLUMNS values of each contribution's chunks
    vectors: np.ndarray  # one row per chunk, in order
    links: list[tuple[str, str, str]]
    issues: list[tuple[str, int | None, str]]
    sentences: list[list[tuple[int, int]]]  # each contribution's sentence spans
    sentence_vectors: np.ndarray  # one row per sentence, in order (float16)

    @property
    def chunk_count(self) -> int:
        return len(self.vectors)

    def without(self, ids: set[str]) -> FileRows:
        """These rows less the contributions with these ids (their chunks, vectors, links)."""
        keep = [i for i, row in enumerate(self.contributions) if row[0] not in ids]
        return FileRows(self.file, [self.contributions[i] for i in keep],
                        [self.chunks[i] for i in keep], self.vectors[_rows_of(self.chunks, keep)],
                        [link for link in self.links if not {link[0], link[1]} & ids],
                        self.issues, [self.sentences[i] for i in keep],
                        self.sentence_vectors[_rows_of(self.sentences, keep)])


def _rows_of(owned: Sequence[Sequence], keep: Sequence[int]) -> list[int]:
    """The rows (of a matrix holding every owner's items in turn) of the owners `keep`."""
    starts = np.cumsum([0] + [len(own) for own in owned])
    return [j for i in keep for j in range(starts[i], starts[i + 1])]


def parsed_file_rows(
    file: SourceFile, contributions: Sequence[Contribution], tokens: Sequence[tuple[int, int]],
    chunks: Sequence[Sequence[Chunk]], vectors: np.ndarray, issues: Sequence[ParseIssue],
    sentences: Sequence[Sequence[tuple[int, int]]], sentence_vectors: np.ndarray,
) -> FileRows:
    """The rows of a freshly parsed file: `tokens[i]` is the (cl100k, o200k) count,
    `chunks[i]` the chunks and `sentences[i]` the sentence spans of `contributions[i]`;
    `vectors` and `sentence_vectors` those chunks' and sentences' vectors."""
    neighbours = _debate_neighbours(contributions)
    rows = []
    for c, (cl100k, o200k) in zip(contributions, tokens, strict=True):
        s = c.speaker
        prev_id, next_id = neighbours[c.id]
        rows.append((
            c.id, c.corpus, c.parliament, str(c.kind), c.house, c.date, c.time, c.column,
            c.debate_id, c.debate_title, c.major_heading, c.minor_heading, c.position,
            c.source_url, c.source_file, c.text, s.name, s.person_id, s.member_id,
            s.member_name, s.party, s.party_code, s.constituency, s.peerage, s.office,
            s.office_source, json.dumps(s.offices) if s.offices else None, s.chair,
            cl100k, o200k, prev_id, next_id,
        ))
    chunk_rows = [[(ch.ordinal, ch.char_start, ch.char_end, ch.pieces, ch.tokens_cl100k,
                    ch.tokens_o200k, text_hash(ch.embed_text)) for ch in own]
                  for own in chunks]
    return FileRows(file, rows, chunk_rows, vectors, link_questions(contributions),
                    [(i.file, i.line, i.message) for i in issues],
                    [list(own) for own in sentences],
                    np.asarray(sentence_vectors, dtype=np.float16))


def stored_file_rows(segment: Path, file_number: int, exact: Callable) -> FileRows:
    """A file's rows as segment `segment` stores them (to write them into another segment
    without parsing or embedding them again); `exact(chunk numbers)` reads their vectors."""
    conn = sqlite3.connect(f"file:{segment / DATABASE_FILE}?mode=ro", uri=True)
    try:
        corpus, path, sha = conn.execute("SELECT corpus, path, sha256 FROM files WHERE number = ?",
                                         (file_number,)).fetchone()
        rowids, rows = [], []
        for row in conn.execute(f"SELECT rowid, {', '.join(CONTRIBUTION_COLUMNS)} FROM "
                                "contributions WHERE file_number = ? ORDER BY rowid",
                                (file_number,)):
            rowids.append(row[0])
            rows.append(tuple(row[1:]))
        chunks: dict[int, list[tuple]] = {r: [] for r in rowids}
        numbers = []
        for row in conn.execute(
                f"SELECT chunks.id, contribution_rowid, "
                f"{', '.join('chunks.' + c for c in CHUNK_COLUMNS)} FROM chunks "
                "JOIN contributions ON contributions.rowid = contribution_rowid "
                "WHERE file_number = ? ORDER BY chunks.id", (file_number,)):
            numbers.append(row[0])
            chunks[row[1]].append(tuple(row[2:]))
        sentences: dict[int, list[tuple[int, int]]] = {r: [] for r in rowids}
        sentence_rows = []
        for row in conn.execute(
                "SELECT sentences.id, contribution_rowid, char_start, char_end FROM sentences "
                "JOIN contributions ON contributions.rowid = contribution_rowid "
                "WHERE file_number = ? ORDER BY sentences.id", (file_number,)):
            sentence_rows.append(row[0])
            sentences[row[1]].append((row[2], row[3]))
        links = conn.execute("SELECT question_id, answer_id, rule FROM qa_links "
                             "WHERE file_number = ?", (file_number,)).fetchall()
        issues = conn.execute("SELECT file, line, message FROM issues WHERE file_number = ?",
                              (file_number,)).fetchall()
    finally:
        conn.close()
    stored = np.load(segment / SENTENCES_FILE, mmap_mode="r")
    return FileRows(SourceFile(corpus, path, sha), rows, [chunks[r] for r in rowids],
                    exact(np.array(numbers, dtype=np.int64)), links, issues,
                    [sentences[r] for r in rowids], np.array(stored[sentence_rows]))


class SegmentWriter:
    """Writes one segment into `folder`, file by file; `finish` completes it."""

    def __init__(self, folder: Path, dimension: int, keyword_context: bool,
                 exact_below: int = EXACT_BELOW):
        folder.mkdir(parents=True)
        self.folder = folder
        self.dimension = dimension
        self.keyword_context = keyword_context
        self.exact_below = exact_below
        self.contribution_count = 0
        self.chunk_count = 0
        self.sentence_count = 0
        self.files: list[SourceFile] = []
        self._conn = sqlite3.connect(folder / DATABASE_FILE)
        self._conn.executescript(_SCHEMA)
        self._raw = open(folder / "vectors.f32", "wb")  # noqa: SIM115 - closed by finish
        self._raw_sentences = open(folder / "sentences.f16", "wb")  # noqa: SIM115 - likewise

    def holds(self, ids: Sequence[str]) -> set[str]:
        """Which of these contribution ids the segment already has."""
        return _ids_among(self._conn, ids)

    def add(self, rows: FileRows) -> None:
        """Append one file's contributions, chunks, vectors, links and issues."""
        conn = self._conn
        number = len(self.files) + 1
        conn.execute("INSERT INTO files VALUES (?, ?, ?, ?)",
                     (number, rows.file.corpus, rows.file.path, rows.file.sha256))
        self.files.append(rows.file)
        marks = ", ".join("?" * (len(CONTRIBUTION_COLUMNS) + 1))
        conn.executemany(
            f"INSERT INTO contributions ({', '.join(CONTRIBUTION_COLUMNS)}, file_number) "
            f"VALUES ({marks})", [(*row, number) for row in rows.contributions])
        first_rowid = self.contribution_count + 1
        conn.executemany("INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (
            (self.chunk_count + j, rowid, *chunk)
            for j, (rowid, chunk) in enumerate(
                (first_rowid + i, chunk)
                for i, own in enumerate(rows.chunks) for chunk in own)))
        conn.executemany("INSERT INTO sentences VALUES (?, ?, ?, ?)", (
            (self.sentence_count + j, rowid, start, end)
            for j, (rowid, (start, end)) in enumerate(
                (first_rowid + i, span) for i, own in enumerate(rows.sentences) for span in own)))
        conn.executemany("INSERT INTO qa_links VALUES (?, ?, ?, ?)",
                         [(*link, number) for link in rows.links])
        conn.executemany("INSERT INTO issues VALUES (?, ?, ?, ?)",
                         [(*issue, number) for issue in rows.issues])
        self._raw.write(np.ascontiguousarray(rows.vectors, dtype=np.float32).tobytes())
        self._raw_sentences.write(
            np.ascontiguousarray(rows.sentence_vectors, dtype=np.float16).tobytes())
        self.contribution_count += len(rows.contributions)
        self.chunk_count += rows.chunk_count
        self.sentence_count += len(rows.sentence_vectors)

    def finish(self) -> dict:
        """Write the segment's speakers, vectors and keyword index; returns its summary."""
        conn = self._conn
        conn.executemany("INSERT INTO speakers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         _speaker_rows(conn))
        conn.commit()
        self._raw.close()
        self._raw_sentences.close()
        _raw_to_npy(self.folder / "vectors.f32", self.folder / EXACT_FILE, np.float32,
                    (self.chunk_count, self.dimension))
        _raw_to_npy(self.folder / "sentences.f16", self.folder / SENTENCES_FILE, np.float16,
                    (self.sentence_count, self.dimension))
        write_search_index(self.folder, self.exact_below)
        build_keyword_index(self._keyword_texts(), self.folder / KEYWORD_DIR)
        conn.close()
        search = "exact" if self.chunk_count < max(self.exact_below, 1) else "approximate"
        return {"id": self.folder.name, "contributions": self.contribution_count,
                "chunks": self.chunk_count, "sentences": self.sentence_count, "search": search}

    def abandon(self) -> None:
        self._raw.close()
        self._raw_sentences.close()
        self._conn.close()

    def _keyword_texts(self) -> Iterator[str]:
        """One BM25 text per contribution, in rowid order: with its context line when the
        chunks are embedded with one."""
        for title, name, office, party, text in self._conn.execute(
                "SELECT debate_title, speaker_name, office, party, text FROM contributions "
                "ORDER BY rowid"):
            yield (f"{context_line_of(title, name, office, party)}\n{text}"
                   if self.keyword_context else text)


def _raw_to_npy(raw: Path, npy: Path, dtype, shape: tuple[int, int]) -> None:
    """`raw` (rows written as they came) as an .npy file: its header, then the rows copied a
    block at a time, so no segment's matrix is ever held whole."""
    with open(npy, "wb") as out, open(raw, "rb") as rows:
        np.lib.format.write_array_header_1_0(out, {
            "descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False,
            "shape": shape})
        shutil.copyfileobj(rows, out, 16 * 2**20)
    raw.unlink()


def contribution_ids_among(segment: Path, ids: Sequence[str]) -> set[str]:
    """Which of these contribution ids segment `segment` holds."""
    conn = sqlite3.connect(f"file:{segment / DATABASE_FILE}?mode=ro", uri=True)
    try:
        return _ids_among(conn, ids)
    finally:
        conn.close()


def link_segment(source: Path, target: Path) -> None:
    """Make `target` the same segment as `source` without copying: hard links to its files
    (segments are never changed, so two builds may share them)."""
    for path in source.rglob("*"):
        to = target / path.relative_to(source)
        if path.is_dir():
            to.mkdir(parents=True, exist_ok=True)
        else:
            to.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, to)


def _ids_among(conn: sqlite3.Connection, ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    ids = list(ids)
    for start in range(0, len(ids), 500):
        batch = ids[start : start + 500]
        marks = ", ".join("?" * len(batch))
        found.update(r[0] for r in conn.execute(
            f"SELECT id FROM contributions WHERE id IN ({marks})", batch))
    return found


def _debate_neighbours(
    contributions: Sequence[Contribution],
) -> dict[str, tuple[str | None, str | None]]:
    """Previous and next contribution ids within the same debate section."""
    by_debate: dict[str, list[str]] = {}
    for c in contributions:
        by_debate.setdefault(c.debate_id, []).append(c.id)
    result = {}
    for ids in by_debate.values():
        for i, cid in enumerate(ids):
            result[cid] = (ids[i - 1] if i else None, ids[i + 1] if i + 1 < len(ids) else None)
    return result


def _speaker_rows(conn: sqlite3.Connection) -> Iterable[tuple]:
    """One row per person (or per printed name where the person is unknown), with the
    latest date they spoke: the reader combines segments' rows by it."""
    groups: dict[str, dict] = {}
    for name, person, member, party, constituency, peerage, house, kind, date in conn.execute(
            "SELECT speaker_name, person_id, member_name, party, constituency, peerage, house, "
            "kind, date FROM contributions WHERE speaker_name IS NOT NULL ORDER BY rowid"):
        key = person or f"name:{name}"
        group = groups.setdefault(key, {"printed": Counter(), "houses": set(), "kinds": Counter(),
                                        "count": 0, "latest": None})
        group["printed"][name] += 1
        group["houses"].add(house)
        group["kinds"][kind] += 1
        group["count"] += 1
        if group["latest"] is None or date > group["latest"][0]:
            group["latest"] = (date, person, member, party, constituency, peerage)
    for key, g in groups.items():
        date, person, member, party, constituency, peerage = g["latest"]
        name = member or g["printed"].most_common(1)[0][0]
        yield (key, person, name, json.dumps(sorted(g["printed"])), party, constituency,
               peerage, json.dumps(sorted(g["houses"])), g["count"], json.dumps(dict(g["kinds"])),
               date)
