"""Writing a build: metadata to SQLite, vectors to FAISS, BM25, manifest; then publishing."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from indexer.chunking import Chunk
from indexer.contribution import Contribution, ParseIssue
from indexer.qa_links import link_questions
from indexer.store.keyword import KEYWORD_DIR, build_keyword_index
from indexer.store.layout import DATABASE_FILE, FORMAT_VERSION, MANIFEST_FILE, publish
from indexer.store.vectors import EXACT_BELOW, write_vectors

_SCHEMA = """
CREATE TABLE contributions (
    rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, corpus TEXT NOT NULL,
    parliament TEXT NOT NULL, kind TEXT NOT NULL, house TEXT NOT NULL, date TEXT NOT NULL,
    time TEXT, column_ref TEXT, debate_id TEXT NOT NULL, debate_title TEXT NOT NULL,
    major_heading TEXT, minor_heading TEXT, position INTEGER NOT NULL, source_url TEXT,
    source_file TEXT, text TEXT NOT NULL, speaker_name TEXT, person_id TEXT, member_id TEXT,
    member_name TEXT, party TEXT, party_code TEXT, constituency TEXT, peerage TEXT,
    office TEXT, office_source TEXT, speaker_chair INTEGER, tokens_cl100k INTEGER NOT NULL,
    tokens_o200k INTEGER NOT NULL, prev_id TEXT, next_id TEXT
);
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY, contribution_rowid INTEGER NOT NULL REFERENCES contributions,
    ordinal INTEGER NOT NULL, char_start INTEGER NOT NULL, char_end INTEGER NOT NULL,
    pieces INTEGER NOT NULL, tokens_cl100k INTEGER NOT NULL, tokens_o200k INTEGER NOT NULL,
    text_hash TEXT NOT NULL
);
CREATE TABLE speakers (
    key TEXT PRIMARY KEY, person_id TEXT, name TEXT NOT NULL, printed_names TEXT NOT NULL,
    party TEXT, constituency TEXT, peerage TEXT, houses TEXT NOT NULL,
    contributions INTEGER NOT NULL, by_kind TEXT NOT NULL
);
CREATE TABLE issues (file TEXT NOT NULL, line INTEGER, message TEXT NOT NULL);
CREATE TABLE qa_links (
    question_id TEXT NOT NULL, answer_id TEXT NOT NULL, rule TEXT NOT NULL  -- indexer/qa_links.py
);
CREATE INDEX qa_links_question ON qa_links(question_id);
CREATE INDEX qa_links_answer ON qa_links(answer_id);
CREATE INDEX contributions_date ON contributions(date);
CREATE INDEX contributions_person ON contributions(person_id);
CREATE INDEX contributions_debate ON contributions(debate_id);
CREATE INDEX chunks_contribution ON chunks(contribution_rowid);
"""

CONTRIBUTION_COLUMNS = (
    "id corpus parliament kind house date time column_ref debate_id debate_title major_heading "
    "minor_heading position source_url source_file text speaker_name person_id member_id "
    "member_name party party_code constituency peerage office office_source speaker_chair "
    "tokens_cl100k tokens_o200k prev_id next_id"
).split()


def text_hash(text: str) -> str:
    """Content key of an embedded text (the embedding cache is keyed by it)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_index(
    index_dir: Path,
    contributions: Sequence[Contribution],
    tokens: Sequence[tuple[int, int]],
    chunks: Sequence[Chunk],
    vectors: np.ndarray,
    issues: Sequence[ParseIssue],
    manifest: dict,
    keyword_texts: Sequence[str],
    exact_below: int = EXACT_BELOW,
) -> Path:
    """Write a complete build and make it current in one atomic step; returns its folder.

    `tokens[i]` is the (cl100k, o200k) count of `contributions[i]` and `keyword_texts[i]` its
    text for BM25; `vectors[j]` belongs to `chunks[j]`; the vector index is approximate from
    `exact_below` chunks up. The caller holds `build_lock`.
    """

    def write(folder: Path, build_id: str) -> None:
        _write_database(folder / DATABASE_FILE, contributions, tokens, chunks, issues)
        write_vectors(vectors, folder, exact_below)
        build_keyword_index(keyword_texts, folder / KEYWORD_DIR)
        (folder / MANIFEST_FILE).write_text(json.dumps(
            {"format_version": FORMAT_VERSION, "build_id": build_id, **manifest}, indent=2))

    return publish(index_dir, write)


