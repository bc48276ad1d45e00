"""SearchIndex: one built index opened for searching, the one façade over a build.

It ranks (ranking.py), filters (checks.py, the store's in-memory columns), browses
(browsing.py) and fetches what a result shows: its record, snippet and question/answer
links. Answering and evaluation read the build through its methods, never the store.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from indexer.embedding import Embedder, EmbedderSpec
from indexer.errors import EmbedderError
from indexer.store.manifest import Manifest
from indexer.store.reader import IndexReader
from indexer.store.records import (
    ChunkSpan,
    ContributionRecord,
    IndexCounts,
    SearchFilters,
    SpeakerSummary,
)
from search_api.engine.browsing import (
    Browsing,
    DebateSummary,
    FacetCount,
    SpeakerCount,
    by_debate,
    count_facets,
    in_order,
    matches,
)
from search_api.engine.checks import check_filters, validate_page, validate_query
from search_api.engine.debates import DEBATE_PAGE, DebatePage, read_debate
from search_api.engine.exchanges import Exchange, exchanges
from search_api.engine.ranking import Candidate, Ranker, RetrievalConfig, searched_text
from search_api.engine.sentence_vectors import SentenceVectors
from search_api.engine.snippets import Snippet, best_snippets
from search_api.engine.stages import recording, stage
from search_api.engine.understanding import QueryReader, Understanding
from search_api.errors import InvalidRequest, UnknownContribution


@dataclass
class SearchHit:
    contribution: ContributionRecord
    score: float
    snippet: Snippet
    links: Exchange = field(default_factory=Exchange)  # its questions and answers


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
    facets: dict[str, list[FacetCount | SpeakerCount]] | None = None
    facet_date_unit: str | None = None  # day, month or year, with a date facet
    stages_ms: dict[str, float] = field(default_factory=dict)  # where its time went: stages.py

    def every_hit(self) -> list[SearchHit]:
        """The page's hits, those of its groups included."""
        return self.hits + [hit for group in self.groups or () for hit in group.hits]


@dataclass(frozen=True)
class ContributionInContext:
    """A contribution with the ones before and after it in its debate, and its links."""

    contribution: ContributionRecord
    previous: ContributionRecord | None
    following: ContributionRecord | None
    links: Exchange


