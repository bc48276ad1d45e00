"""/speakers: speakers by name or person id."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from search_api.interfaces.http.dependencies import IndexDep
from search_api.operations.speakers import SpeakersRequest, SpeakersResponse, speakers

router = APIRouter(tags=["speakers"])


@router.get("/speakers", response_model=SpeakersResponse)
def get_speakers(index: IndexDep, params: Annotated[SpeakersRequest, Query()]
                 ) -> SpeakersResponse:
    """Speakers whose name or person id matches `q`, with their contribution counts."""
    return speakers(index, params)
