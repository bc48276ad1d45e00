"""The operations a chatbot (or a route) calls, and their OpenAI-style tool definitions.

Each operation takes a SearchIndex and a request model and returns a response model; the
HTTP routes, the CLI and the MCP server (search_api/mcp_server.py) all call these, and the
tool definitions at GET /tools are generated from the same request models, so the three
cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel

from search_api import schemas
from search_api.answer_schemas import (
    AnswerRequest,
    AnswerResponse,
    ContextRequest,
    ContextResponse,
    ContributionRequest,
    answer_response,
    context_response,
)
from search_api.answers import answer_question, render_answer
from search_api.catalogue import list_speakers
from search_api.context import pack_context
from search_api.exchanges import exchanges


def search(index, request: schemas.SearchRequest) -> schemas.SearchResponse:
    """Contributions that answer `q`, best first, each with its Q/A links."""
    results = index.search(request.q, k=request.k, offset=request.offset,
                           filters=request.filters(), mode=request.mode,
                           understand=request.understand)
    links = exchanges(index, [hit.contribution.id for hit in results.hits])
    return schemas.search_response(results, links)


def contribution(index, request: ContributionRequest) -> schemas.ContributionPublic:
    """One contribution: full text, attribution, neighbours, Q/A links."""
    record, previous, following = index.contribution_in_context(request.id)
    return schemas.contribution_response(record, previous, following,
                                         exchanges(index, [record.id])[record.id])


def answer(index, request: AnswerRequest) -> AnswerResponse:
    """Verbatim quotes answering `q`, grouped by speaker, each cited."""
    result = answer_question(index, request.q, request.filters())
    return answer_response(result, render_answer(result))


def context(index, request: ContextRequest) -> ContextResponse:
    """The best passages for `q`, numbered and cited, within `max_tokens`."""
    packed = pack_context(index, request.q, request.max_tokens, request.encoding,
                          request.filters())
    return context_response(packed)


def speakers(index, request: schemas.SpeakersRequest) -> schemas.SpeakersResponse:
    """Speakers whose name or person id matches `q`, busiest first."""
    return schemas.speakers_response(request.q, list_speakers(index, request.q, request.limit))


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    input_model: type[BaseModel]
    output_model: type[BaseModel]
    run: Callable  # (index, input) -> output


TOOLS = (
    ToolSpec(
        "search_debates",
        "Search UK parliamentary debates, questions, answers and statements by meaning. "
        "Returns contributions best first, each with speaker, office, party, constituency, "
        "house, date, debate title, a verbatim snippet, its id and source link, and links "
        "between questions and their answers. Filter by speaker, party, house, kind, dates, "
        "debate title.",
        schemas.SearchRequest, schemas.SearchResponse, search,
    ),
    ToolSpec(
        "get_contribution",
        "Fetch one contribution by its id: full verbatim text, speaker and attribution, the "
        "contributions before and after it in the debate, and its question/answer links.",
        ContributionRequest, schemas.ContributionPublic, contribution,
    ),
    ToolSpec(
        "answer_question",
        "Answer a question with verbatim sentences from the record only, grouped by speaker, "
        "each with its citation; a quoted question brings the answer given to it. Says so "
        "(answerable: false) when nothing in the record answers the question. Quote the "
        "returned sentences as they are and attribute them to their speakers.",
        AnswerRequest, AnswerResponse, answer,
    ),
    ToolSpec(
        "list_speakers",
        "Look up speakers (MPs, peers, ...) by part of a name or a person id, with party, "
        "constituency, houses and how many contributions each made. Use it to find the exact "
        "name or person id for the speaker filter.",
        schemas.SpeakersRequest, schemas.SpeakersResponse, speakers,
    ),
)


def parameters_schema(model: type[BaseModel]) -> dict:
    """A request model as a self-contained JSON Schema object, without pydantic's titles."""
    return without_titles(model.model_json_schema())


def openai_tools() -> list[dict]:
    """The tools as OpenAI function definitions (`tools=[...]` of a chat completion)."""
    return [
        {"type": "function",
         "function": {"name": t.name, "description": t.description,
                      "parameters": parameters_schema(t.input_model)}}
        for t in TOOLS
    ]


def without_titles(schema):
    if isinstance(schema, dict):
        return {k: without_titles(v) for k, v in schema.items()
                if not (k == "title" and isinstance(v, str))}
    if isinstance(schema, list):
        return [without_titles(v) for v in schema]
    return schema
