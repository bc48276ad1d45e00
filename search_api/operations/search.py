"""/search and the search_debates tool: contributions that answer a query, best first (or by
date, or by debate, with facets), each with its question/answer links."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict

from pydantic import BaseModel, ConfigDict, Field

from search_api.engine.batch import SearchSpec, search_many
from search_api.engine.browsing import (
    FACETS,
    GROUPS,
    MATCH_SHARE,
    MAX_PER_GROUP,
    PER_GROUP,
    SORTS,
    TOP_SPEAKERS,
    Browsing,
    DebateSummary,
    FacetCount,
    SpeakerCount,
)
from search_api.engine.checks import MAX_K, MAX_OFFSET
from search_api.engine.ranking import MODES, RetrievalConfig
from search_api.engine.search_index import SearchHit, SearchIndex, SearchResults
from search_api.engine.understanding import Understanding
from search_api.errors import InvalidRequest
from search_api.operations.contributions import ANSWERS, ANSWERS_TO, ContributionSummary, links
from search_api.operations.fields import QueryText, TrueOrFalse, WholeNumber, constrained, some_of
from search_api.operations.filters import FilteredRequest

MATCHES = (f"the contributions that match q (those scoring at least {MATCH_SHARE:g} of the "
            f"best; docs/api.md, Browsing)")


class SearchQuery(BaseModel):
    """What /search looks for and which page of it: the fields before the filters."""

    q: QueryText = Field(description="The question or words to search for.")
    k: WholeNumber = Field(10, description=f"Results per page, 1-{MAX_K}.",
                           json_schema_extra=constrained(minimum=1, maximum=MAX_K))
    offset: WholeNumber = Field(0, description="Results to skip, for paging.",
                                json_schema_extra=constrained(minimum=0, maximum=MAX_OFFSET))


class SearchRequest(FilteredRequest, SearchQuery):
    """POST /search body; GET /search takes the same fields as query parameters."""

    mode: str | None = Field(None, description="hybrid (default: words and meaning), dense "
                                               "(meaning) or keyword.",
                             json_schema_extra=constrained(enum=list(MODES)))
    understand: TrueOrFalse = Field(True, description="Read members, parties and 'the "
                                                      "Government' named in q as filters and "
                                                      "boosts (reported in `understood`); "
                                                      "false: take q as words only.")
    sort: str | None = Field(None, description=f"relevance (the default), newest or oldest: "
                                               f"{MATCHES}, latest or earliest sitting first.",
                             json_schema_extra=constrained(enum=list(SORTS)))
    group: str | None = Field(None, description=f"debate: {MATCHES} by debate, in `groups`; "
                                                "k and offset then count debates.",
                              json_schema_extra=constrained(enum=list(GROUPS)))
    per_group: WholeNumber = Field(PER_GROUP, description=f"Contributions shown per debate "
                                                          f"when grouped, 1-{MAX_PER_GROUP}.",
                                   json_schema_extra=constrained(minimum=1,
                                                                 maximum=MAX_PER_GROUP))
    facets: list[str] | None = Field(None, description=f"Count {MATCHES} by these fields, in "
                                                       f"`facets`: any of {', '.join(FACETS)} "
                                                       "(in a query string: comma-separated or "
                                                       "repeated).",
                                     json_schema_extra=some_of(FACETS))


class SnippetPublic(BaseModel):
    text: str = Field(description="Verbatim text around the best-matching sentence.")
    highlight_start: int
    highlight_end: int
    sentence: str = Field(description="The best-matching sentence: text[start:end].")
    chunk: int


class SearchResult(ContributionSummary):
    score: float
    snippet: SnippetPublic
    answers: list[ContributionSummary] = Field(default_factory=list, description=ANSWERS)
    answers_to: list[ContributionSummary] = Field(default_factory=list, description=ANSWERS_TO)


class DebateGroupPublic(BaseModel):
    debate: DebateSummary
    count: int = Field(description="Its contributions that match q.")
    results: list[SearchResult] = Field(description="The best of them (per_group), best first.")


class SearchResponse(BaseModel):
    query: str
    mode: str = Field(description="The retrieval mode used.")
    understood: Understanding | None = Field(
        description="How the query was read; null when understanding was turned off."
    )
    sort: str = Field(description="relevance, newest or oldest.")
    group: str | None = Field(description="debate when grouped, else null.")
    k: int
    offset: int
    total: int = Field(description=f"Contributions that pass the filters (all are ranked); when "
                                   f"sorted by date or grouped, {MATCHES}, the only ones listed.")
    matches: int | None = Field(description=f"How many are {MATCHES}, when sorted by date, "
                                            "grouped or faceted (facets add up to it); else null.")
    total_groups: int | None = Field(description="Debates that match, when grouped; else null.")
    count: int = Field(description="Results on this page (debates, when grouped).")
    filters: dict[str, str]
    results: list[SearchResult] = Field(description="This page's results; empty when grouped.")
    groups: list[DebateGroupPublic] | None = Field(
        description="When grouped: this page's debates, best (or newest, or oldest) first.")
    facets: dict[str, list[SpeakerCount | FacetCount]] | None = Field(
        description="The facets asked for: each value's count of matching contributions, "
                    "most first (dates in order); speaker: the "
                    f"{TOP_SPEAKERS} speakers with most, each with their best-matching "
                    "contribution; null when none were asked for.")
    facet_date_unit: str | None = Field(
        description="What the date facet counts by: day (matches within 62 days), month "
                    "(within five years) or year; null without a date facet.")


def search_response(results: SearchResults) -> SearchResponse:
    """The API's page of results, each with its Q/A links."""

    def listed(hits: list[SearchHit]) -> list[SearchResult]:
        return [SearchResult.of(
            hit.contribution,
            score=round(hit.score, 6),
            snippet=SnippetPublic(**asdict(hit.snippet), sentence=hit.snippet.sentence),
            **links(hit.links),
        ) for hit in hits]

    groups = None if results.groups is None else [
        DebateGroupPublic(debate=g.debate, count=g.count, results=listed(g.hits))
        for g in results.groups]
    return SearchResponse(
        query=results.query,
        mode=results.mode,
        understood=results.understood,
        sort=results.browsing.sort,
        group=results.browsing.group,
        k=results.k,
        offset=results.offset,
        total=results.total,
        matches=results.matches,
        total_groups=results.total_groups,
        count=len(results.hits if groups is None else groups),
        filters=results.filters,
        results=listed(results.hits),
        groups=groups,
        facets=results.facets,
        facet_date_unit=results.facet_date_unit,
    )