def _write_database(
    path: Path,
    contributions: Sequence[Contribution],
    tokens: Sequence[tuple[int, int]],
    chunks: Sequence[Chunk],
    issues: Sequence[ParseIssue],
) -> None:
    neighbours = _debate_neighbours(contributions)
    conn = sqlite3.connect(path)
    try:
        conn.executescript(_SCHEMA)
        rows = []
        for c, (cl100k, o200k) in zip(contributions, tokens, strict=True):
            s = c.speaker
            prev_id, next_id = neighbours[c.id]
            rows.append((
                c.id, c.corpus, c.parliament, str(c.kind), c.house, c.date, c.time, c.column,
                c.debate_id, c.debate_title, c.major_heading, c.minor_heading, c.position,
                c.source_url, c.source_file, c.text, s.name, s.person_id, s.member_id,
                s.member_name, s.party, s.party_code, s.constituency, s.peerage, s.office,
                s.office_source, s.chair, cl100k, o200k, prev_id, next_id,
            ))
        placeholders = ", ".join("?" * len(CONTRIBUTION_COLUMNS))
        conn.executemany(
            f"INSERT INTO contributions ({', '.join(CONTRIBUTION_COLUMNS)}) "
            f"VALUES ({placeholders})",
            rows,
        )
        rowid_of = {c.id: i + 1 for i, c in enumerate(contributions)}
        conn.executemany(
            "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (j, rowid_of[ch.contribution_id], ch.ordinal, ch.char_start, ch.char_end,
                 ch.pieces, ch.tokens_cl100k, ch.tokens_o200k, text_hash(ch.embed_text))
                for j, ch in enumerate(chunks)
            ],
        )
        conn.executemany("INSERT INTO speakers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         _speaker_rows(contributions))
        conn.executemany("INSERT INTO issues VALUES (?, ?, ?)",
                         [(i.file, i.line, i.message) for i in issues])
        conn.executemany("INSERT INTO qa_links VALUES (?, ?, ?)", link_questions(contributions))
        conn.commit()
    finally:
        conn.close()


def _debate_neighbours(
    contributions: Sequence[Contribution],
) -> dict[str, tuple[str | None, str | None]]:
    """Previous and next contribution ids within the same debate section."""
    by_debate: dict[str, list[str]] = defaultdict(list)
    for c in contributions:
        by_debate[c.debate_id].append(c.id)
    result = {}
    for ids in by_debate.values():
        for i, cid in enumerate(ids):
            result[cid] = (ids[i - 1] if i else None, ids[i + 1] if i + 1 < len(ids) else None)
    return result


def _speaker_rows(contributions: Sequence[Contribution]) -> list[tuple]:
    """One row per person (or per printed name where the person is unknown)."""
    groups: dict[str, list[Contribution]] = defaultdict(list)
    for c in contributions:
        if c.speaker.name is None:
            continue
        key = c.speaker.person_id or f"name:{c.speaker.name}"
        groups[key].append(c)
    rows = []
    for key, items in groups.items():
        latest = max(items, key=lambda c: c.date).speaker
        printed = Counter(c.speaker.name for c in items)
        name = latest.member_name or printed.most_common(1)[0][0]
        rows.append((
            key, latest.person_id, name, json.dumps(sorted(printed)), latest.party,
            latest.constituency, latest.peerage,
            json.dumps(sorted({c.house for c in items})), len(items),
            json.dumps(dict(Counter(str(c.kind) for c in items))),
        ))
    return rows
