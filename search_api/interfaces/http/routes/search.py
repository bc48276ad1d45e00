"""/search: GET with the request's fields as query parameters, POST with them as a JSON body;
/search/batch: several POST bodies at once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from search_api.interfaces.http.dependencies import IndexDep, SettingsDep
from search_api.operations.search import (
    SearchBatchRequest,
    SearchBatchResponse,
    SearchRequest,
    SearchResponse,
    search,
    search_batch,
)

router = APIRouter(tags=["search"])


@router.get("/search", response_model=SearchResponse)
def search_get(index: IndexDep, params: Annotated[SearchRequest, Query()]) -> SearchResponse:
    """Contributions that answer `q`, best first, one per contribution."""
    return search(index, params)


@router.post("/search", response_model=SearchResponse)
def search_post(index: IndexDep, body: SearchRequest) -> SearchResponse:
    """The same as GET /search, with the fields as a JSON body."""
    return search(index, body)


@router.post("/search/batch", response_model=SearchBatchResponse)
def search_batch_post(index: IndexDep, settings: SettingsDep,
                      body: SearchBatchRequest) -> SearchBatchResponse:
    """Several searches at once (1-100, each a POST /search body), answered in order: their
    queries embedded together, searched on `search_workers` threads. A bad search refuses
    the batch, named by its position (`searches[3].k`); under load shedding a batch of n
    counts as n searches (docs/api.md)."""
    return search_batch(index, body, workers=settings.search_workers)
