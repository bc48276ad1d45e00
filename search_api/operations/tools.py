"""The operations offered to chatbots as tools: OpenAI-style definitions at GET /tools and
MCP tools (interfaces/mcp.py), both made from the operations' own request models."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from search_api.engine.search_index import SearchIndex
from search_api.operations.answers import AnswerRequest, AnswerResponse, answer
from search_api.operations.contributions import (
    ContributionPublic,
    ContributionRequest,
    contribution,
)
from search_api.operations.debates import DebateRequest, DebateResponse, debate
from search_api.operations.search import SearchRequest, SearchResponse, search
from search_api.operations.speakers import (
    FindSpeakersRequest,
    FindSpeakersResponse,
    SpeakersRequest,
    SpeakersResponse,
    find_speakers,
    speakers,
)


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    input_model: type[BaseModel]
    output_model: type[BaseModel]
    run: Callable[[SearchIndex, Any], BaseModel]  # (index, an input_model) -> an output_model


TOOLS = (
    ToolSpec(
        "search_debates",
        "Search parliamentary debates, questions, answers and statements by meaning. "
        "Returns contributions best first, each with speaker, office, party, constituency, "
        "house, date, debate title, a verbatim snippet, its id and source link, and links "
        "between questions and their answers. Filter by speaker, party, house, kind, dates, "
        "debate title, parliament or corpus; sort the matches newest or oldest first, group "
        "them by debate, or count them by party, house, kind, parliament, date or speaker "
        "(facets).",
        SearchRequest, SearchResponse, search,
    ),
    ToolSpec(
        "get_contribution",
        "Fetch one contribution by its id: full verbatim text, speaker and attribution, the "
        "contributions before and after it in the debate, and its question/answer links.",
        ContributionRequest, ContributionPublic, contribution,
    ),
    ToolSpec(
        "get_debate",
        "Read a whole debate by its id (a contribution's debate.id, or a citation's "
        "debate_id): its title, house, date and source link, and its contributions in the "
        "record's order, each with speaker, office, party, kind, time and first sentence, a "
        "page at a time (offset, limit); around=<contribution id> opens the page that holds "
        "that contribution.",
        DebateRequest, DebateResponse, debate,
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
        "Look up speakers (members, peers, senators, ...) by part of a name or a person id, "
        "with party, constituency, houses and how many contributions each made. Use it to find "
        "the exact name or person id for the speaker filter.",
        SpeakersRequest, SpeakersResponse, speakers,
    ),
    ToolSpec(
        "find_speakers",
        "Who spoke about a topic: the speakers of the contributions that match it closely, "
        "most first, each with how many they made, party, office at the time, and the "
        "citation of their best-matching contribution. Takes the same filters as "
        "search_debates; pass a speaker's `value` as the speaker filter to read their "
        "contributions on the topic.",
        FindSpeakersRequest, FindSpeakersResponse, find_speakers,
    ),
)


def parameters_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A request model as a self-contained JSON Schema object, without pydantic's titles."""
    return without_titles(model.model_json_schema())


def openai_tools() -> list[dict[str, Any]]:
    """The tools as OpenAI function definitions (`tools=[...]` of a chat completion)."""
    return [
        {"type": "function",
         "function": {"name": t.name, "description": t.description,
                      "parameters": parameters_schema(t.input_model)}}
        for t in TOOLS
    ]


def without_titles(schema: Any) -> Any:
    """`schema` without the `title` of each object and property (a property named title
    stays)."""
    if isinstance(schema, dict):
        return {k: without_titles(v) for k, v in schema.items()
                if not (k == "title" and isinstance(v, str))}
    if isinstance(schema, list):
        return [without_titles(v) for v in schema]
    return schema
