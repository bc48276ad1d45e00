"""The MCP server: search_api.operations.tools' operations as MCP tools (official SDK, `MCPServer`).

Served over streamable HTTP at /mcp of the API (interfaces/http/app.py) and over stdio by
`debate-search mcp --index DIR`. Each tool is declared to the SDK as it is (`Tool`, with its
input schema and `FuncMetadata`), not read from a function's signature: its arguments are its
request model's fields, so the MCP input schema, GET /tools and the HTTP routes share one
definition; results are the API's response models, as structured content.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from pydantic import BaseModel, ConfigDict
from starlette.types import Receive, Scope, Send

from indexer.errors import DebateSearchError
from search_api.engine.search_index import SearchIndex
from search_api.operations.answers import AnswerRequest
from search_api.operations.contributions import ContributionRequest, contribution
from search_api.operations.debates import MAX_DEBATE_PAGE, DebateRequest, debate
from search_api.operations.search import SearchRequest
from search_api.operations.speakers import FindSpeakersRequest, SpeakersRequest
from search_api.operations.tools import TOOLS, ToolSpec

INSTRUCTIONS = (
    "Search and quote parliamentary records with exact attribution. Quote only text the "
    "tools return, attribute it to the speaker the tool names, and cite the contribution id "
    "or source link. Use answer_question for a direct answer, search_debates to explore, "
    "get_contribution for the full text, get_debate for the whole debate around it, "
    "list_speakers to find a speaker's exact name, find_speakers to see who spoke most about "
    "a topic. Resources debate://{id} and contribution://{id} attach a debate or a "
    "contribution."
)


# Each tool's arguments: its request model, as the SDK validates a tool's arguments
# (ArgModelBase). They keep what MCP clients have always been shown and given: the schema's
# title is the SDK's name for a tool's arguments, and arguments a tool does not take are
# ignored (the SDK's way) rather than refused.
class SearchDebatesArguments(ArgModelBase, SearchRequest):
    model_config = ConfigDict(title="search_debatesArguments", extra="ignore")


class GetContributionArguments(ArgModelBase, ContributionRequest):
    model_config = ConfigDict(title="get_contributionArguments", extra="ignore")


class GetDebateArguments(ArgModelBase, DebateRequest):
    model_config = ConfigDict(title="get_debateArguments", extra="ignore")


class AnswerQuestionArguments(ArgModelBase, AnswerRequest):
    model_config = ConfigDict(title="answer_questionArguments", extra="ignore")


class ListSpeakersArguments(ArgModelBase, SpeakersRequest):
    model_config = ConfigDict(title="list_speakersArguments", extra="ignore")


class FindSpeakersArguments(ArgModelBase, FindSpeakersRequest):
    model_config = ConfigDict(title="find_speakersArguments", extra="ignore")


ARGUMENTS: dict[str, type[ArgModelBase]] = {
    "search_debates": SearchDebatesArguments,
    "get_contribution": GetContributionArguments,
    "get_debate": GetDebateArguments,
    "answer_question": AnswerQuestionArguments,
    "list_speakers": ListSpeakersArguments,
    "find_speakers": FindSpeakersArguments,
}


def build_mcp_server(get_index: Callable[[], SearchIndex]) -> MCPServer:
    """An MCP server whose tools and resources answer from the SearchIndex `get_index()`
    returns."""
    server = MCPServer("debate-search", instructions=INSTRUCTIONS, version="0.1.0",
                       log_level="WARNING",
                       tools=[mcp_tool(spec, ARGUMENTS[spec.name], get_index) for spec in TOOLS])
    add_resources(server, get_index)
    return server


def add_resources(server: MCPServer, get_index: Callable[[], SearchIndex]) -> None:
    """Resource templates (`{+id}`: ids hold slashes) that attach a debate or a contribution
    as JSON: GET /debates/{id} (its first MAX_DEBATE_PAGE contributions) and
    GET /contributions/{id}, as the tools return them."""

    def read(make: Callable[[], BaseModel]) -> str:
        try:
            return make().model_dump_json()
        except DebateSearchError as exc:
            raise ResourceError(str(exc)) from exc

    @server.resource("debate://{+id}", name="debate", mime_type="application/json",
                     description="A whole debate by its id: its header and its contributions "
                                 f"in the record's order (the first {MAX_DEBATE_PAGE}; "
                                 "get_debate pages on).")
    def debate_resource(id: str) -> str:
        return read(lambda: debate(get_index(), DebateRequest(id=id, limit=MAX_DEBATE_PAGE)))

    @server.resource("contribution://{+id}", name="contribution", mime_type="application/json",
                     description="One contribution by its id: full text, attribution, "
                                 "neighbours and question/answer links.")
    def contribution_resource(id: str) -> str:
        return read(lambda: contribution(get_index(), ContributionRequest(id=id)))


def mcp_tool(spec: ToolSpec, arguments: type[ArgModelBase],
             get_index: Callable[[], SearchIndex]) -> Tool:
    """`spec` as the SDK's Tool: `arguments` validate a call, whose fields make the request."""

    def run(**fields: Any) -> BaseModel:
        try:
            return spec.run(get_index(), spec.input_model.model_validate(fields))
        except DebateSearchError as exc:  # bad input or no index: tell the model why
            raise ToolError(str(exc)) from exc

    return Tool(
        fn=run, name=spec.name, description=spec.description,
        parameters=arguments.model_json_schema(by_alias=True),
        fn_metadata=FuncMetadata(arg_model=arguments, output_model=spec.output_model),
        is_async=False,
    )


class MountedMCP:
    """The MCP server as the ASGI endpoint of another app (the API's /mcp), stateless JSON.

    Enter `run()` in that app's lifespan: each start gets a fresh session manager, as the
    SDK runs one only once.
    """

    def __init__(self, server: MCPServer, host: str):
        self.server, self.host = server, host

    def run(self) -> AbstractAsyncContextManager[None]:
        self.server.streamable_http_app(stateless_http=True, json_response=True, host=self.host)
        return self.server.session_manager.run()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.server.session_manager.handle_request(scope, receive, send)
