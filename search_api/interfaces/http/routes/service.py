"""/health and /stats: the index being served, and what it holds."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from search_api.interfaces.http.dependencies import BuildDep, IndexDep
from search_api.operations import service

router = APIRouter(tags=["service"])


# response_model=None: the OpenAPI document has always shown these as free-form JSON.
@router.get("/health", response_model=None)
def health(index: IndexDep, building: BuildDep) -> dict[str, Any]:
    return service.health(index, building)


@router.get("/stats", response_model=None)
def stats(index: IndexDep) -> dict[str, Any]:
    """What the index holds: counts by kind and house, attribution coverage, model."""
    return service.stats(index)
