"""GET /debates/{id}, the get_debate tool and the debate:// resource: a whole debate, its
contributions in the record's order, a page at a time."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from indexer.contribution import Speaker
from indexer.store.records import ContributionRecord
from search_api.descriptions import descriptions
from search_api.engine.debates import DEBATE_PAGE, MAX_DEBATE_PAGE, DebatePage
from search_api.engine.search_index import SearchIndex
from search_api.operations.fields import WholeNumber, constrained

_DESCRIBED = descriptions(ContributionRecord)


class DebatePaging(BaseModel):
    """GET /debates/{id} query parameters: which page of the debate."""

    model_config = ConfigDict(extra="forbid")

    offset: WholeNumber = Field(0, description="Contributions to skip, in the record's order.",
                                json_schema_extra=constrained(minimum=0))
    limit: WholeNumber = Field(DEBATE_PAGE, description=f"Contributions to list, "
                                                        f"1-{MAX_DEBATE_PAGE}.",
                               json_schema_extra=constrained(minimum=1,
                                                             maximum=MAX_DEBATE_PAGE))
    around: str | None = Field(None, description="A contribution id of the debate: list the "
                                                 "page that holds it (offset is then ignored).")


class DebateRequest(DebatePaging):
    """The get_debate tool's input (GET /debates/{id} takes the id in the path)."""

    id: str = Field(description="A debate id (a contribution's debate.id), e.g. "
                                "uk.org.publicwhip/debate/2009-10-26b.3.1")


class DebateHeader(BaseModel):
    id: str
    title: str = Field(description='"Major heading — minor heading" as printed.')
    major_heading: str | None
    minor_heading: str | None
    corpus: str = Field(description=_DESCRIBED["corpus"])
    parliament: str = Field(description=_DESCRIBED["parliament"])
    house: str = Field(description=_DESCRIBED["house"])
    date: str = Field(description=_DESCRIBED["date"])
    source_url: str | None = Field(description="The official record, where the debate opens "
                                               "(its first contribution's link).")
    contributions: int = Field(description="How many contributions the debate holds.")


class DebateContribution(BaseModel):
    id: str = Field(description=_DESCRIBED["id"])
    position: int = Field(description="1-based position in the debate.")
    kind: str = Field(description=_DESCRIBED["kind"])
    time: str | None = Field(description=_DESCRIBED["time"])
    speaker: Speaker = Field(description=_DESCRIBED["speaker"])
    first_sentence: str = Field(description="Its first sentence, verbatim (the whole text: "
                                            "GET /contributions/{id}).")


class DebateResponse(BaseModel):
    debate: DebateHeader
    offset: int = Field(description="Where this page starts (with `around`: the page that "
                                     "holds that contribution).")
    limit: int
    around: str | None = Field(description="The contribution the page was opened at.")
    next_offset: int | None = Field(description="The next page's offset; null on the last.")
    contributions: list[DebateContribution] = Field(
        description="This page's contributions, in the record's order.")


def debate_response(page: DebatePage) -> DebateResponse:
    first = page.first
    header = DebateHeader(
        id=first.debate.id, title=first.debate.title, major_heading=first.debate.major_heading,
        minor_heading=first.debate.minor_heading, corpus=first.corpus,
        parliament=first.parliament, house=first.house, date=first.date,
        source_url=first.source_url, contributions=page.total)
    end = page.offset + len(page.contributions)
    return DebateResponse(
        debate=header, offset=page.offset, limit=page.limit, around=page.around,
        next_offset=end if end < page.total else None,
        contributions=[
            DebateContribution(id=r.id, position=r.debate.position, kind=r.kind, time=r.time,
                               speaker=r.speaker, first_sentence=page.first_sentences[r.id])
            for r in page.contributions])


def debate(index: SearchIndex, request: DebateRequest) -> DebateResponse:
    """A page of a debate: its header and contributions in the record's order."""
    return debate_response(index.debate(request.id, request.offset, request.limit,
                                        request.around))
