"""GET /speakers and the list_speakers tool: speakers by name or person id, busiest first; the
find_speakers tool: who spoke most about a topic (/search's speaker facet), each cited."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from indexer.store.records import SpeakerSummary
from search_api.engine.browsing import TOP_SPEAKERS, Browsing, SpeakerCount
from search_api.engine.catalogue import MAX_SPEAKERS, list_speakers
from search_api.engine.search_index import SearchIndex
from search_api.errors import InvalidRequest
from search_api.operations.answers import Citation, citation
from search_api.operations.fields import QueryText, WholeNumber, constrained
from search_api.operations.filters import FilteredRequest
from search_api.operations.search import MATCHES as _MATCHES


class SpeakersRequest(BaseModel):
    """GET /speakers query parameters."""

    model_config = ConfigDict(extra="forbid")

    q: str | None = Field(None, description="Part of a name, or a person id; none: everyone.")
    limit: WholeNumber = Field(20, description=f"Speakers to return, 1-{MAX_SPEAKERS}.",
                               json_schema_extra=constrained(minimum=1, maximum=MAX_SPEAKERS))


class SpeakersResponse(BaseModel):
    q: str | None
    count: int
    speakers: list[SpeakerSummary]


def speakers(index: SearchIndex, request: SpeakersRequest) -> SpeakersResponse:
    """Speakers whose name or person id matches `q`, busiest first."""
    found = list_speakers(index, request.q, request.limit)
    return SpeakersResponse(q=request.q, count=len(found), speakers=found)


class TopicQuery(BaseModel):
    """What find_speakers looks for: the fields before the filters."""

    q: QueryText = Field(description="The topic, e.g. 'flood defences'.")
    limit: WholeNumber = Field(10, description=f"Speakers to return, 1-{TOP_SPEAKERS}.",
                               json_schema_extra=constrained(minimum=1, maximum=TOP_SPEAKERS))


class FindSpeakersRequest(FilteredRequest, TopicQuery):
    """The find_speakers tool's arguments: a topic and /search's filters."""


class TopicSpeaker(BaseModel):
    value: str | None = Field(description="What the speaker filter takes to list their "
                                          "matches: the person id, else the printed name.")
    count: int = Field(description=f"Their contributions among {_MATCHES}.")
    person_id: str | None
    name: str | None = Field(description="The member's name, else the name as printed.")
    party: str | None
    office: str | None = Field(description="The office they held at the time of their "
                                           "best-matching contribution.")
    citation: Citation = Field(description="Their best-matching contribution.")


class FindSpeakersResponse(BaseModel):
    query: str
    filters: dict[str, str]
    matches: int = Field(description=f"How many are {_MATCHES}.")
    count: int = Field(description="Speakers listed.")
    speakers: list[TopicSpeaker] = Field(description="Most matches first; ties: the better "
                                                     "best match first.")


def find_speakers(index: SearchIndex, request: FindSpeakersRequest) -> FindSpeakersResponse:
    """Who spoke most about `q`: /search's speaker facet, each speaker's best-matching
    contribution cited."""
    if not 1 <= request.limit <= TOP_SPEAKERS:
        raise InvalidRequest("limit", f"limit must be between 1 and {TOP_SPEAKERS}, not "
                                      f"{request.limit}")
    results = index.search(request.q, k=1, filters=request.filters(),
                           browsing=Browsing(facets="speaker"))
    found = [c for c in (results.facets or {}).get("speaker", ())
             if isinstance(c, SpeakerCount)][: request.limit]
    records = index.records_by_id(c.best for c in found)
    listed = [TopicSpeaker(value=c.value, count=c.count, person_id=c.person_id, name=c.name,
                           party=c.party, office=c.office, citation=citation(records[c.best]))
              for c in found]
    return FindSpeakersResponse(query=results.query, filters=results.filters,
                                matches=results.matches or 0, count=len(listed),
                                speakers=listed)
