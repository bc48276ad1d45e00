"""One JSON shape for every error the API answers (ErrorResponse), and the status each library
error maps to."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from indexer.errors import DebateSearchError, EmbedderError, IndexFormatError, IndexNotFound
from search_api.errors import IndexBuilding, InvalidRequest, UnknownContribution, UnknownDebate


class ErrorDetail(BaseModel):
    status: int
    code: str
    message: str
    field: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorDetail


ERRORS: dict[type[DebateSearchError], tuple[int, str]] = {
    InvalidRequest: (400, "invalid_parameter"),
    UnknownContribution: (404, "unknown_contribution"),
    UnknownDebate: (404, "unknown_debate"),
    IndexBuilding: (503, "index_building"),  # before IndexNotFound: the first match counts
    IndexNotFound: (503, "index_not_found"),
    IndexFormatError: (503, "index_unreadable"),
    EmbedderError: (503, "model_unavailable"),
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse} for status in (400, 404, 503)}


def error_response(status: int, code: str, message: str, field: str | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    body = _error(status, code, message, field)
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def encoded_error(status: int, code: str, message: str, field: str | None = None) -> bytes:
    """The error shape as the JSON bytes of a body, for an answer encoded once and sent many
    times (shedding.py's refusal)."""
    return _error(status, code, message, field).model_dump_json().encode()


def _error(status: int, code: str, message: str, field: str | None) -> ErrorResponse:
    return ErrorResponse(error=ErrorDetail(status=status, code=code, message=message,
                                           field=field))


def add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DebateSearchError)
    async def library_error(request: Request, exc: DebateSearchError):
        status, code = next(
            (v for cls, v in ERRORS.items() if isinstance(exc, cls)), (500, "internal_error")
        )
        return error_response(status, code, str(exc), getattr(exc, "field", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        first = exc.errors()[0]
        if first["type"] == "json_invalid":
            detail = first.get("ctx", {}).get("error", first["msg"])
            return error_response(400, "invalid_json",
                                  f"the request body is not valid JSON: {detail}")
        field = _field_path(first["loc"])
        if first["type"] == "extra_forbidden":
            allowed = ", ".join(_parameter_names(request))
            message = f"unknown parameter {field!r}; allowed: {allowed}"
        elif field:
            message = f"{field}: {first['msg']}"
        elif first["type"] == "missing":
            message = "the request body is missing; send a JSON object"
        else:
            message = f"request body: {first['msg']}; send a JSON object"
        return error_response(400, "invalid_parameter", message, field)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        code = "not_found" if exc.status_code == 404 else "http_error"
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # RFC 9110: say which methods the path takes
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return error_response(exc.status_code, code, str(exc.detail), headers=headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        # A bug, not bad input: say so without leaking a stack trace to the caller.
        return error_response(500, "internal_error",
                              "internal error; the server log has the details")


def _field_path(loc: tuple[int | str, ...]) -> str | None:
    """Where in the request a value was refused, as a client writes it: `searches[3].k`."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part not in ("query", "body"):
            path += f".{part}" if path else part
    return path or None


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route takes at the request's path (routes are one per method; those
    of the routers the app includes are listed by iter_route_contexts)."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= route.methods or set()
    return sorted(methods)


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
