"""A segment's SQLite database: its schema, its columns, and how it is opened for reading.

Rows are written by column name (writer.py) and read by column name (reader.py): the
column lists below are the one statement of what a contribution and a chunk row hold.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from indexer.store.layout import DATABASE_FILE

SCHEMA = """
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
CREATE TABLE sentences (  -- what answers quote (their vectors: the machine's vector cache)
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

# The columns of a contribution's row a writer gives, in the schema's order.
CONTRIBUTION_COLUMNS = (
    "id", "corpus", "parliament", "kind", "house", "date", "time", "column_ref", "debate_id",
    "debate_title", "major_heading", "minor_heading", "position", "source_url", "source_file",
    "text", "speaker_name", "person_id", "member_id", "member_name", "party", "party_code",
    "constituency", "peerage", "office", "office_source", "offices", "speaker_chair",
    "tokens_cl100k", "tokens_o200k", "prev_id", "next_id",
)
CHUNK_COLUMNS = ("ordinal", "char_start", "char_end", "pieces", "tokens_cl100k",
                 "tokens_o200k", "text_hash")
_ID_BATCH = 500  # ids per SELECT ... IN (...): SQLite's variable limit is 32,766


@dataclass(frozen=True)
class SourceFile:
    """A source file as an index knows it: which corpus, where in it, which content."""

    corpus: str
    path: str  # relative to the corpus root
    sha256: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.corpus, self.path)


def open_read_only(segment: Path) -> sqlite3.Connection:
    """A read-only connection to segment `segment`'s database, its rows read by column name;
    usable from any thread (each reader thread opens its own: reader.py)."""
    uri = f"{(segment / DATABASE_FILE).absolute().as_uri()}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    return conn


@contextlib.contextmanager
def reading(segment: Path) -> Iterator[sqlite3.Connection]:
    """`open_read_only`, closed on leaving."""
    conn = open_read_only(segment)
    try:
        yield conn
    finally:
        conn.close()


def ids_among(conn: sqlite3.Connection, ids: Sequence[str]) -> set[str]:
    """Which of these contribution ids the database holds."""
    found: set[str] = set()
    ids = list(ids)
    for start in range(0, len(ids), _ID_BATCH):
        batch = ids[start : start + _ID_BATCH]
        marks = ", ".join("?" * len(batch))
        found.update(r[0] for r in conn.execute(
            f"SELECT id FROM contributions WHERE id IN ({marks})", batch))
    return found


def segment_files(segment: Path) -> list[tuple[int, SourceFile]]:
    """The source files segment `segment` holds, with their numbers in it, in order."""
    with reading(segment) as conn:
        return [(number, SourceFile(corpus, path, sha)) for number, corpus, path, sha in
                conn.execute("SELECT number, corpus, path, sha256 FROM files ORDER BY number")]


def insert(conn: sqlite3.Connection, table: str, rows: Sequence[dict]) -> None:
    """Insert `rows` (each a dict of column -> value, all with the same columns)."""
    if not rows:
        return
    columns = list(rows[0])
    conn.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"VALUES ({', '.join(':' + c for c in columns)})", rows)
