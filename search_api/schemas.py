"""Request and response models of the HTTP API; the CLI's --json prints the same objects."""

from __future__ import annotations

from dataclasses import asdict

from pydantic import BaseModel, ConfigDict, Field

from search_api.catalogue import SpeakerSummary
from search_api.exchanges import Exchange
from search_api.filters import SearchFilters
from search_api.records import ContributionRecord
from search_api.retrieval import SearchResults


class SearchRequest(BaseModel):
    """POST /search body; GET /search takes the same fields as query parameters."""

    model_config = ConfigDict(extra="forbid")

    q: str = Field(description="The question or words to search for.")
    k: int = Field(10, description="Results per page, 1-100.")
    offset: int = Field(0, description="Results to skip, for paging.")
    speaker: str | None = Field(None, description="Speaker name (substring) or person id.")
    party: str | None = Field(None, description='Party name or code, e.g. "Labour" or "Lab".')
    house: str | None = Field(None, description='House or body, e.g. "House of Lords".')
    kind: str | None = Field(None, description="speech, question, answer or statement.")
    date_from: str | None = Field(None, description="Earliest sitting date, YYYY-MM-DD.")
    date_to: str | None = Field(None, description="Latest sitting date, YYYY-MM-DD.")
    debate: str | None = Field(None, description="Substring of the debate title.")
    parliament: str | None = Field(None, description='e.g. "UK Parliament".')
    corpus: str | None = Field(None, description="A corpus name, as /stats lists them.")
    mode: str | None = Field(
        None, description="hybrid (default: words and meaning), dense (meaning) or keyword."
    )
    understand: bool = Field(
        True, description="Read members, parties and 'the Government' named in q as filters "
                          "and boosts (reported in `understood`); false: take q as words only."
    )

    def filters(self) -> SearchFilters:
        return SearchFilters(
            speaker=self.speaker, party=self.party, house=self.house, kind=self.kind,
            date_from=self.date_from, date_to=self.date_to, debate=self.debate,
            parliament=self.parliament, corpus=self.corpus,
        )


class SpeakersRequest(BaseModel):
    """GET /speakers query parameters."""

    model_config = ConfigDict(extra="forbid")

    q: str | None = Field(None, description="Part of a name, or a person id; none: everyone.")
    limit: int = Field(20, description="Speakers to return, 1-100.")


class SpeakerPublic(BaseModel):
    name: str | None = Field(description="Name exactly as printed in the record.")
    person_id: str | None
    member_id: str | None
    member_name: str | None
    party: str | None
    party_code: str | None
    constituency: str | None
    peerage: str | None
    office: str | None
    office_source: str | None = Field(
        description='"record" if printed beside the name, "members" if from the members data.'
    )
    chair: bool | None = Field(
        description="Presiding over the sitting (Speaker, chair); null where the source is silent."
    )


class DebatePublic(BaseModel):
    id: str
    title: str
    major_heading: str | None
    minor_heading: str | None
    position: int = Field(description="1-based position of the contribution in its debate.")


class SnippetPublic(BaseModel):
    text: str = Field(description="Verbatim text around the best-matching sentence.")
    highlight_start: int
    highlight_end: int
    sentence: str = Field(description="The best-matching sentence: text[start:end].")
    chunk: int


class ContributionSummary(BaseModel):
    id: str
    corpus: str
    parliament: str
    kind: str
    house: str
    date: str
    time: str | None
    column: str | None
    speaker: SpeakerPublic
    debate: DebatePublic
    source_url: str | None
    previous_id: str | None
    next_id: str | None


_ANSWERS = "Answers given to this question (written answers, or the minister's oral reply)."
_ANSWERS_TO = "The question(s) this contribution answers."


class SearchResult(ContributionSummary):
    score: float
    snippet: SnippetPublic
    answers: list[ContributionSummary] = Field(default_factory=list, description=_ANSWERS)
    answers_to: list[ContributionSummary] = Field(default_factory=list, description=_ANSWERS_TO)


class UnderstoodPublic(BaseModel):
    speaker: str | None = Field(description="Person id of a member named in the query.")
    speaker_name: str | None
    party: str | None = Field(description="A party named in the query.")
    government: bool = Field(description="The query asks what office-holders said: boosted.")


class SearchResponse(BaseModel):
    query: str
    mode: str = Field(description="The retrieval mode used.")
    understood: UnderstoodPublic | None = Field(
        description="How the query was read; null when understanding was turned off."
    )
    k: int
    offset: int
    total: int = Field(description="Contributions that pass the filters.")
    count: int
    filters: dict[str, str]
    results: list[SearchResult]


class ContributionPublic(ContributionSummary):
    text: str
    source_file: str | None
    tokens_cl100k: int
    tokens_o200k: int
    previous: ContributionSummary | None
    next: ContributionSummary | None
    answers: list[ContributionSummary] = Field(default_factory=list, description=_ANSWERS)
    answers_to: list[ContributionSummary] = Field(default_factory=list, description=_ANSWERS_TO)


class SpeakerSummaryPublic(BaseModel):
    key: str
    person_id: str | None
    name: str
    printed_names: list[str]
    party: str | None
    constituency: str | None
    peerage: str | None
    houses: list[str]
    contributions: int
    by_kind: dict[str, int]


class SpeakersResponse(BaseModel):
    q: str | None
    count: int
    speakers: list[SpeakerSummaryPublic]


class ErrorDetail(BaseModel):
    status: int
    code: str
    message: str
    field: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorDetail


def _summary_fields(record: ContributionRecord) -> dict:
    data = asdict(record)
    return {k: data[k] for k in ContributionSummary.model_fields}


def _links(exchange: Exchange | None) -> dict:
    if exchange is None:
        return {}
    return {
        "answers": [ContributionSummary(**_summary_fields(r)) for r in exchange.answers],
        "answers_to": [ContributionSummary(**_summary_fields(r)) for r in exchange.answers_to],
    }


def search_response(
    results: SearchResults, exchanges: dict[str, Exchange] | None = None
) -> SearchResponse:
    """The API's page of results; `exchanges` (search_api.exchanges) adds Q/A links."""
    exchanges = exchanges or {}
    return SearchResponse(
        query=results.query,
        mode=results.mode,
        understood=(UnderstoodPublic(**asdict(results.understood))
                    if results.understood else None),
        k=results.k,
        offset=results.offset,
        total=results.total,
        count=len(results.hits),
        filters=results.filters,
        results=[
            SearchResult(
                **_summary_fields(hit.contribution),
                score=round(hit.score, 6),
                snippet=SnippetPublic(**asdict(hit.snippet), sentence=hit.snippet.sentence),
                **_links(exchanges.get(hit.contribution.id)),
            )
            for hit in results.hits
        ],
    )


def contribution_response(
    record: ContributionRecord,
    previous: ContributionRecord | None,
    following: ContributionRecord | None,
    exchange: Exchange | None = None,
) -> ContributionPublic:
    data = asdict(record)
    return ContributionPublic(
        **_summary_fields(record),
        text=data["text"],
        source_file=data["source_file"],
        tokens_cl100k=data["tokens_cl100k"],
        tokens_o200k=data["tokens_o200k"],
        previous=ContributionSummary(**_summary_fields(previous)) if previous else None,
        next=ContributionSummary(**_summary_fields(following)) if following else None,
        **_links(exchange),
    )


def speakers_response(q: str | None, speakers: list[SpeakerSummary]) -> SpeakersResponse:
    return SpeakersResponse(
        q=q, count=len(speakers), speakers=[SpeakerSummaryPublic(**asdict(s)) for s in speakers]
    )
