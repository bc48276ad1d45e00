"""FastAPI: thin routes over the search library, one JSON shape for every error."""

from __future__ import annotations

import functools
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

from indexer.embedding import SentenceTransformerEmbedder
from indexer.errors import DebateSearchError, EmbedderError, IndexFormatError, IndexNotFound
from search_api import schemas, tools
from search_api.answer_schemas import (
    AnswerRequest,
    AnswerResponse,
    ContextRequest,
    ContextResponse,
    ContributionRequest,
)
from search_api.catalogue import index_stats, list_speakers
from search_api.errors import InvalidRequest, UnknownContribution
from search_api.mcp_server import MountedMCP, build_mcp_server
from search_api.retrieval import SearchIndex
from search_api.settings import Settings

ERRORS = {
    InvalidRequest: (400, "invalid_parameter"),
    UnknownContribution: (404, "unknown_contribution"),
    IndexNotFound: (503, "index_not_found"),
    IndexFormatError: (503, "index_unreadable"),
    EmbedderError: (503, "model_unavailable"),
}


@functools.lru_cache
def get_settings() -> Settings:
    return Settings()


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API over the index named by `settings` (opened at start-up, once)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        settings = app.state.settings
        import torch

        torch.set_num_threads(settings.torch_threads)
        try:
            embedder = (SentenceTransformerEmbedder(settings.model_path)
                        if settings.model_path else None)
            app.state.index = SearchIndex(settings.index_dir, embedder=embedder)
            app.state.index.warm_up()  # load the model now: /health means ready to answer
            app.state.index_error = None
        except DebateSearchError as exc:  # serve the error on every route, not a crash
            app.state.index, app.state.index_error = None, exc
        async with app.state.mcp.run():  # the /mcp endpoint's session manager
            yield

    app = FastAPI(
        title="debate-search",
        summary="Semantic search over parliamentary debates, every passage attributed.",
        version="0.1.0",
        lifespan=lifespan,
        responses={400: {"model": schemas.ErrorResponse}, 404: {"model": schemas.ErrorResponse},
                   503: {"model": schemas.ErrorResponse}},
    )
    app.state.settings = settings or get_settings()
    _add_error_handlers(app)
    _add_routes(app)
    _add_page(app)
    _add_chatbot(app)
    return app


def get_index(request: Request) -> SearchIndex:
    if request.app.state.index is None:
        raise request.app.state.index_error or IndexNotFound("the index is not loaded")
    return request.app.state.index


IndexDep = Annotated[SearchIndex, Depends(get_index)]


def _add_routes(app: FastAPI) -> None:
    @app.get("/search", response_model=schemas.SearchResponse, tags=["search"])
    def search_get(index: IndexDep, params: Annotated[schemas.SearchRequest, Query()]):
        """Contributions that answer `q`, best first, one per contribution."""
        return _search(index, params)

    @app.post("/search", response_model=schemas.SearchResponse, tags=["search"])
    def search_post(index: IndexDep, body: schemas.SearchRequest):
        """The same as GET /search, with the fields as a JSON body."""
        return _search(index, body)

    @app.get("/contributions/{contribution_id:path}", response_model=schemas.ContributionPublic,
             tags=["contributions"])
    def get_contribution(index: IndexDep, contribution_id: str):
        """One contribution: full text, attribution, neighbours in the debate, Q/A links."""
        return tools.contribution(index, ContributionRequest(id=contribution_id))

    @app.get("/speakers", response_model=schemas.SpeakersResponse, tags=["speakers"])
    def get_speakers(index: IndexDep, params: Annotated[schemas.SpeakersRequest, Query()]):
        """Speakers whose name or person id matches `q`, with their contribution counts."""
        return schemas.speakers_response(params.q, list_speakers(index, params.q, params.limit))

    @app.get("/health", tags=["service"])
    def health(index: IndexDep):
        return {"status": "ok", "contributions": index.contribution_count,
                "build_id": index.manifest["build_id"]}

    @app.get("/stats", tags=["service"])
    def stats(index: IndexDep):
        """What the index holds: counts by kind and house, attribution coverage, model."""
        return index_stats(index)


