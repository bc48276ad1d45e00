"""/contributions/{id}: one contribution in full."""

from __future__ import annotations

from fastapi import APIRouter

from search_api.interfaces.http.dependencies import IndexDep
from search_api.operations.contributions import (
    ContributionPublic,
    ContributionRequest,
    contribution,
)

router = APIRouter(tags=["contributions"])


# An id holds slashes (uk.org.publicwhip/debate/2009-10-26b.3.3): the path takes them all.
@router.get("/contributions/{contribution_id:path}", response_model=ContributionPublic)
def get_contribution(index: IndexDep, contribution_id: str) -> ContributionPublic:
    """One contribution: full text, attribution, neighbours in the debate, Q/A links."""
    return contribution(index, ContributionRequest(id=contribution_id))
