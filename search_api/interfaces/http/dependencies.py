"""What routes are given: the index the app serves now (or the error that keeps one from
loading), how far the build beside it has got, and the app's settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Request

from indexer.errors import IndexNotFound
from indexer.pipeline.background import BuildProgress
from search_api.engine.search_index import SearchIndex
from search_api.errors import IndexBuilding
from search_api.settings import Settings


def loaded_index(app: FastAPI) -> SearchIndex:
    """The index `app` serves now, or the error that keeps one from loading: IndexBuilding
    while the build beside the server has published nothing yet."""
    live = getattr(app.state, "live", None)
    if live is None:
        raise getattr(app.state, "model_error", None) or IndexNotFound("not started yet")
    try:
        return live.get()
    except IndexNotFound as exc:
        build = app.state.build
        if build is not None and build.running:
            raise IndexBuilding(live.index_dir, build.progress()) from exc
        raise


def get_index(request: Request) -> SearchIndex:
    return loaded_index(request.app)


def get_build_progress(request: Request) -> BuildProgress | None:
    build, live = request.app.state.build, request.app.state.live
    if build is None:
        return None
    return build.progress(served=live is None or live.serves_newest())


def get_app_settings(request: Request) -> Settings:
    """The settings the app was made with."""
    return request.app.state.settings


IndexDep = Annotated[SearchIndex, Depends(get_index)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
BuildDep = Annotated[BuildProgress | None, Depends(get_build_progress)]
