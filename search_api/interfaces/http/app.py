"""FastAPI: one router per resource (routes/), the search page, and MCP at /mcp."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.routing import Route

from indexer.errors import DebateSearchError
from indexer.pipeline.background import BackgroundBuild
from search_api.engine.live_index import LiveIndex
from search_api.engine.search_index import SearchIndex
from search_api.interfaces.http.dependencies import loaded_index
from search_api.interfaces.http.errors import ERROR_RESPONSES, add_error_handlers
from search_api.interfaces.http.openapi import index_openapi
from search_api.interfaces.http.routes import (
    answers,
    contributions,
    debates,
    feeds,
    page,
    search,
    service,
    speakers,
)
from search_api.interfaces.http.shedding import LoadShedding
from search_api.interfaces.http.timing import ServerTiming
from search_api.interfaces.mcp import MountedMCP, build_mcp_server
from search_api.settings import Settings


@functools.lru_cache
def get_settings() -> Settings:
    return Settings()


def create_app(settings: Settings | None = None, build: BackgroundBuild | None = None
               ) -> FastAPI:
    """The API over the index named by `settings`: its current build is opened at start-up,
    and each build published later replaces it without a restart (engine/live_index.py).
    Searches are not shed here but by the server's app around it (create_server_app).
    `build`: the build of that index running beside the server, which /health reports."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings = app.state.settings
        try:
            # Opens the current build now (/health means ready to answer), later ones as
            # they are published; a missing or unreadable index is every route's answer
            # until one can be opened.
            app.state.live, app.state.model_error = LiveIndex(
                settings.index_dir, spec=settings.embedder_spec()), None
        except DebateSearchError as exc:  # serve the error on every route, not a crash
            app.state.live, app.state.model_error = None, exc
        async with app.state.mcp.run():  # the /mcp endpoint's session manager
            yield

    app = FastAPI(
        title="debate-search",
        summary="Semantic search over parliamentary debates, every passage attributed.",
        version="0.1.0",
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
    )
    app.state.settings = settings or get_settings()
    app.state.build = build
    app.add_middleware(ServerTiming)  # a refusal (create_server_app) is timed by no one
    add_error_handlers(app)
    for router in (search.router, contributions.router, speakers.router, service.router,
                   page.router, answers.router, feeds.router, debates.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=page.STATIC_DIR), name="static")
    app.state.mcp = MountedMCP(build_mcp_server(lambda: loaded_index(app)),
                               host=app.state.settings.host)
    app.router.routes.append(Route("/mcp", endpoint=app.state.mcp))
    # FastAPI's documented way to serve a document of one's own ("Extending OpenAPI"), which
    # mypy reads as assigning to a method.
    app.openapi = index_openapi(app, lambda: _serving(app))  # type: ignore[method-assign]
    return app


def create_server_app(settings: Settings | None = None, build: BackgroundBuild | None = None
                      ) -> LoadShedding:
    """What `serve` runs: the API behind load shedding, in front of all of it, so that a
    search refused under overload costs none of FastAPI's work (shedding.py)."""
    app = create_app(settings, build)
    return LoadShedding(app, limit=app.state.settings.max_in_flight,
                        workers=app.state.settings.search_workers)


def _serving(app: FastAPI) -> SearchIndex | None:
    try:
        return loaded_index(app)
    except DebateSearchError:
        return None
