"""Writing segments: one SQLite database, vectors, FAISS and BM25 index per segment.

A segment holds whole source files. It is written in a stream, file by file, so a build's
memory depends on the segment size (merging.MergePolicy), not on the corpus: rows go to SQLite and
vectors to disk as they come; only finishing a segment (its BM25 and FAISS indexes) holds the
segment's texts or vectors at once. Once finished a segment is never changed: a later build
keeps it whole (hard links) or writes a new one.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from indexer.contribution import Contribution, ParseIssue
from indexer.store.database import (
    CHUNK_COLUMNS,
    CONTRIBUTION_COLUMNS,
    SCHEMA,
    SourceFile,
    ids_among,
    insert,
    reading,
)
from indexer.store.keyword import KEYWORD_DIR, build_keyword_index
from indexer.store.layout import DATABASE_FILE
from indexer.store.manifest import SegmentEntry
from indexer.store.vector_cache import text_hash
from indexer.store.vectors import EXACT_BELOW, EXACT_FILE, ExactVectors, write_search_index

Row = dict[str, Any]  # a database row: column -> value


class ChunkToStore(Protocol):
    """What the store keeps of a chunk (indexer.text.chunking.Chunk is one)."""

    ordinal: int
    char_start: int
    char_end: int
    pieces: int
    tokens_cl100k: int
    tokens_o200k: int
    embed_text: str


# What a contribution's keyword (BM25) text is, from its stored debate title, speaker name,
# office, party and text: the builder decides (analysis happens before the writer).
KeywordText = Callable[[str, str | None, str | None, str | None, str], str]


@dataclass
class FileRows:
    """One source file's part of a segment, as rows: what a segment writer takes."""

    file: SourceFile
    contributions: list[Row]  # CONTRIBUTION_COLUMNS, in record order
    chunks: list[list[Row]]  # CHUNK_COLUMNS of each contribution's chunks
    vectors: np.ndarray  # one row per chunk, in order
    links: list[tuple[str, str, str]]  # (question id, answer id, rule)
    issues: list[tuple[str, int | None, str]]
    # Each contribution's sentence spans. Their vectors are not stored: answers embed those
    # they may quote, once a machine (search_api/engine/sentence_vectors.py).
    sentences: list[list[tuple[int, int]]]

    @property
    def chunk_count(self) -> int:
        return len(self.vectors)

    def ids(self) -> list[str]:
        return [row["id"] for row in self.contributions]

    def without(self, ids: set[str]) -> FileRows:
        """These rows less the contributions with these ids (their chunks, vectors, links)."""
        keep = [i for i, row in enumerate(self.contributions) if row["id"] not in ids]
        return FileRows(self.file, [self.contributions[i] for i in keep],
                        [self.chunks[i] for i in keep], self.vectors[_rows_of(self.chunks, keep)],
                        [link for link in self.links if not {link[0], link[1]} & ids],
                        self.issues, [self.sentences[i] for i in keep])


def _rows_of(owned: Sequence[Sequence], keep: Sequence[int]) -> list[int]:
    """The rows (of a matrix holding every owner's items in turn) of the owners `keep`."""
    starts = np.cumsum([0] + [len(own) for own in owned])
    return [j for i in keep for j in range(starts[i], starts[i + 1])]


