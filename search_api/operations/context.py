"""POST /context and `debate-search context`: the best passages for a question, numbered and
cited, within a token budget, for a language model to answer from."""

from __future__ import annotations

from pydantic import BaseModel, Field

from indexer.text.tokens import ENCODINGS
from search_api.answering.context import MAX_CONTEXT_TOKENS, PackedContext, pack_context
from search_api.engine.search_index import SearchIndex
from search_api.operations.answers import Citation, citation
from search_api.operations.fields import QueryText, WholeNumber, constrained
from search_api.operations.filters import FilteredRequest

DEFAULT_MAX_TOKENS = 2000
DEFAULT_ENCODING = "cl100k_base"


class ContextQuestion(BaseModel):
    """What /context is asked, and in how many tokens: the fields before the filters."""

    q: QueryText = Field(description="The question the passages should answer.")
    max_tokens: WholeNumber = Field(
        DEFAULT_MAX_TOKENS, description="Token budget of the whole block, citations included.",
        json_schema_extra=constrained(minimum=1, maximum=MAX_CONTEXT_TOKENS))
    encoding: str = Field(DEFAULT_ENCODING, description="tiktoken encoding the budget is "
                                                        "counted in.",
                          json_schema_extra=constrained(enum=list(ENCODINGS)))


class ContextRequest(FilteredRequest, ContextQuestion):
    """POST /context body: a question, a token budget, an encoding, /search's filters."""


class ContextPassagePublic(BaseModel):
    number: int = Field(description="Citation marker in the context, [number].")
    role: str = Field(description="match: retrieved; answer: a reply to the passage before.")
    truncated: bool = Field(description="Cut at sentence boundaries to fit the budget; the "
                                        "context marks each cut [\u2026].")
    char_start: int
    char_end: int
    text: str = Field(description="Verbatim: the contribution's text[char_start:char_end].")
    retrieval_score: float | None
    citation: Citation


class ContextResponse(BaseModel):
    question: str
    encoding: str
    max_tokens: int
    tokens: int = Field(description="Tokens of `context` in `encoding`; never over max_tokens.")
    answerable: bool
    top_score: float | None
    threshold: float
    filters: dict[str, str]
    context: str = Field(description="The prompt-ready block: passages, then citations.")
    passages: list[ContextPassagePublic]


def context_response(packed: PackedContext) -> ContextResponse:
    return ContextResponse(
        question=packed.question, encoding=packed.encoding, max_tokens=packed.max_tokens,
        tokens=packed.tokens, answerable=packed.answerable, top_score=packed.top_score,
        threshold=packed.threshold, filters=packed.filters, context=packed.text,
        passages=[
            ContextPassagePublic(
                number=p.number, role=p.role, truncated=p.truncated, char_start=p.start,
                char_end=p.end, text=p.text, retrieval_score=p.score,
                citation=citation(p.contribution),
            )
            for p in packed.passages
        ],
    )


def context(index: SearchIndex, request: ContextRequest) -> ContextResponse:
    """The best passages for `q`, numbered and cited, within `max_tokens`."""
    packed = pack_context(index, request.q, request.max_tokens, request.encoding,
                          request.filters())
    return context_response(packed)
