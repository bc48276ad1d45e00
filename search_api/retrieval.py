"""Dense retrieval over chunks, filtered, grouped to one result per contribution."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path

import faiss
import numpy as np

from indexer import store
from indexer.contribution import Kind
from indexer.embedding import Embedder, SentenceTransformerEmbedder
from indexer.errors import EmbedderError
from indexer.members import party_aliases
from search_api.errors import InvalidRequest, UnknownContribution
from search_api.records import ContributionRecord, record_from_row
from search_api.snippets import Snippet, best_snippet

MAX_QUERY_CHARS = 500
MAX_K = 100
MAX_OFFSET = 10_000


@dataclass(frozen=True)
class SearchFilters:
    """Restrictions on which contributions may be returned; None means any."""

    speaker: str | None = None  # a name (case-insensitive substring) or a person id
    party: str | None = None  # full name or code, e.g. "Labour" or "Lab"
    house: str | None = None
    kind: str | None = None
    date_from: str | None = None  # ISO date, inclusive
    date_to: str | None = None
    debate: str | None = None  # case-insensitive substring of the debate title

    def __post_init__(self):
        # A blank value (an empty form field) means no filter, not "matches everything".
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, str):
                object.__setattr__(self, f.name, value.strip() or None)

    def active(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


@dataclass
class SearchHit:
    contribution: ContributionRecord
    score: float
    snippet: Snippet


@dataclass
class SearchResults:
    query: str
    k: int
    offset: int
    total: int  # contributions that pass the filters (all of them are ranked)
    filters: dict[str, str]
    hits: list[SearchHit] = field(default_factory=list)


class SearchIndex:
    """A built index opened for searching: vectors in memory, metadata in SQLite."""

    def __init__(self, index_dir: Path, embedder: Embedder | None = None):
        self.build = store.resolve_build(index_dir)
        self.manifest = store.read_manifest(index_dir)
        self.vectors = store.load_vectors(self.build)
        self._local = threading.local()
        self.embedder = embedder or SentenceTransformerEmbedder(
            self.manifest["model"]["path"] or None
        )
        if self.embedder.fingerprint != self.manifest["model"]["fingerprint"]:
            raise EmbedderError(
                f"index at {index_dir} was built with {self.manifest['model']['name']} "
                f"({self.manifest['model']['fingerprint']}), not {self.embedder.fingerprint}; "
                "search it with the same model or rebuild it"
            )
        rows = self.db.execute("SELECT contribution_rowid FROM chunks ORDER BY id").fetchall()
        self.chunk_owner = np.array([r[0] for r in rows], dtype=np.int64)
        self.parties = self._distinct("party")
        self.houses = self._distinct("house")
        self.kinds = self._distinct("kind")
        self.contribution_count = self.db.execute(
            "SELECT count(*) FROM contributions").fetchone()[0]

    def warm_up(self) -> None:
        """Load the embedding model and touch the vectors, so the first query is not slow."""
        self.search("warm up", k=1)

    @property
    def db(self):
        """A connection per thread: FastAPI answers requests on a thread pool."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = store.connect(self.build)
        return conn

    def _distinct(self, column: str) -> list[str]:
        rows = self.db.execute(f"SELECT DISTINCT {column} FROM contributions")
        return sorted(r[0] for r in rows if r[0])

    def search(
        self, query: str, k: int = 10, offset: int = 0, filters: SearchFilters | None = None
    ) -> SearchResults:
        """The `k` contributions (after `offset`) whose best chunk is nearest to `query`."""
        query = validate_query(query)
        validate_page(k, offset)
        filters = filters or SearchFilters()
        allowed = self._allowed_chunks(filters)
        total = self._count(filters) if allowed is not None else self.contribution_count
        results = SearchResults(query, k, offset, total, filters.active())
        available = self.vectors.ntotal if allowed is None else len(allowed)
        if available == 0:
            return results
        vector = self.embedder.embed([query])
        wanted = offset + k
        fetch = min(available, max(wanted * 4, 50))
        while True:
            best = self._nearest_by_contribution(vector, fetch, allowed)
            if len(best) >= wanted or fetch >= available:
                break
            fetch = min(available, fetch * 4)
        page = best[offset:wanted]
        records = self._records([rowid for rowid, _, _ in page])
        for rowid, score, chunk_id in page:
            record = records[rowid]
            results.hits.append(SearchHit(record, score, self._snippet(record, chunk_id, query)))
        return results

    def contribution(self, contribution_id: str) -> ContributionRecord:
        row = self.db.execute(
            "SELECT * FROM contributions WHERE id = ?", (contribution_id,)
        ).fetchone()
        if row is None:
            raise UnknownContribution(contribution_id)
        return record_from_row(row)

    def contribution_in_context(
        self, contribution_id: str
    ) -> tuple[ContributionRecord, ContributionRecord | None, ContributionRecord | None]:
        """A contribution with the previous and next ones of its debate."""
        record = self.contribution(contribution_id)
        previous = self.contribution(record.previous_id) if record.previous_id else None
        following = self.contribution(record.next_id) if record.next_id else None
        return record, previous, following

    def _nearest_by_contribution(
        self, vector: np.ndarray, fetch: int, allowed: np.ndarray | None
    ) -> list[tuple[int, float, int]]:
        """(contribution rowid, score, best chunk id), best first, one per contribution."""
        faiss.omp_set_num_threads(1)  # per thread; parallelism only hurts single queries
        params = None
        if allowed is not None:
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed))
        scores, ids = self.vectors.search(vector, fetch, params=params)
        best: dict[int, tuple[float, int]] = {}
        for score, chunk_id in zip(scores[0], ids[0], strict=True):
            if chunk_id < 0:
                continue
            owner = int(self.chunk_owner[chunk_id])
            if owner not in best:
                best[owner] = (float(score), int(chunk_id))
        return [(rowid, s, c) for rowid, (s, c) in best.items()]

    def _records(self, rowids: Sequence[int]) -> dict[int, ContributionRecord]:
        if not rowids:
            return {}
        marks = ", ".join("?" * len(rowids))
        rows = self.db.execute(f"SELECT * FROM contributions WHERE rowid IN ({marks})", rowids)
        return {row["rowid"]: record_from_row(row) for row in rows}

    def _snippet(self, record: ContributionRecord, chunk_id: int, query: str) -> Snippet:
        row = self.db.execute(
            "SELECT ordinal, char_start, char_end FROM chunks WHERE id = ?", (chunk_id,)
        ).fetchone()
        return best_snippet(record.text, row["char_start"], row["char_end"], query, row["ordinal"])

    # Filters ---------------------------------------------------------------------------

    def _where(self, filters: SearchFilters) -> tuple[str, list]:
        clauses, args = [], []
        if filters.speaker:
            clause, speaker_args = _speaker_clause(filters.speaker)
            clauses.append(clause)
            args += speaker_args
        if filters.party:
            clauses.append("party = ?")
            args.append(self._known_party(filters.party))
        if filters.house:
            clauses.append("house = ?")
            args.append(_pick("house", filters.house, self.houses))
        if filters.kind:
            clauses.append("kind = ?")
            args.append(_pick("kind", filters.kind, [k.value for k in Kind]))
        date_from = _parse_date("date_from", filters.date_from)
        date_to = _parse_date("date_to", filters.date_to)
        if date_from and date_to and date_from > date_to:
            raise InvalidRequest("date_from", f"date_from {date_from} is after date_to {date_to}")
        if date_from:
            clauses.append("date >= ?")
            args.append(date_from)
        if date_to:
            clauses.append("date <= ?")
            args.append(date_to)
        if filters.debate:
            clauses.append("debate_title LIKE ? ESCAPE '\\'")
            args.append(_contains(filters.debate))
        return " AND ".join(clauses), args

    def _allowed_chunks(self, filters: SearchFilters) -> np.ndarray | None:
        """Chunk ids that pass the filters, or None when nothing is filtered."""
        where, args = self._where(filters)
        if not where:
            return None
        if filters.speaker:
            clause, speaker_args = _speaker_clause(filters.speaker)
            known = self.db.execute(f"SELECT 1 FROM contributions WHERE {clause} LIMIT 1",
                                    speaker_args).fetchone()
        if filters.speaker and not known:
            raise InvalidRequest(
                "speaker",
                f"no speaker matches {filters.speaker!r}; look names up with /speakers?q=...",
            )
        rows = self.db.execute(
            f"SELECT chunks.id FROM chunks JOIN contributions "
            f"ON contributions.rowid = chunks.contribution_rowid WHERE {where}",
            args,
        )
        return np.fromiter((r[0] for r in rows), dtype=np.int64)

    def _count(self, filters: SearchFilters) -> int:
        where, args = self._where(filters)
        sql = "SELECT count(*) FROM contributions" + (f" WHERE {where}" if where else "")
        return self.db.execute(sql, args).fetchone()[0]

    def _known_party(self, value: str) -> str:
        aliases = {name.lower(): name for name in self.parties}
        aliases.update({a: n for a, n in party_aliases().items() if n in self.parties})
        try:
            return aliases[value.strip().lower()]
        except KeyError:
            raise InvalidRequest(
                "party", f"unknown party {value!r}; known: {', '.join(self.parties)}"
            ) from None


