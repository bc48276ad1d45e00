"""Request and response models of search, contributions and speakers; the CLI's --json prints
the same objects.

The shapes the library already declares are used as they are (Speaker, Debate, SpeakerSummary,
Understanding: their docstrings describe their fields); fields.py makes the rest from the
library's own definitions.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from indexer.store.records import ContributionRecord, SpeakerSummary
from search_api.answering.citations import citation_line
from search_api.answering.exchanges import Exchange
from search_api.engine.browsing import (
    FACETS,
    GROUPS,
    MAX_PER_GROUP,
    PER_GROUP,
    SORTS,
    DebateSummary,
    FacetCount,
)
from search_api.engine.catalogue import MAX_SPEAKERS
from search_api.engine.checks import MAX_K, MAX_OFFSET
from search_api.engine.search_index import MODES, SearchHit, SearchResults
from search_api.engine.understanding import Understanding
from search_api.operations.fields import (
    FilteredRequest,
    TrueOrFalse,
    WholeNumber,
    constrained,
    fields_of,
    filter_fields,
    names_field,
    query_field,
)

_MATCHES = "the contributions that match q (README, Browsing)"

SearchRequest = create_model(
    "SearchRequest",
    __base__=FilteredRequest,
    __doc__="POST /search body; GET /search takes the same fields as query parameters.",
    q=query_field("The question or words to search for."),
    k=(WholeNumber, Field(10, description=f"Results per page, 1-{MAX_K}.",
                          json_schema_extra=constrained(minimum=1, maximum=MAX_K))),
    offset=(WholeNumber, Field(0, description="Results to skip, for paging.",
                               json_schema_extra=constrained(minimum=0, maximum=MAX_OFFSET))),
    **filter_fields(),
    mode=(str | None, Field(None, description="hybrid (default: words and meaning), dense "
                                              "(meaning) or keyword.",
                            json_schema_extra=constrained(enum=list(MODES)))),
    understand=(TrueOrFalse, Field(True, description="Read members, parties and 'the "
                                                     "Government' named in q as filters and "
                                                     "boosts (reported in `understood`); "
                                                     "false: take q as words only.")),
    sort=(str | None, Field(None, description=f"relevance (the default), newest or oldest: "
                                              f"{_MATCHES}, latest or earliest sitting first.",
                            json_schema_extra=constrained(enum=list(SORTS)))),
    group=(str | None, Field(None, description=f"debate: {_MATCHES} by debate, in `groups`; "
                                               "k and offset then count debates.",
                             json_schema_extra=constrained(enum=list(GROUPS)))),
    per_group=(WholeNumber, Field(PER_GROUP, description=f"Contributions shown per debate when "
                                                         f"grouped, 1-{MAX_PER_GROUP}.",
                                  json_schema_extra=constrained(minimum=1,
                                                                maximum=MAX_PER_GROUP))),
    facets=names_field(FACETS, f"Count {_MATCHES} by these fields, in `facets`: any of "
                               f"{', '.join(FACETS)} (in a query string: comma-separated or "
                               "repeated)."),
)


class SpeakersRequest(BaseModel):
    """GET /speakers query parameters."""

    model_config = ConfigDict(extra="forbid")

    q: str | None = Field(None, description="Part of a name, or a person id; none: everyone.")
    limit: WholeNumber = Field(20, description=f"Speakers to return, 1-{MAX_SPEAKERS}.",
                       json_schema_extra=constrained(minimum=1, maximum=MAX_SPEAKERS))


class ContributionRequest(BaseModel):
    """The get_contribution tool's input (GET /contributions/{id} takes it in the path)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="A contribution id, e.g. uk.org.publicwhip/debate/2009-10-26b.3.3")


class SnippetPublic(BaseModel):
    text: str = Field(description="Verbatim text around the best-matching sentence.")
    highlight_start: int
    highlight_end: int
    sentence: str = Field(description="The best-matching sentence: text[start:end].")
    chunk: int


# What GET /contributions/{id} adds to a contribution as it is listed elsewhere.
DETAILS = ("text", "source_file", "tokens_cl100k", "tokens_o200k")
_RECORD_FIELDS = frozenset(f.name for f in fields(ContributionRecord))


