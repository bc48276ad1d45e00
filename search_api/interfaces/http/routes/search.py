"""/search: GET with the request's fields as query parameters, POST with them as a JSON body."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from search_api.interfaces.http.dependencies import IndexDep
from search_api.operations.search import SearchRequest, SearchResponse, search

router = APIRouter(tags=["search"])


@router.get("/search", response_model=SearchResponse)
def search_get(index: IndexDep, params: Annotated[SearchRequest, Query()]) -> SearchResponse:
    """Contributions that answer `q`, best first, one per contribution."""
    return search(index, params)


@router.post("/search", response_model=SearchResponse)
def search_post(index: IndexDep, body: SearchRequest) -> SearchResponse:
    """The same as GET /search, with the fields as a JSON body."""
    return search(index, body)
