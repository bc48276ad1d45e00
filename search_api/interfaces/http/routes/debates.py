"""/debates/{id}: a whole debate, a page at a time."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from search_api.interfaces.http.dependencies import IndexDep
from search_api.operations.debates import DebatePaging, DebateRequest, DebateResponse, debate

router = APIRouter(tags=["debates"])


# A debate id holds slashes (uk.org.publicwhip/debate/2009-10-26b.3.0): the path takes them all.
@router.get("/debates/{debate_id:path}", response_model=DebateResponse)
def get_debate(index: IndexDep, debate_id: str, paging: Annotated[DebatePaging, Query()]
               ) -> DebateResponse:
    """A debate's header and its contributions in the record's order, paged; `around` opens
    the page that holds a contribution."""
    return debate(index, DebateRequest(id=debate_id, **paging.model_dump()))
