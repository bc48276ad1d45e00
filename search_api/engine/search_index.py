"""Dense, keyword and hybrid retrieval, filtered, grouped to one result per contribution.

Dense retrieval ranks chunks by cosine similarity and keeps each contribution's best chunk;
keyword retrieval ranks whole contributions with BM25; hybrid fuses the two candidate lists
(see fusion.py). Filters are applied inside both retrievers, so a selective filter never
empties a page that has matches.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from indexer.embedding import Embedder, EmbedderSpec
from indexer.errors import EmbedderError
from indexer.store.reader import IndexReader
from indexer.store.records import ContributionRecord, KeywordFeedback, SearchFilters
from indexer.store.vectors import NPROBE
from search_api.engine.browsing import (
    Browsing,
    DebateSummary,
    FacetCount,
    by_debate,
    count_facets,
    in_order,
    matches,
)
from search_api.engine.checks import check_filters, validate_page, validate_query
from search_api.engine.fusion import reciprocal_rank_fusion, weighted_fusion
from search_api.engine.rescoring import rerank_with_cross_encoder, rescore_by_sentences
from search_api.engine.snippets import Snippet, best_chunk_by_words, best_snippet
from search_api.engine.understanding import (
    GOVERNMENT_BOOST,
    QueryReader,
    Understanding,
    question_subject,
)
from search_api.errors import InvalidRequest, UnknownContribution

MODES = ("hybrid", "dense", "keyword")
FUSIONS = ("weighted", "rrf")


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
    nprobe: int = NPROBE  # lists an approximate vector index visits (large indexes only)
    # Search the question's subject, without its framing ("What steps is the Government
    # taking to ..."): understanding.question_subject.
    strip_framing: bool = True
    # Hybrid only: dense pseudo-relevance feedback (Rocchio), the query's vector moved towards
    # the mean of its best `feedback_docs` chunks, weighted `feedback_weight` (the query's is
    # 1), before the dense half is searched again. Dense mode keeps plain cosine scores.
    feedback_docs: int = 10
    feedback_weight: float = 0.5
    # RM3 expansion of the keyword query from its best `keyword_feedback_docs` matches (0:
    # off), `keyword_feedback_terms` words added, the query's own keeping
    # `keyword_original_weight` (indexer/store/keyword.py, relevance_model).
    keyword_feedback_docs: int = 0
    keyword_feedback_terms: int = 10
    keyword_original_weight: float = 0.5

    def __post_init__(self):
        if self.mode not in MODES:
            raise InvalidRequest("mode", f"unknown mode {self.mode!r}; known: {', '.join(MODES)}")
        if self.fusion not in FUSIONS:
            raise InvalidRequest("fusion",
                                 f"unknown fusion {self.fusion!r}; known: {', '.join(FUSIONS)}")


@dataclass
class SearchHit:
    contribution: ContributionRecord
    score: float
    snippet: Snippet


@dataclass
class DebateGroup:
    debate: DebateSummary
    count: int  # its contributions that match
    hits: list[SearchHit]  # the best of them


@dataclass
class SearchResults:
    query: str
    k: int
    offset: int
    # Contributions that pass the filters (a plain search ranks all of them); sorted by date
    # or grouped: those of them that match the query (browsing.py), the ones listed.
    total: int
    filters: dict[str, str]
    mode: str
    understood: Understanding | None = None  # None when query understanding was off
    hits: list[SearchHit] = field(default_factory=list)  # none when grouped
    browsing: Browsing = field(default_factory=Browsing)
    groups: list[DebateGroup] | None = None  # grouped: this page's debates
    matches: int | None = None  # browsing: contributions that match the query
    total_groups: int | None = None  # grouped: debates that match
    facets: dict[str, list[FacetCount]] | None = None
    facet_date_unit: str | None = None  # day, month or year, with a date facet

    def every_hit(self) -> list[SearchHit]:
        """The page's hits, those of its groups included."""
        return self.hits + [hit for group in self.groups or () for hit in group.hits]


@dataclass(frozen=True)
class _Candidate:
    number: int  # the contribution's number in the index (IndexReader)
    score: float
    chunk_id: int | None  # the best chunk, where the retriever knows it


