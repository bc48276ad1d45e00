"""Dense, keyword and hybrid retrieval, filtered, grouped to one result per contribution.

Dense retrieval ranks chunks by cosine similarity (FAISS, exact) and keeps each
contribution's best chunk; keyword retrieval ranks whole contributions with BM25; hybrid
fuses the two candidate lists (see search_api/fusion.py). Filters are applied inside both
retrievers, so a selective filter never empties a page that has matches.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

from indexer import store
from indexer.embedding import Embedder, SentenceTransformerEmbedder
from indexer.errors import EmbedderError
from indexer.keyword import KEYWORD_DIR, KeywordIndex
from search_api.errors import InvalidRequest, UnknownContribution
from search_api.filters import (
    MAX_K,
    MAX_OFFSET,
    MAX_QUERY_CHARS,
    KnownValues,
    SearchFilters,
    compile_filters,
    speaker_clause,
    validate_page,
    validate_query,
)
from search_api.fusion import reciprocal_rank_fusion, weighted_fusion
from search_api.records import ContributionRecord, record_from_row
from search_api.rescoring import rerank_with_cross_encoder, rescore_by_sentences
from search_api.snippets import Snippet, best_chunk_by_words, best_snippet
from search_api.understanding import GOVERNMENT_BOOST, QueryReader, Understanding

__all__ = ["MAX_K", "MAX_OFFSET", "MAX_QUERY_CHARS", "RetrievalConfig", "SearchFilters",
           "SearchIndex"]

MODES = ("hybrid", "dense", "keyword")


@dataclass(frozen=True)
class RetrievalConfig:
    """How to rank; the defaults are the best measured (README, "Retrieval quality")."""

    mode: str = "hybrid"  # hybrid | dense | keyword
    fusion: str = "weighted"  # weighted | rrf (hybrid only)
    dense_weight: float = 0.7  # weighted fusion: dense share, keyword gets the rest
    rrf_k: int = 60
    candidates: int = 100  # per retriever before fusion (at least offset + k)
    rescore_sentences: bool = False  # re-score the top `rescore_depth` by their best sentence
    cross_encoder: str | None = None  # a local CrossEncoder folder to re-rank the top with
    rescore_depth: int = 20

    def __post_init__(self):
        if self.mode not in MODES:
            raise InvalidRequest("mode", f"unknown mode {self.mode!r}; known: {', '.join(MODES)}")
        if self.fusion not in ("weighted", "rrf"):
            raise InvalidRequest("fusion", f"unknown fusion {self.fusion!r}; known: weighted, rrf")


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
    mode: str
    understood: Understanding | None = None  # None when query understanding was off
    hits: list[SearchHit] = field(default_factory=list)


@dataclass(frozen=True)
class _Candidate:
    rowid: int
    score: float
    chunk_id: int | None  # the best chunk, where the retriever knows it


class SearchIndex:
    """A built index opened for searching: vectors and BM25 in memory, metadata in SQLite."""

    def __init__(self, index_dir: Path, embedder: Embedder | None = None,
                 config: RetrievalConfig | None = None):
        self.build = store.resolve_build(index_dir)
        self.manifest = store.read_manifest(index_dir)
        self.vectors = store.load_vectors(self.build)
        self.keyword = KeywordIndex(self.build / KEYWORD_DIR)
        self.config = config or RetrievalConfig()
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
        self.known = KnownValues(self.parties, self.houses, self._distinct("parliament"),
                                 self._distinct("corpus"))
        self.contribution_count = self.db.execute(
            "SELECT count(*) FROM contributions").fetchone()[0]
        self.reader = QueryReader(self.db, self.parties)

    def warm_up(self) -> None:
        """Load the embedding model and touch the indexes, so the first query is not slow."""
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
        self, query: str, k: int = 10, offset: int = 0, filters: SearchFilters | None = None,
        config: RetrievalConfig | None = None, mode: str | None = None,
        understand: bool = True,
    ) -> SearchResults:
        """The `k` contributions (after `offset`) that best answer `query`.

        `config` replaces the index's retrieval configuration; `mode` just its mode. With
        `understand`, a member or party named in the query filters the results (where the
        caller gave no such filter) and asking about the Government favours office-holders.
        """
        query = validate_query(query)
        validate_page(k, offset)
        filters = filters or SearchFilters()
        config = config or self.config
        if mode:
            config = dataclasses.replace(config, mode=mode.strip().lower())
        understood = self.reader.read(query) if understand else None
        if understood:
            filters = _apply(understood, filters)
        if filters.speaker:
            self._check_speaker(filters.speaker)
        allowed = self._passing(filters)
        total = self.contribution_count if allowed is None else len(allowed)
        results = SearchResults(query, k, offset, total, filters.active(), config.mode,
                                understood)
        if total == 0:
            return results
        wanted = offset + k
        ranked = self._rank(query, wanted, allowed, config)
        if understood and understood.government and config.mode != "keyword":
            ranked = self._boost_office_holders(ranked)
        page = ranked[offset:wanted]
        records = self._records([c.rowid for c in page])
        for candidate in page:
            record = records[candidate.rowid]
            chunk_id = candidate.chunk_id
            if chunk_id is None:
                chunk_id = best_chunk_by_words(self._chunks_of(candidate.rowid), record.text,
                                               query)
            results.hits.append(
                SearchHit(record, candidate.score, self._snippet(record, chunk_id, query))
            )
        return results

    def rank(
        self, query: str, n: int = 100, filters: SearchFilters | None = None,
        config: RetrievalConfig | None = None, vector: np.ndarray | None = None,
    ) -> list[tuple[str, float]]:
        """(contribution id, score) of the best `n`, for batch evaluation: no snippets, no
        length limit on the query (benchmark queries can be long), and the query's vector
        may be given (embedding queries in batches is much faster)."""
        if not query.strip():
            raise InvalidRequest("q", "the query is empty")
        allowed = self._passing(filters or SearchFilters())
        ranked = self._rank(query, n, allowed, config or self.config, vector)[:n]
        ids = self._ids([c.rowid for c in ranked])
        return [(ids[c.rowid], c.score) for c in ranked]

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

    # Ranking ---------------------------------------------------------------------------

    def _rank(self, query: str, wanted: int, allowed: np.ndarray | None,
              config: RetrievalConfig, vector: np.ndarray | None = None) -> list[_Candidate]:
        n = max(config.candidates, wanted)
        if config.mode == "keyword":
            return self._keyword(query, n, allowed)
        if vector is None:
            vector = self.embedder.embed([query])
        ranked = dense = self._dense(vector, n, allowed)
        if config.mode == "hybrid":
            keyword = self._keyword(query, n, allowed)
            chunk_of = {c.rowid: c.chunk_id for c in dense}
            lists = [{c.rowid: c.score for c in dense}, {c.rowid: c.score for c in keyword}]
            if config.fusion == "rrf":
                fused = reciprocal_rank_fusion(lists, k=config.rrf_k)
            else:
                fused = weighted_fusion(lists, [config.dense_weight, 1 - config.dense_weight])
            ranked = [_Candidate(rowid, score, chunk_of.get(rowid)) for rowid, score in fused]
        if config.rescore_sentences or config.cross_encoder:
            ranked = self._rescore(query, vector, ranked, config)
        return ranked

    def _rescore(self, query: str, vector: np.ndarray, ranked: list[_Candidate],
                 config: RetrievalConfig) -> list[_Candidate]:
        """Re-score the top `rescore_depth` candidates by their best passage."""
        top, rest = ranked[: config.rescore_depth], ranked[config.rescore_depth :]
        passages = self._passages(top, query)
        scores = [c.score for c in top]
        if config.rescore_sentences:
            scores = rescore_by_sentences(self.embedder, vector, passages, scores)
        if config.cross_encoder:
            scores = rerank_with_cross_encoder(config.cross_encoder, query, passages)
        top = [dataclasses.replace(c, score=s) for c, s in zip(top, scores, strict=True)]
        top.sort(key=lambda c: -c.score)
        floor = min(c.score for c in top) if top else 0.0
        # Keep the re-scored block above the rest, whatever scale the re-scorer uses.
        return top + [dataclasses.replace(c, score=min(c.score, floor)) for c in rest]

    def _passages(self, candidates: Sequence[_Candidate], query: str) -> list[str]:
        """Each candidate's best chunk text (by meaning where known, else by words)."""
        records = self._records([c.rowid for c in candidates])
        passages = []
        for c in candidates:
            text = records[c.rowid].text
            chunk_id = c.chunk_id
            if chunk_id is None:
                chunk_id = best_chunk_by_words(self._chunks_of(c.rowid), text, query)
            start, end = self.db.execute("SELECT char_start, char_end FROM chunks WHERE id = ?",
                                         (chunk_id,)).fetchone()
            passages.append(text[start:end])
        return passages

    def _boost_office_holders(self, ranked: list[_Candidate]) -> list[_Candidate]:
        rowids = [c.rowid for c in ranked]
        marks = ", ".join("?" * len(rowids))
        holders = {r[0] for r in self.db.execute(
            f"SELECT rowid FROM contributions WHERE office IS NOT NULL AND rowid IN ({marks})",
            rowids)}
        boosted = [dataclasses.replace(c, score=c.score + GOVERNMENT_BOOST)
                   if c.rowid in holders else c for c in ranked]
        return sorted(boosted, key=lambda c: -c.score)

    def _dense(self, vector: np.ndarray, n: int, allowed: np.ndarray | None
               ) -> list[_Candidate]:
        """Nearest chunks, one candidate per contribution, until `n` contributions."""
        chunks = None
        if allowed is not None:
            chunks = np.flatnonzero(np.isin(self.chunk_owner, allowed))
        available = self.vectors.ntotal if chunks is None else len(chunks)
        if available == 0:
            return []
        vector = vector.reshape(1, -1)
        faiss.omp_set_num_threads(1)  # per thread; parallelism only hurts single queries
        params = None
        if chunks is not None:
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(chunks))
        fetch = min(available, max(n * 4, 50))
        while True:
            scores, ids = self.vectors.search(vector, fetch, params=params)
            best: dict[int, _Candidate] = {}
            for score, chunk_id in zip(scores[0], ids[0], strict=True):
                if chunk_id < 0:
                    continue
                owner = int(self.chunk_owner[chunk_id])
                if owner not in best:
                    best[owner] = _Candidate(owner, float(score), int(chunk_id))
            if len(best) >= n or fetch >= available:
                return list(best.values())[:n]
            fetch = min(available, fetch * 4)

    def _keyword(self, query: str, n: int, allowed: np.ndarray | None) -> list[_Candidate]:
        mask = None
        if allowed is not None:  # BM25 documents are contributions in rowid order
            mask = np.zeros(self.keyword.size, dtype=np.float32)
            mask[allowed - 1] = 1.0
        hits = self.keyword.search(query, n, mask)
        return [_Candidate(doc + 1, score, None) for doc, score in hits]

    # Filters and records -------------------------------------------------------------------

    def _check_speaker(self, speaker: str) -> None:
        clause, args = speaker_clause(speaker)
        if not self.db.execute(f"SELECT 1 FROM contributions WHERE {clause} LIMIT 1",
                               args).fetchone():
            raise InvalidRequest(
                "speaker", f"no speaker matches {speaker!r}; look names up with /speakers?q=..."
            )

    def _passing(self, filters: SearchFilters) -> np.ndarray | None:
        """Rowids of the contributions that pass the filters, or None when nothing is
        filtered; read once per query and shared by the dense and keyword retrievers."""
        where, args = compile_filters(filters, self.known)
        if not where:
            return None
        rows = self.db.execute(f"SELECT rowid FROM contributions WHERE {where}", args)
        return np.fromiter((r[0] for r in rows), dtype=np.int64)

    def _records(self, rowids: Sequence[int]) -> dict[int, ContributionRecord]:
        if not rowids:
            return {}
        marks = ", ".join("?" * len(rowids))
        rows = self.db.execute(f"SELECT * FROM contributions WHERE rowid IN ({marks})", rowids)
        return {row["rowid"]: record_from_row(row) for row in rows}

    def _ids(self, rowids: Sequence[int]) -> dict[int, str]:
        if not rowids:
            return {}
        marks = ", ".join("?" * len(rowids))
        rows = self.db.execute(f"SELECT rowid, id FROM contributions WHERE rowid IN ({marks})",
                               rowids)
        return dict(rows.fetchall())

    def _chunks_of(self, rowid: int) -> list[tuple[int, int, int]]:
        """(chunk id, char_start, char_end) of a contribution's chunks, in order."""
        rows = self.db.execute(
            "SELECT id, char_start, char_end FROM chunks WHERE contribution_rowid = ? "
            "ORDER BY ordinal", (rowid,))
        return [tuple(r) for r in rows]

    def _snippet(self, record: ContributionRecord, chunk_id: int, query: str) -> Snippet:
        row = self.db.execute(
            "SELECT ordinal, char_start, char_end FROM chunks WHERE id = ?", (chunk_id,)
        ).fetchone()
        return best_snippet(record.text, row["char_start"], row["char_end"], query, row["ordinal"])


def _apply(understood: Understanding, filters: SearchFilters) -> SearchFilters:
    """The caller's filters, plus the speaker and party the query names (caller's win)."""
    changes = {}
    if understood.speaker and not filters.speaker:
        key = understood.speaker
        changes["speaker"] = key.removeprefix("name:")
    if understood.party and not filters.party and not changes:
        changes["party"] = understood.party
    return dataclasses.replace(filters, **changes) if changes else filters