def validate_query(query: str | None) -> str:
    query = (query or "").strip()
    if not query:
        raise InvalidRequest("q", "the query is empty; type a question or some words")
    if len(query) > MAX_QUERY_CHARS:
        raise InvalidRequest(
            "q", f"the query is {len(query)} characters long; the most allowed is {MAX_QUERY_CHARS}"
        )
    return query


def validate_page(k: int, offset: int) -> None:
    if not 1 <= k <= MAX_K:
        raise InvalidRequest("k", f"k must be between 1 and {MAX_K}, not {k}")
    if not 0 <= offset <= MAX_OFFSET:
        raise InvalidRequest("offset", f"offset must be between 0 and {MAX_OFFSET}, not {offset}")


def _contains(value: str) -> str:
    """A LIKE pattern matching `value` anywhere, with LIKE's wildcards escaped."""
    escaped = value.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _speaker_clause(value: str) -> tuple[str, list[str]]:
    pattern = _contains(value)
    return (
        "(person_id = ? OR speaker_name LIKE ? ESCAPE '\\' OR member_name LIKE ? ESCAPE '\\')",
        [value.strip(), pattern, pattern],
    )


def _pick(name: str, value: str, known: Sequence[str]) -> str:
    for option in known:
        if option.lower() == value.strip().lower():
            return option
    raise InvalidRequest(name, f"unknown {name} {value!r}; known: {', '.join(known)}")


def _parse_date(name: str, value: str | None) -> str | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise InvalidRequest(name, f"{name} {value!r} is not a date; use YYYY-MM-DD") from None