def search(index: SearchIndex, request: SearchRequest) -> SearchResponse:
    """Contributions that answer `q`, best first (or by date, or by debate, with facets),
    each with its Q/A links."""
    browsing = Browsing(request.sort, request.group, request.facets or (), request.per_group)
    results = index.search(request.q, k=request.k, offset=request.offset,
                           filters=request.filters(), mode=request.mode,
                           understand=request.understand, browsing=browsing)
    return search_response(results)


MAX_SEARCHES = 100


class SearchBatchRequest(BaseModel):
    """POST /search/batch body: several searches, each a POST /search body."""

    model_config = ConfigDict(extra="forbid")

    searches: list[SearchRequest] = Field(
        description=f"1-{MAX_SEARCHES} searches, each with its own q, k and filters, answered "
                    "in the same order.",
        json_schema_extra=constrained(minItems=1, maxItems=MAX_SEARCHES))


class SearchBatchResponse(BaseModel):
    results: list[SearchResponse] = Field(
        description="Each search's /search response, in the order of `searches`.")


def search_batch(index: SearchIndex, request: SearchBatchRequest,
                 workers: int | None = None) -> SearchBatchResponse:
    """Each search's /search response, in order; a search that cannot be answered refuses
    the whole batch, named by its position (`searches[3].k`)."""
    if not 1 <= len(request.searches) <= MAX_SEARCHES:
        raise InvalidRequest("searches", f"send 1 to {MAX_SEARCHES} searches, not "
                                         f"{len(request.searches)}")
    return SearchBatchResponse(results=list(search_each(
        index, request.searches, lambda i: f"searches[{i}]", workers=workers)))


def search_each(index: SearchIndex, requests: Sequence[SearchRequest],
                name: Callable[[int], str], config: RetrievalConfig | None = None,
                *, workers: int | None = None) -> Iterator[SearchResponse]:
    """/search's response to each request, in order, the queries embedded in batches and
    searched on every core (engine/batch.py), under `config` (default: the index's). Every
    request is checked before any is searched: InvalidRequest names the first bad one by
    `name(position)` (its field: `name(position).field`)."""
    specs = []
    for position, request in enumerate(requests):
        try:
            spec = SearchSpec(request.q, request.k, request.offset, request.filters(),
                              request.mode, request.understand,
                              Browsing(request.sort, request.group, request.facets or (),
                                       request.per_group))
            index.check(spec.query, spec.k, spec.offset, spec.filters, config, spec.mode,
                        spec.understand)
        except InvalidRequest as exc:
            where = name(position)
            raise InvalidRequest(f"{where}.{exc.field}", f"{where}: {exc}") from exc
        specs.append(spec)
    for results in search_many(index, specs, config, workers=workers):
        yield search_response(results)
