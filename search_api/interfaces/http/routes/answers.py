"""/answer, /context and /tools: what chatbots and language models are given (MCP, at /mcp,
is mounted by app.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from search_api.interfaces.http.dependencies import IndexDep
from search_api.operations.answers import AnswerRequest, AnswerResponse, answer
from search_api.operations.context import ContextRequest, ContextResponse, context
from search_api.operations.tools import openai_tools

router = APIRouter(tags=["answers"])


@router.get("/answer", response_model=AnswerResponse)
def answer_get(index: IndexDep, params: Annotated[AnswerRequest, Query()]) -> AnswerResponse:
    """Verbatim sentences answering `q`, grouped by speaker, each cited; or why none."""
    return answer(index, params)


@router.post("/answer", response_model=AnswerResponse)
def answer_post(index: IndexDep, body: AnswerRequest) -> AnswerResponse:
    """The same as GET /answer, with the fields as a JSON body."""
    return answer(index, body)


@router.post("/context", response_model=ContextResponse)
def context_post(index: IndexDep, body: ContextRequest) -> ContextResponse:
    """The best passages for `q`, numbered and cited, within `max_tokens` (tiktoken)."""
    return context(index, body)


@router.get("/tools", response_model=None)
def tool_definitions() -> dict[str, Any]:
    """The chatbot tools as OpenAI function definitions (JSON Schema); MCP serves /mcp."""
    return {"tools": openai_tools()}