def parsed_file_rows(
    file: SourceFile, contributions: Sequence[Contribution], tokens: Sequence[tuple[int, int]],
    chunks: Sequence[Sequence[ChunkToStore]], vectors: np.ndarray,
    links: Sequence[tuple[str, str, str]], issues: Sequence[ParseIssue],
    sentences: Sequence[Sequence[tuple[int, int]]],
) -> FileRows:
    """The rows of a freshly parsed file: `tokens[i]` is the (cl100k, o200k) count,
    `chunks[i]` the chunks and `sentences[i]` the sentence spans of `contributions[i]`;
    `vectors` those chunks' vectors; `links` the file's (question id, answer id, rule) links
    (indexer/text/qa_links.py)."""
    neighbours = _debate_neighbours(contributions)
    rows = []
    for c, (cl100k, o200k) in zip(contributions, tokens, strict=True):
        s = c.speaker
        prev_id, next_id = neighbours[c.id]
        rows.append({
            "id": c.id, "corpus": c.corpus, "parliament": c.parliament, "kind": str(c.kind),
            "house": c.house, "date": c.date, "time": c.time, "column_ref": c.column,
            "debate_id": c.debate_id, "debate_title": c.debate_title,
            "major_heading": c.major_heading, "minor_heading": c.minor_heading,
            "position": c.position, "source_url": c.source_url, "source_file": c.source_file,
            "text": c.text, "speaker_name": s.name, "person_id": s.person_id,
            "member_id": s.member_id, "member_name": s.member_name, "party": s.party,
            "party_code": s.party_code, "constituency": s.constituency, "peerage": s.peerage,
            "office": s.office, "office_source": s.office_source,
            "offices": json.dumps(s.offices) if s.offices else None, "speaker_chair": s.chair,
            "tokens_cl100k": cl100k, "tokens_o200k": o200k, "prev_id": prev_id,
            "next_id": next_id,
        })
    chunk_rows = [[{"ordinal": ch.ordinal, "char_start": ch.char_start,
                    "char_end": ch.char_end, "pieces": ch.pieces,
                    "tokens_cl100k": ch.tokens_cl100k, "tokens_o200k": ch.tokens_o200k,
                    "text_hash": text_hash(ch.embed_text)} for ch in own]
                  for own in chunks]
    return FileRows(file, rows, chunk_rows, vectors, list(links),
                    [(i.file, i.line, i.message) for i in issues],
                    [list(own) for own in sentences])


def stored_file_rows(segment: Path, file_number: int) -> FileRows:
    """A file's rows as segment `segment` stores them (to write them into another segment
    without parsing or embedding them again)."""
    with reading(segment) as conn:
        corpus, path, sha = conn.execute("SELECT corpus, path, sha256 FROM files WHERE number = ?",
                                         (file_number,)).fetchone()
        rowids, rows = [], []
        for row in conn.execute(f"SELECT rowid, {', '.join(CONTRIBUTION_COLUMNS)} FROM "
                                "contributions WHERE file_number = ? ORDER BY rowid",
                                (file_number,)):
            rowids.append(row["rowid"])
            rows.append({c: row[c] for c in CONTRIBUTION_COLUMNS})
        chunks: dict[int, list[Row]] = {r: [] for r in rowids}
        numbers = []
        for row in conn.execute(
                f"SELECT chunks.id, contribution_rowid, "
                f"{', '.join('chunks.' + c for c in CHUNK_COLUMNS)} FROM chunks "
                "JOIN contributions ON contributions.rowid = contribution_rowid "
                "WHERE file_number = ? ORDER BY chunks.id", (file_number,)):
            numbers.append(row["id"])
            chunks[row["contribution_rowid"]].append({c: row[c] for c in CHUNK_COLUMNS})
        sentences: dict[int, list[tuple[int, int]]] = {r: [] for r in rowids}
        for rowid, start, end in conn.execute(
                "SELECT contribution_rowid, char_start, char_end FROM sentences "
                "JOIN contributions ON contributions.rowid = contribution_rowid "
                "WHERE file_number = ? ORDER BY sentences.id", (file_number,)):
            sentences[rowid].append((start, end))
        links = [tuple(r) for r in conn.execute(
            "SELECT question_id, answer_id, rule FROM qa_links WHERE file_number = ?",
            (file_number,))]
        issues = [tuple(r) for r in conn.execute(
            "SELECT file, line, message FROM issues WHERE file_number = ?", (file_number,))]
    return FileRows(SourceFile(corpus, path, sha), rows, [chunks[r] for r in rowids],
                    ExactVectors(segment / EXACT_FILE).rows(np.array(numbers, dtype=np.int64)),
                    links, issues, [sentences[r] for r in rowids])


