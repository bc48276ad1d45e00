"""FastAPI: thin routes over the operations, the search page, and MCP at /mcp."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.routing import Route

from indexer.errors import DebateSearchError, IndexNotFound
from search_api.engine.live_index import LiveIndex
from search_api.engine.search_index import SearchIndex
from search_api.interfaces.http.errors import ERROR_RESPONSES, add_error_handlers
from search_api.interfaces.http.openapi import index_openapi
from search_api.interfaces.http.shedding import LoadShedding
from search_api.interfaces.mcp import MountedMCP, build_mcp_server
from search_api.operations import answer_schemas, operations, schemas, tools
from search_api.settings import Settings

STATIC_DIR = Path(__file__).parent / "static"
# The page builds its DOM from text only; this forbids inline and foreign scripts besides.
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'")


@functools.lru_cache
def get_settings() -> Settings:
    return Settings()


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API over the index named by `settings`: its current build is opened at start-up,
    and each build published later replaces it without a restart (engine/live_index.py)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        settings = app.state.settings
        import torch

        torch.set_num_threads(settings.torch_threads)
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
    app.add_middleware(LoadShedding, limit=app.state.settings.max_in_flight,
                       workers=app.state.settings.search_workers)
    add_error_handlers(app)
    _add_routes(app)
    _add_page(app)
    _add_chatbot(app)
    app.openapi = index_openapi(app, lambda: _serving(app))
    return app


def loaded_index(app: FastAPI) -> SearchIndex:
    """The index the app serves now, or the error that keeps one from loading."""
    live = getattr(app.state, "live", None)
    if live is None:
        raise getattr(app.state, "model_error", None) or IndexNotFound("not started yet")
    return live.get()


def _serving(app: FastAPI) -> SearchIndex | None:
    try:
        return loaded_index(app)
    except DebateSearchError:
        return None


def get_index(request: Request) -> SearchIndex:
    return loaded_index(request.app)


IndexDep = Annotated[SearchIndex, Depends(get_index)]


def _add_get_and_post(app: FastAPI, path: str, operation: Callable, request: type[BaseModel],
                      response: type[BaseModel], tag: str, description: str) -> None:
    """One operation at `path`, two ways: GET with the request's fields as query parameters,
    POST with them as a JSON body."""

    def get(index, params):
        return operation(index, params)

    def post(index, body):
        return operation(index, body)

    # Signatures made here, from the models given: FastAPI reads its parameters from them.
    get.__signature__ = _signature(index=IndexDep, params=Annotated[request, Query()])
    post.__signature__ = _signature(index=IndexDep, body=request)
    name = path.strip("/")
    app.add_api_route(path, get, methods=["GET"], name=f"{name}_get", response_model=response,
                      tags=[tag], description=description)
    app.add_api_route(path, post, methods=["POST"], name=f"{name}_post",
                      response_model=response, tags=[tag],
                      description=f"The same as GET {path}, with the fields as a JSON body.")


def _signature(**annotations) -> inspect.Signature:
    return inspect.Signature([inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                                annotation=annotation)
                              for name, annotation in annotations.items()])


def _add_routes(app: FastAPI) -> None:
    _add_get_and_post(app, "/search", operations.search, schemas.SearchRequest,
                      schemas.SearchResponse, "search",
                      "Contributions that answer `q`, best first, one per contribution.")

    @app.get("/contributions/{contribution_id:path}", response_model=schemas.ContributionPublic,
             tags=["contributions"])
    def get_contribution(index: IndexDep, contribution_id: str):
        """One contribution: full text, attribution, neighbours in the debate, Q/A links."""
        return operations.contribution(index, schemas.ContributionRequest(id=contribution_id))

    @app.get("/speakers", response_model=schemas.SpeakersResponse, tags=["speakers"])
    def get_speakers(index: IndexDep, params: Annotated[schemas.SpeakersRequest, Query()]):
        """Speakers whose name or person id matches `q`, with their contribution counts."""
        return operations.speakers(index, params)

    @app.get("/health", tags=["service"])
    def health(index: IndexDep):
        return {"status": "ok", "contributions": index.store.contribution_count,
                "build_id": index.manifest["build_id"]}

    @app.get("/stats", tags=["service"])
    def stats(index: IndexDep):
        """What the index holds: counts by kind and house, attribution coverage, model."""
        return operations.stats(index)


def _add_page(app: FastAPI) -> None:
    """The search page at / (plain HTML, CSS and JS from static/, no build step)."""

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    def page():
        return FileResponse(STATIC_DIR / "index.html",
                            headers={"Content-Security-Policy": PAGE_CSP})

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


def _add_chatbot(app: FastAPI) -> None:
    """/answer, /context, /tools, and the MCP server over streamable HTTP at /mcp."""

    _add_get_and_post(app, "/answer", operations.answer, answer_schemas.AnswerRequest,
                      answer_schemas.AnswerResponse, "answers",
                      "Verbatim sentences answering `q`, grouped by speaker, each cited; or why "
                      "none.")

    @app.post("/context", response_model=answer_schemas.ContextResponse, tags=["answers"])
    def context_post(index: IndexDep, body: answer_schemas.ContextRequest):
        """The best passages for `q`, numbered and cited, within `max_tokens` (tiktoken)."""
        return operations.context(index, body)

    @app.get("/tools", tags=["answers"])
    def tool_definitions():
        """The chatbot tools as OpenAI function definitions (JSON Schema); MCP serves /mcp."""
        return {"tools": tools.openai_tools()}

    server = build_mcp_server(lambda: loaded_index(app))
    app.state.mcp = MountedMCP(server, host=app.state.settings.host)
    app.router.routes.append(Route("/mcp", endpoint=app.state.mcp))
