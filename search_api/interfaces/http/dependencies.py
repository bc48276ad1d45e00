"""What routes are given: the index the app serves now (or the error that keeps one from
loading)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Request

from indexer.errors import IndexNotFound
from search_api.engine.search_index import SearchIndex


def loaded_index(app: FastAPI) -> SearchIndex:
    """The index `app` serves now, or the error that keeps one from loading."""
    live = getattr(app.state, "live", None)
    if live is None:
        raise getattr(app.state, "model_error", None) or IndexNotFound("not started yet")
    return live.get()


def get_index(request: Request) -> SearchIndex:
    return loaded_index(request.app)


IndexDep = Annotated[SearchIndex, Depends(get_index)]