class SegmentWriter:
    """Writes one segment into `folder`, file by file; `finish` completes it. Each
    contribution's keyword text is `keyword_text` of its stored fields (default: its text)."""

    def __init__(self, folder: Path, dimension: int, keyword_text: KeywordText | None = None,
                 exact_below: int = EXACT_BELOW):
        folder.mkdir(parents=True)
        self.folder = folder
        self.dimension = dimension
        self.keyword_text = keyword_text or _text_alone
        self.exact_below = exact_below
        self.contribution_count = 0
        self.chunk_count = 0
        self.sentence_count = 0
        self.files: list[SourceFile] = []
        self._conn = sqlite3.connect(folder / DATABASE_FILE)
        self._conn.executescript(SCHEMA)
        self._raw = open(folder / "vectors.f32", "wb")  # noqa: SIM115 - closed by finish

    def holds(self, ids: Sequence[str]) -> set[str]:
        """Which of these contribution ids the segment already has."""
        return ids_among(self._conn, ids)

    def add(self, rows: FileRows) -> None:
        """Append one file's contributions, chunks, vectors, links and issues."""
        conn = self._conn
        number = len(self.files) + 1
        insert(conn, "files", [{"number": number, "corpus": rows.file.corpus,
                                "path": rows.file.path, "sha256": rows.file.sha256}])
        self.files.append(rows.file)
        insert(conn, "contributions", [row | {"file_number": number} for row in rows.contributions])
        chunks: list[Row] = []
        sentences: list[Row] = []
        for rowid, own_chunks, own_sentences in zip(
                range(self.contribution_count + 1, self.contribution_count + 1 + len(rows.chunks)),
                rows.chunks, rows.sentences, strict=True):
            chunks += [chunk | {"id": self.chunk_count + len(chunks) + i,
                                "contribution_rowid": rowid}
                       for i, chunk in enumerate(own_chunks)]
            sentences += [{"id": self.sentence_count + len(sentences) + i,
                           "contribution_rowid": rowid, "char_start": start, "char_end": end}
                          for i, (start, end) in enumerate(own_sentences)]
        insert(conn, "chunks", chunks)
        insert(conn, "sentences", sentences)
        insert(conn, "qa_links", [{"question_id": q, "answer_id": a, "rule": rule,
                                   "file_number": number} for q, a, rule in rows.links])
        insert(conn, "issues", [{"file": file, "line": line, "message": message,
                                 "file_number": number} for file, line, message in rows.issues])
        self._raw.write(np.ascontiguousarray(rows.vectors, dtype=np.float32).tobytes())
        self.contribution_count += len(rows.contributions)
        self.chunk_count += rows.chunk_count
        self.sentence_count += len(sentences)

    def finish(self) -> SegmentEntry:
        """Write the segment's speakers, vectors and keyword index; returns its entry."""
        conn = self._conn
        insert(conn, "speakers", list(_speaker_rows(conn)))
        conn.commit()
        self._raw.close()
        _raw_to_npy(self.folder / "vectors.f32", self.folder / EXACT_FILE, np.float32,
                    (self.chunk_count, self.dimension))
        write_search_index(self.folder, self.exact_below)
        build_keyword_index(self._keyword_texts(), self.folder / KEYWORD_DIR)
        conn.close()
        search = "exact" if self.chunk_count < max(self.exact_below, 1) else "approximate"
        return SegmentEntry(self.folder.name, self.contribution_count, self.chunk_count,
                            self.sentence_count, search)

    def abandon(self) -> None:
        self._raw.close()
        self._conn.close()

    def _keyword_texts(self) -> Iterator[str]:
        """One BM25 text per contribution, in rowid order."""
        for title, name, office, party, text in self._conn.execute(
                "SELECT debate_title, speaker_name, office, party, text FROM contributions "
                "ORDER BY rowid"):
            yield self.keyword_text(title, name, office, party, text)


def _text_alone(title: str, name: str | None, office: str | None, party: str | None,
                text: str) -> str:
    return text


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
    with reading(segment) as conn:
        return ids_among(conn, ids)


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


def _speaker_rows(conn: sqlite3.Connection) -> Iterable[Row]:
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
        yield {"key": key, "person_id": person,
               "name": member or g["printed"].most_common(1)[0][0],
               "printed_names": json.dumps(sorted(g["printed"])), "party": party,
               "constituency": constituency, "peerage": peerage,
               "houses": json.dumps(sorted(g["houses"])), "contributions": g["count"],
               "by_kind": json.dumps(dict(g["kinds"])), "latest_date": date}