class FromRecord(BaseModel):
    """A model made from a ContributionRecord: its fields of the record's, and its citation."""

    @classmethod
    def of(cls, record: ContributionRecord, **extra: Any):
        """The model of `record`; `extra`: the fields that do not come from the record."""
        stored = {name: getattr(record, name) for name in cls.model_fields
                  if name in _RECORD_FIELDS}
        return cls(**stored, citation=citation_line(record), **extra)


ContributionSummary = create_model(
    "ContributionSummary",
    __base__=FromRecord,
    __doc__="A contribution as search results, neighbours and question/answer links list it.",
    **fields_of(ContributionRecord, [f for f in _RECORD_FIELDS if f not in DETAILS]),
    citation=(str, Field(description="How to cite it: speaker (office; party, constituency), "
                                     "house, date, debate, id and link, in one line.")),
)


_ANSWERS = "Answers given to this question (written answers, or the minister's oral reply)."
_ANSWERS_TO = "The question(s) this contribution answers."


class SearchResult(ContributionSummary):
    score: float
    snippet: SnippetPublic
    answers: list[ContributionSummary] = Field(default_factory=list, description=_ANSWERS)
    answers_to: list[ContributionSummary] = Field(default_factory=list, description=_ANSWERS_TO)


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
                                   f"sorted by date or grouped, {_MATCHES}, the only ones listed.")
    matches: int | None = Field(description=f"How many are {_MATCHES}, when sorted by date, "
                                            "grouped or faceted (facets add up to it); else null.")
    total_groups: int | None = Field(description="Debates that match, when grouped; else null.")
    count: int = Field(description="Results on this page (debates, when grouped).")
    filters: dict[str, str]
    results: list[SearchResult] = Field(description="This page's results; empty when grouped.")
    groups: list[DebateGroupPublic] | None = Field(
        description="When grouped: this page's debates, best (or newest, or oldest) first.")
    facets: dict[str, list[FacetCount]] | None = Field(
        description="The facets asked for: each value's count of matching contributions, "
                    "most first (dates in order); null when none were asked for.")
    facet_date_unit: str | None = Field(
        description="What the date facet counts by: day (matches within 62 days), month "
                    "(within five years) or year; null without a date facet.")


ContributionPublic = create_model(
    "ContributionPublic",
    __base__=ContributionSummary,
    __doc__="One contribution in full, with its neighbours and question/answer links.",
    **fields_of(ContributionRecord, DETAILS),
    previous=(ContributionSummary | None, ...),
    next=(ContributionSummary | None, ...),
    answers=(list[ContributionSummary], Field(default_factory=list, description=_ANSWERS)),
    answers_to=(list[ContributionSummary], Field(default_factory=list, description=_ANSWERS_TO)),
)


class SpeakersResponse(BaseModel):
    q: str | None
    count: int
    speakers: list[SpeakerSummary]


class ErrorDetail(BaseModel):
    status: int
    code: str
    message: str
    field: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorDetail


def _links(exchange: Exchange | None) -> dict:
    if exchange is None:
        return {}
    return {
        "answers": [ContributionSummary.of(r) for r in exchange.answers],
        "answers_to": [ContributionSummary.of(r) for r in exchange.answers_to],
    }


def search_response(
    results: SearchResults, exchanges: dict[str, Exchange] | None = None
) -> SearchResponse:
    """The API's page of results; `exchanges` (answering.exchanges) adds Q/A links."""
    exchanges = exchanges or {}

    def listed(hits: list[SearchHit]) -> list[SearchResult]:
        return [SearchResult.of(
            hit.contribution,
            score=round(hit.score, 6),
            snippet=SnippetPublic(**asdict(hit.snippet), sentence=hit.snippet.sentence),
            **_links(exchanges.get(hit.contribution.id)),
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


def contribution_response(
    record: ContributionRecord,
    previous: ContributionRecord | None,
    following: ContributionRecord | None,
    exchange: Exchange | None = None,
) -> ContributionPublic:
    return ContributionPublic.of(
        record,
        previous=ContributionSummary.of(previous) if previous else None,
        next=ContributionSummary.of(following) if following else None,
        **_links(exchange),
    )


def speakers_response(q: str | None, speakers: list[SpeakerSummary]) -> SpeakersResponse:
    return SpeakersResponse(q=q, count=len(speakers), speakers=speakers)
