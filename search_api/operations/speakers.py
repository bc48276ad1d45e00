"""GET /speakers and the list_speakers tool: speakers by name or person id, busiest first."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from indexer.store.records import SpeakerSummary
from search_api.engine.catalogue import MAX_SPEAKERS, list_speakers
from search_api.engine.search_index import SearchIndex
from search_api.operations.fields import WholeNumber, constrained


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