class SearchIndex:
    """A built index opened for searching, with the model that embeds its queries."""

    def __init__(self, index_dir: Path, embedder: Embedder | None = None,
                 config: RetrievalConfig | None = None, spec: EmbedderSpec | None = None,
                 verify: bool = False):
        """Without `embedder`, one is opened as `spec` says (default: the backend that
        suits the machine), of the model the index records unless `spec` names one. With
        `verify`, the build's files are checked against its manifest first."""
        self.store = IndexReader(index_dir, verify=verify)
        try:
            self._open(index_dir, embedder, config, spec)
        except BaseException:
            self.store.close()
            raise

    def _open(self, index_dir: Path, embedder: Embedder | None,
              config: RetrievalConfig | None, spec: EmbedderSpec | None) -> None:
        self.manifest = self.store.manifest
        self.config = config or RetrievalConfig()
        if embedder is None:
            spec = spec or EmbedderSpec()
            if spec.model_path is None:
                spec = dataclasses.replace(spec, model_path=self.manifest["model"]["path"] or None)
            embedder = spec.open()
        self.embedder = embedder
        if self.embedder.fingerprint != self.manifest["model"]["fingerprint"]:
            raise EmbedderError(
                f"index at {index_dir} was built with {self.manifest['model']['name']} "
                f"({self.manifest['model']['fingerprint']}), not {self.embedder.fingerprint}; "
                "search it with the same model or rebuild it"
            )
        self.values = self.store.values()
        self.query_reader = QueryReader(self.store.speakers(), self.values.parties)
        self._last_query = threading.local()

    @property
    def build_id(self) -> str:
        """The build this index reads (its folder's name)."""
        return self.store.build.name

    @property
    def checked_by_checksums(self) -> bool:
        """Opened with `verify`, and every file proven by its checksum."""
        return bool(self.store.check and self.store.check.checksums)

    def close(self) -> None:
        """Let go of the build (also done when the index is garbage)."""
        self.store.close()

    def query_vector(self, query: str) -> np.ndarray:
        """The query's vector, shape (1, dimension), read-only. The last query's vector is
        kept per thread, so one request embeds its query once (/answer searches, may search
        again without query understanding, then scores sentences against it) and no request
        is answered from another's work (benchmarks time every embedding)."""
        last = self._last_query
        if getattr(last, "query", None) != query:
            last.vector = self.embedder.embed([query])
            last.vector.setflags(write=False)
            last.query = query
        return last.vector

    def warm_up(self) -> None:
        """Load the embedding model and touch the indexes, so the first query is not slow."""
        self.search("warm up", k=1)

    def search(
        self, query: str, k: int = 10, offset: int = 0, filters: SearchFilters | None = None,
        config: RetrievalConfig | None = None, mode: str | None = None,
        understand: bool = True, browsing: Browsing | None = None,
    ) -> SearchResults:
        """The `k` contributions (after `offset`) that best answer `query`.

        `config` replaces the index's retrieval configuration; `mode` just its mode. With
        `understand`, a member or party named in the query filters the results (where the
        caller gave no such filter) and asking about the Government favours office-holders.
        `browsing` sorts the query's matches by date, groups them by debate (`k` and `offset`
        then count debates) or counts them by facet (browsing.py).
        """
        query = validate_query(query)
        validate_page(k, offset)
        filters = filters or SearchFilters()
        config = config or self.config
        mode = (mode or "").strip().lower()  # blank: the configured mode
        if mode:
            config = dataclasses.replace(config, mode=mode)
        understood = self.query_reader.read(query) if understand else None
        if understood:
            filters = _apply(understood, filters)
        if filters.speaker and not self.store.has_speaker(filters.speaker):
            raise InvalidRequest("speaker", f"no speaker matches {filters.speaker!r}; look "
                                            "names up with /speakers?q=...")
        allowed = self.store.passing(check_filters(filters, self.values))
        total = self.store.contribution_count if allowed is None else int(allowed.sum())
        browsing = browsing or Browsing()
        results = SearchResults(query, k, offset, total, filters.active(), config.mode,
                                understood, browsing=browsing)
        if not total:
            if not browsing.plain:
                self._browse(results, [])
            return results
        if not browsing.lists_matches:
            ranked = self._ranked(query, offset + k, allowed, config, understood)
            results.hits = self._hits(ranked[offset : offset + k], query)
            if browsing.plain:
                return results
            if allowed is None and offset + k <= config.candidates:
                self._browse(results, matches(ranked))  # the same ranking: no need of another
                return results
        # The query's matches, whatever the filters and the page, then those that pass the
        # filters: what a facet counts is what choosing its value lists (browsing.py).
        ranked = self._ranked(query, config.candidates, None, config, understood)
        self._browse(results, [c for c in matches(ranked)
                               if allowed is None or allowed[c.number - 1]])
        return results

    def _ranked(self, query: str, wanted: int, allowed: np.ndarray | None,
                config: RetrievalConfig, understood: Understanding | None) -> list[_Candidate]:
        """`_rank`'s candidates, office-holders favoured if the query asks the Government."""
        ranked = self._rank(query, wanted, allowed, config)
        if understood and understood.government and config.mode != "keyword":
            ranked = self._boost_office_holders(ranked)
        return ranked

    def _browse(self, results: SearchResults, found: list[_Candidate]) -> None:
        """Count the query's matches `found` (best first) as `results.browsing` says and,
        where it lists them, fill the page with them, sorted and grouped."""
        browsing, page = results.browsing, slice(results.offset, results.offset + results.k)
        numbers = np.array([c.number for c in found], dtype=np.int64)
        results.matches = len(found)
        if browsing.facets:
            results.facets, results.facet_date_unit = count_facets(self.store, numbers,
                                                                   browsing.facets)
        if not browsing.lists_matches:
            return
        results.total = len(found)
        ordered = in_order(found, browsing.sort, self.store.field_codes("date", numbers))
        if not browsing.group:
            results.hits = self._hits(ordered[page], results.query)
            return
        groups = by_debate(found, self.store.field_codes("debate_id", numbers), ordered)
        results.total_groups = len(groups)
        shown = groups[page]
        hits = iter(self._hits([c for members in shown for c in members[: browsing.per_group]],
                               results.query))
        results.groups = []
        for members in shown:
            best = [next(hits) for _ in members[: browsing.per_group]]
            record = best[0].contribution
            results.groups.append(DebateGroup(
                DebateSummary(record.debate.id, record.debate.title, record.house, record.date),
                len(members), best))

    def _hits(self, page: Sequence[_Candidate], query: str) -> list[SearchHit]:
        """The page's candidates with their records and snippets, in order."""
        records = self.store.contributions([c.number for c in page])
        hits = []
        for candidate in page:
            record = records[candidate.number]
            chunk = self._best_chunk(candidate, record, query)
            snippet = best_snippet(record.text, chunk.start, chunk.end, query, chunk.ordinal)
            hits.append(SearchHit(record, candidate.score, snippet))
        return hits

    def rank(
        self, query: str, n: int = 100, filters: SearchFilters | None = None,
        config: RetrievalConfig | None = None, vector: np.ndarray | None = None,
    ) -> list[tuple[str, float]]:
        """(contribution id, score) of the best `n`, for batch evaluation: no snippets, no
        length limit on the query (benchmark queries can be long), and the query's vector
        may be given (embedding queries in batches is much faster)."""
        if not query.strip():
            raise InvalidRequest("q", "the query is empty")
        allowed = self.store.passing(check_filters(filters or SearchFilters(), self.values))
        ranked = self._rank(query, n, allowed, config or self.config, vector)[:n]
        ids = self.store.ids([c.number for c in ranked])
        return [(ids[c.number], c.score) for c in ranked]

    def contribution(self, contribution_id: str) -> ContributionRecord:
        record = self.store.contribution(contribution_id)
        if record is None:
            raise UnknownContribution(contribution_id)
        return record

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
        """The best `wanted` (or more) candidates; `vector`, where given, is the vector of
        `searched_text(query, config)`."""
        n = max(config.candidates, wanted)
        query = searched_text(query, config)
        if config.mode == "keyword":
            return self._keyword(query, n, allowed, config)
        if vector is None:
            vector = self.query_vector(query)
        ranked = dense = self._dense(vector, n, allowed, config.nprobe)
        if config.feedback_docs and config.mode == "hybrid":
            vector = self._with_feedback(vector, dense, config)
            ranked = dense = self._dense(vector, n, allowed, config.nprobe)
        if config.mode == "hybrid":
            keyword = self._keyword(query, n, allowed, config)
            chunk_of = {c.number: c.chunk_id for c in dense}
            lists = [{c.number: c.score for c in dense}, {c.number: c.score for c in keyword}]
            if config.fusion == "rrf":
                fused = reciprocal_rank_fusion(lists, k=config.rrf_k)
            else:
                fused = weighted_fusion(lists, [config.dense_weight, 1 - config.dense_weight])
            ranked = [_Candidate(number, score, chunk_of.get(number)) for number, score in fused]
        if config.rescore_sentences or config.cross_encoder:
            ranked = self._rescore(query, vector, ranked, config)
        return ranked

    def _with_feedback(self, vector: np.ndarray, dense: list[_Candidate],
                       config: RetrievalConfig) -> np.ndarray:
        """Rocchio's pseudo-relevance feedback, dense: the query moved towards the mean of
        its best chunks (taken as relevant), normalised."""
        top = [c.chunk_id for c in dense[: config.feedback_docs] if c.chunk_id is not None]
        if not top:
            return vector
        moved = (vector.reshape(-1)
                 + config.feedback_weight * self.store.chunk_vectors(top).mean(axis=0))
        return (moved / np.linalg.norm(moved)).astype(np.float32).reshape(1, -1)

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
        records = self.store.contributions([c.number for c in candidates])
        passages = []
        for c in candidates:
            text = records[c.number].text
            chunk = self._best_chunk(c, records[c.number], query)
            passages.append(text[chunk.start:chunk.end])
        return passages

    def _best_chunk(self, candidate: _Candidate, record: ContributionRecord, query: str):
        """The candidate's best chunk: the retriever's, else the one sharing most words."""
        if candidate.chunk_id is not None:
            return self.store.chunk(candidate.chunk_id)
        return best_chunk_by_words(self.store.chunks_of(candidate.number), record.text, query)

    def _boost_office_holders(self, ranked: list[_Candidate]) -> list[_Candidate]:
        holders = self.store.office_holders([c.number for c in ranked])
        boosted = [dataclasses.replace(c, score=c.score + GOVERNMENT_BOOST)
                   if c.number in holders else c for c in ranked]
        return sorted(boosted, key=lambda c: -c.score)

    def _dense(self, vector: np.ndarray, n: int, allowed: np.ndarray | None, nprobe: int
               ) -> list[_Candidate]:
        """The `n` contributions with the nearest chunks, each with its best chunk."""
        return [_Candidate(number, score, chunk_id) for number, score, chunk_id
                in self.store.nearest_contributions(vector, n, allowed, nprobe)]

    def _keyword(self, query: str, n: int, allowed: np.ndarray | None,
                 config: RetrievalConfig) -> list[_Candidate]:
        feedback = (KeywordFeedback(config.keyword_feedback_docs, config.keyword_feedback_terms,
                                    config.keyword_original_weight)
                    if config.keyword_feedback_docs else None)
        return [_Candidate(number, score, None)
                for number, score in self.store.keyword_matches(query, n, allowed, feedback)]


def searched_text(query: str, config: RetrievalConfig) -> str:
    """What retrieval searches for: the query, or its subject where the framing is stripped."""
    return question_subject(query) if config.strip_framing else query


def _apply(understood: Understanding, filters: SearchFilters) -> SearchFilters:
    """The caller's filters, plus the speaker and party the query names (caller's win)."""
    changes = {}
    if understood.speaker and not filters.speaker:
        changes["speaker"] = understood.speaker.removeprefix("name:")
    if understood.party and not filters.party and not changes:
        changes["party"] = understood.party
    return dataclasses.replace(filters, **changes) if changes else filters
