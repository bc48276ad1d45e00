"""The MCP server: search_api.operations.tools' operations as MCP tools (official SDK, `MCPServer`).

Served over streamable HTTP at /mcp of the API (interfaces/http/app.py) and over stdio by
`debate-search mcp --index DIR`. Each tool's parameters are the fields of its request model
(the signature is built from the model), so the MCP input schema, GET /tools and the HTTP
routes share one definition; results are the API's response models, as structured content.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable
from typing import Annotated

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticUndefined

from indexer.errors import DebateSearchError
from search_api.operations.tools import TOOLS, ToolSpec

INSTRUCTIONS = (
    "Search and quote parliamentary records with exact attribution. Quote only text the "
    "tools return, attribute it to the speaker the tool names, and cite the contribution id "
    "or source link. Use answer_question for a direct answer, search_debates to explore, "
    "get_contribution for the full text, list_speakers to find a speaker's exact name."
)


def build_mcp_server(get_index: Callable[[], object]) -> MCPServer:
    """An MCP server whose tools answer from the SearchIndex `get_index()` returns."""
    server = MCPServer("debate-search", instructions=INSTRUCTIONS, version="0.1.0",
                       log_level="WARNING")
    for spec in TOOLS:
        server.add_tool(_tool_function(spec, get_index), name=spec.name,
                        description=spec.description, structured_output=True)
    return server


class MountedMCP:
    """The MCP server as the ASGI endpoint of another app (the API's /mcp), stateless JSON.

    Enter `run()` in that app's lifespan: each start gets a fresh session manager, as the
    SDK runs one only once.
    """

    def __init__(self, server: MCPServer, host: str):
        self.server, self.host = server, host

    def run(self):
        self.server.streamable_http_app(stateless_http=True, json_response=True, host=self.host)
        return self.server.session_manager.run()

    async def __call__(self, scope, receive, send) -> None:
        await self.server.session_manager.asgi_app(scope, receive, send)


def _tool_function(spec: ToolSpec, get_index: Callable[[], object]):
    def call(**arguments) -> BaseModel:
        try:
            request = spec.input_model(**arguments)
            return spec.run(get_index(), request)
        except ValidationError as exc:
            raise ToolError(str(exc)) from exc
        except DebateSearchError as exc:  # bad input or no index: tell the model why
            raise ToolError(str(exc)) from exc

    call.__name__ = spec.name
    call.__doc__ = spec.description
    call.__signature__ = _signature(spec.input_model, spec.output_model)
    return call


def _signature(model: type[BaseModel], returns: type[BaseModel]) -> inspect.Signature:
    """Keyword parameters mirroring `model`'s fields: types, defaults and descriptions."""
    parameters = []
    for name, info in model.model_fields.items():
        described = copy.copy(info)
        default = info.default if info.default is not PydanticUndefined else inspect._empty
        described.default = PydanticUndefined
        parameters.append(inspect.Parameter(
            name, inspect.Parameter.KEYWORD_ONLY, default=default,
            annotation=Annotated[info.annotation, described],
        ))
    return inspect.Signature(parameters, return_annotation=returns)