class SearchIndex:
    """A built index opened for searching, with the model that embeds its queries. It holds
    its build (the build is not deleted while the index is open: indexer/store/layout.py)."""

    def __init__(self, index_dir: Path, embedder: Embedder | None = None,
                 config: RetrievalConfig | None = None, spec: EmbedderSpec | None = None,
                 verify: bool = False, cache_dir: Path | None = None):
        """Without `embedder`, one is opened as `spec` says (default: the backend that
        suits the machine), of the model the index records unless `spec` names one. With
        `verify`, the build's files are checked against its manifest first. The vectors of
        the sentences answers quote are kept in the vector cache under `cache_dir`, the
        machine's cache folder (default: `spec`'s; with neither, in memory only)."""
        self._store = IndexReader(index_dir, verify=verify)
        try:
            self._open(index_dir, embedder, config, spec)
        except BaseException:
            self._store.close()
            raise
        if cache_dir is None and spec is not None:
            cache_dir = spec.cache_dir
        self.sentence_vectors = SentenceVectors(self.embedder, cache_dir)

    def _open(self, index_dir: Path, embedder: Embedder | None,
              config: RetrievalConfig | None, spec: EmbedderSpec | None) -> None:
        self.manifest: Manifest = self._store.manifest
        self.config = config or RetrievalConfig()
        model = self.manifest.model
        if embedder is None:
            spec = spec or EmbedderSpec()
            if spec.model_path is None:
                spec = dataclasses.replace(spec, model_path=Path(model.path) if model.path
                                           else None)
            embedder = spec.open()
        self.embedder = embedder
        if self.embedder.fingerprint != model.fingerprint:
            raise EmbedderError(
                f"index at {index_dir} was built with {model.name} ({model.fingerprint}), not "
                f"{self.embedder.fingerprint}; search it with the same model or rebuild it"
            )
        self.values = self._store.values()
        self.query_reader = QueryReader(self._store.speakers(), self.values.parties)
        self._ranker = Ranker(self._store, self.embedder)

    # The build ----------------------------------------------------------------------------

    @property
    def build_id(self) -> str:
        """The build this index reads (its folder's name)."""
        return self._store.build.name

    @property
    def checked_by_checksums(self) -> bool:
        """Opened with `verify`, and every file proven by its checksum."""
        return bool(self._store.check and self._store.check.checksums)

    @property
    def contribution_count(self) -> int:
        return self._store.contribution_count

    @property
    def chunk_count(self) -> int:
        return self._store.chunk_count

    def close(self) -> None:
        """Let go of the build (also done when the index is garbage)."""
        self._store.close()
        self.sentence_vectors.close()

    def query_vector(self, query: str) -> np.ndarray:
        """The query's vector, shape (1, dimension), read-only (embedded once a request)."""
        return self._ranker.query_vector(query)

    def warm_up(self) -> None:
        """Load the embedding model and touch the indexes, so the first query is not slow."""
        self.search("warm up", k=1)

    def search(
        self, query: str, k: int = 10, offset: int = 0, filters: SearchFilters | None = None,
        config: RetrievalConfig | None = None, mode: str | None = None,
        understand: bool = True, browsing: Browsing | None = None,
        vector: np.ndarray | None = None,
    ) -> SearchResults:
        """The `k` contributions (after `offset`) that best answer `query`.

        `config` replaces the index's retrieval configuration; `mode` just its mode. With
        `understand`, a member or party named in the query filters the results (where the
        caller gave no such filter) and asking about the Government favours office-holders.
        `browsing` sorts the query's matches by date, groups them by debate (`k` and `offset`
        then count debates) or counts them by facet (browsing.py). `vector`, where given, is
        the vector of what retrieval searches for (`searched_text(query, ...)` under
        `searching(config, mode)`), embedded beforehand with others (batch.py).
        """
        with recording() as times:
            results = self._search(query, k, offset, filters, config, mode, understand,
                                   browsing, vector)
        results.stages_ms = dict(times)
        return results

    def searching(self, config: RetrievalConfig | None = None, mode: str | None = None
                  ) -> RetrievalConfig:
        """The configuration a search ranks with: `config` (default: the index's) in `mode`
        (blank: the configuration's own)."""
        config = config or self.config
        mode = (mode or "").strip().lower()
        return dataclasses.replace(config, mode=mode) if mode else config

    def check(self, query: str, k: int = 10, offset: int = 0,
              filters: SearchFilters | None = None, config: RetrievalConfig | None = None,
              mode: str | None = None, understand: bool = True) -> None:
        """Raise the InvalidRequest `search` would raise for these arguments, without
        searching (a batch is checked whole before any of it runs)."""
        filters = self._checked(query, k, offset, filters, config, mode, understand)[1]
        check_filters(filters, self.values, self.manifest.builds)

    def _checked(self, query: str, k: int, offset: int, filters: SearchFilters | None,
                 config: RetrievalConfig | None, mode: str | None, understand: bool,
                 ) -> tuple[str, SearchFilters, RetrievalConfig, Understanding | None]:
        """The query stripped, the filters with those it names, the configuration and how
        the query was read; InvalidRequest for what a search cannot take."""
        query = validate_query(query)
        validate_page(k, offset)
        filters = filters or SearchFilters()
        config = self.searching(config, mode)
        understood = self.query_reader.read(query) if understand else None
        if understood:
            filters = _apply(understood, filters)
        if filters.speaker and not self._store.has_speaker(filters.speaker):
            raise InvalidRequest("speaker", f"no speaker matches {filters.speaker!r}; look "
                                            "names up with /speakers?q=...")
        return query, filters, config, understood

    def _search(self, query: str, k: int, offset: int, filters: SearchFilters | None,
                config: RetrievalConfig | None, mode: str | None, understand: bool,
                browsing: Browsing | None, vector: np.ndarray | None) -> SearchResults:
        query, filters, config, understood = self._checked(query, k, offset, filters, config,
                                                           mode, understand)
        allowed = self._store.passing(check_filters(filters, self.values, self.manifest.builds))
        total = self._store.contribution_count if allowed is None else int(allowed.sum())
        browsing = browsing or Browsing()
        results = SearchResults(query, k, offset, total, filters.active(), config.mode,
                                understood, browsing=browsing)
        # Snippets mark the words retrieval searched for: without a question's framing.
        words = searched_text(query, config)
        if not total:
            if not browsing.plain:
                self._browse(results, [], words)
            return results
        if not browsing.lists_matches:
            ranked = self._ranked(query, offset + k, allowed, config, understood, vector)
            results.hits = self._hits(ranked[offset : offset + k], words)
            if browsing.plain:
                return results
            if allowed is None and offset + k <= config.candidates:
                self._browse(results, matches(ranked), words)  # the same ranking, not another
                return results
        # The query's matches, whatever the filters and the page, then those that pass the
        # filters: what a facet counts is what choosing its value lists (browsing.py).
        ranked = self._ranked(query, config.candidates, None, config, understood, vector)
        self._browse(results, [c for c in matches(ranked)
                               if allowed is None or allowed[c.number - 1]], words)
        return results

    def _ranked(self, query: str, wanted: int, allowed: np.ndarray | None,
                config: RetrievalConfig, understood: Understanding | None,
                vector: np.ndarray | None) -> list[Candidate]:
        """The ranker's candidates, office-holders favoured if the query asks the
        Government."""
        ranked = self._ranker.rank(query, wanted, allowed, config, vector)
        if understood and understood.government and config.mode != "keyword":
            with stage("fuse"):
                ranked = self._ranker.boost_office_holders(ranked)
        return ranked

    def _browse(self, results: SearchResults, found: list[Candidate], words: str) -> None:
        """Count the query's matches `found` (best first) as `results.browsing` says and,
        where it lists them, fill the page with them, sorted and grouped (`words`: as
        _hits takes them)."""
        browsing, page = results.browsing, slice(results.offset, results.offset + results.k)
        numbers = np.array([c.number for c in found], dtype=np.int64)
        results.matches = len(found)
        if browsing.facets:
            results.facets, results.facet_date_unit = count_facets(self._store, numbers,
                                                                   browsing.facets)
        if not browsing.lists_matches:
            return
        results.total = len(found)
        ordered = in_order(found, browsing.sort, self._store.field_codes("date", numbers))
        if not browsing.group:
            results.hits = self._hits(ordered[page], words)
            return
        groups = by_debate(found, self._store.field_codes("debate_id", numbers), ordered)
        results.total_groups = len(groups)
        shown = groups[page]
        hits = iter(self._hits([c for members in shown for c in members[: browsing.per_group]],
                               words))
        results.groups = []
        for members in shown:
            best = [next(hits) for _ in members[: browsing.per_group]]
            record = best[0].contribution
            results.groups.append(DebateGroup(
                DebateSummary(record.debate.id, record.debate.title, record.house, record.date),
                len(members), best))

    def _hits(self, page: Sequence[Candidate], words: str) -> list[SearchHit]:
        """The page's candidates with their records, snippets and links, in order; a snippet
        marks the sentence sharing most of `words` (what retrieval searched: searched_text)."""
        with stage("fetch"):
            records = self._store.contributions([c.number for c in page])
            chunks = self._ranker.best_chunks(page, records, words)
        with stage("links"):
            links = self.exchanges(records[c.number].id for c in page)
        with stage("snippets"):
            snippets = best_snippets(words, [(records[c.number].text, chunk)
                                             for c, chunk in zip(page, chunks, strict=True)])
        return [SearchHit(records[c.number], c.score, snippet, links[records[c.number].id])
                for c, snippet in zip(page, snippets, strict=True)]

    def rank(
        self, query: str, n: int = 100, filters: SearchFilters | None = None,
        config: RetrievalConfig | None = None, vector: np.ndarray | None = None,
    ) -> list[tuple[str, float]]:
        """(contribution id, score) of the best `n`, for batch evaluation: no snippets, no
        length limit on the query (benchmark queries can be long), and the query's vector
        may be given (embedding queries in batches is much faster)."""
        if not query.strip():
            raise InvalidRequest("q", "the query is empty")
        allowed = self._store.passing(check_filters(filters or SearchFilters(), self.values,
                                                   self.manifest.builds))
        ranked = self._ranker.rank(query, n, allowed, config or self.config, vector)[:n]
        ids = self._store.ids([c.number for c in ranked])
        return [(ids[c.number], c.score) for c in ranked]

    def latest(self, filters: SearchFilters, n: int) -> list[ContributionRecord]:
        """The `n` latest contributions that pass `filters`, latest sitting first (a day's in
        the record's order): what a speaker's feed lists."""
        if filters.speaker and not self._store.has_speaker(filters.speaker):
            raise InvalidRequest("speaker", f"no speaker matches {filters.speaker!r}; look "
                                            "names up with /speakers?q=...")
        allowed = self._store.passing(check_filters(filters, self.values, self.manifest.builds))
        numbers = (np.arange(1, self.contribution_count + 1) if allowed is None
                   else np.flatnonzero(allowed) + 1)
        # Date codes sort as the dates do: the latest day first, then the record's order.
        order = np.lexsort((numbers, -self._store.field_codes("date", numbers)))[:n]
        chosen = numbers[order].tolist()
        records = self._store.contributions(chosen)
        return [records[number] for number in chosen]

    def contribution(self, contribution_id: str) -> ContributionRecord:
        record = self._store.contribution(contribution_id)
        if record is None:
            raise UnknownContribution(contribution_id)
        return record

    def contribution_in_context(self, contribution_id: str) -> ContributionInContext:
        """A contribution with the previous and next ones of its debate, and its links."""
        record = self.contribution(contribution_id)
        previous = self.contribution(record.previous_id) if record.previous_id else None
        following = self.contribution(record.next_id) if record.next_id else None
        return ContributionInContext(record, previous, following,
                                     self.exchanges([record.id])[record.id])

    def debate(self, debate_id: str, offset: int = 0, limit: int = DEBATE_PAGE,
               around: str | None = None) -> DebatePage:
        """A page of a debate's contributions in the record's order (engine/debates.py)."""
        return read_debate(self._store, debate_id, offset, limit, around)

    # What answering, evaluation and the catalogue read -------------------------------------

    def exchanges(self, contribution_ids: Iterable[str]) -> dict[str, Exchange]:
        """For each id, the answers given to it and the questions it answers."""
        return exchanges(self._store, contribution_ids)

    def records(self, filters: SearchFilters) -> Iterator[ContributionRecord]:
        """Every contribution passing `filters` (taken as they are), in record order."""
        return self._store.records(filters)

    def records_by_id(self, ids: Iterable[str]) -> dict[str, ContributionRecord]:
        """Records by source id (ids the index does not hold are left out)."""
        return self._store.contributions_by_id(ids)

    def question_answer_links(self, ids: Iterable[str]) -> list[tuple[str, str]]:
        """(question id, answer id) of every link with one end among `ids`."""
        return self._store.question_answer_links(ids)

    def sentence_spans(self, ids: Iterable[str]) -> dict[str, list[tuple[int, int]]]:
        """The (start, end) of every sentence of these contributions, by id, in order (their
        vectors: `sentence_vectors.of(texts)`)."""
        return self._store.sentence_spans(ids)

    def chunk_span(self, contribution_id: str, ordinal: int) -> ChunkSpan | None:
        """Chunk `ordinal` of a contribution (where its text lies), or None."""
        return self._store.chunk_of(contribution_id, ordinal)

    def dates(self) -> list[str]:
        """Every sitting day the index holds, in order."""
        return self._store.dates()

    def speakers(self, q: str | None = None, limit: int | None = None) -> list[SpeakerSummary]:
        """Speakers whose name or person id contains `q` (all without one), busiest first."""
        return self._store.speakers(q, limit)

    def counts(self) -> IndexCounts:
        """Counts by kind, house, parliament and corpus, with attribution coverage."""
        return self._store.counts()

def _apply(understood: Understanding, filters: SearchFilters) -> SearchFilters:
    """The caller's filters, plus the speaker and party the query names (caller's win)."""
    changes = {}
    if understood.speaker and not filters.speaker:
        changes["speaker"] = understood.speaker.removeprefix("name:")
    if understood.party and not filters.party and not changes:
        changes["party"] = understood.party
    return dataclasses.replace(filters, **changes) if changes else filters