STATIC_DIR = Path(__file__).parent / "static"
# The page builds its DOM from text only; this forbids inline and foreign scripts besides.
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'")


def _add_page(app: FastAPI) -> None:
    """The search page at / (plain HTML, CSS and JS from search_api/static, no build step)."""

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    def page():
        return FileResponse(STATIC_DIR / "index.html",
                            headers={"Content-Security-Policy": PAGE_CSP})

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


def _search(index: SearchIndex, request: schemas.SearchRequest) -> schemas.SearchResponse:
    return tools.search(index, request)


def _add_chatbot(app: FastAPI) -> None:
    """/answer, /context, /tools, and the MCP server over streamable HTTP at /mcp."""

    @app.get("/answer", response_model=AnswerResponse, tags=["answers"])
    def answer_get(index: IndexDep, params: Annotated[AnswerRequest, Query()]):
        """Verbatim sentences answering `q`, grouped by speaker, each cited; or why none."""
        return tools.answer(index, params)

    @app.post("/answer", response_model=AnswerResponse, tags=["answers"])
    def answer_post(index: IndexDep, body: AnswerRequest):
        """The same as GET /answer, with the fields as a JSON body."""
        return tools.answer(index, body)

    @app.post("/context", response_model=ContextResponse, tags=["answers"])
    def context_post(index: IndexDep, body: ContextRequest):
        """The best passages for `q`, numbered and cited, within `max_tokens` (tiktoken)."""
        return tools.context(index, body)

    @app.get("/tools", tags=["answers"])
    def tool_definitions():
        """The chatbot tools as OpenAI function definitions (JSON Schema); MCP serves /mcp."""
        return {"tools": tools.openai_tools()}

    def loaded_index() -> SearchIndex:
        if app.state.index is None:
            raise app.state.index_error or IndexNotFound("the index is not loaded")
        return app.state.index

    app.state.mcp = MountedMCP(build_mcp_server(loaded_index), host=app.state.settings.host)
    app.router.routes.append(Route("/mcp", endpoint=app.state.mcp))


def _error(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    body = schemas.ErrorResponse(
        error=schemas.ErrorDetail(status=status, code=code, message=message, field=field)
    )
    return JSONResponse(body.model_dump(), status_code=status)


def _parameter_names(request: Request) -> list[str]:
    """Names the matched route accepts, for "unknown parameter" messages."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    params = [*(dependant.query_params if dependant else []), getattr(route, "body_field", None)]
    names = []
    for param in filter(None, params):
        model = param.field_info.annotation
        is_model = isinstance(model, type) and issubclass(model, BaseModel)
        names += list(model.model_fields) if is_model else [param.alias]
    return names


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DebateSearchError)
    async def library_error(request: Request, exc: DebateSearchError):
        status, code = next(
            (v for cls, v in ERRORS.items() if isinstance(exc, cls)), (500, "internal_error")
        )
        return _error(status, code, str(exc), getattr(exc, "field", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        first = exc.errors()[0]
        if first["type"] == "json_invalid":
            detail = first.get("ctx", {}).get("error", first["msg"])
            return _error(400, "invalid_json", f"the request body is not valid JSON: {detail}")
        field = ".".join(str(p) for p in first["loc"] if p not in ("query", "body")) or None
        if first["type"] == "extra_forbidden":
            allowed = ", ".join(_parameter_names(request))
            message = f"unknown parameter {field!r}; allowed: {allowed}"
        elif field:
            message = f"{field}: {first['msg']}"
        elif first["type"] == "missing":
            message = "the request body is missing; send a JSON object"
        else:
            message = f"request body: {first['msg']}; send a JSON object"
        return _error(400, "invalid_parameter", message, field)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        code = "not_found" if exc.status_code == 404 else "http_error"
        return _error(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        # A bug, not bad input: say so without leaking a stack trace to the caller.
        return _error(500, "internal_error", "internal error; the server log has the details")
