"""Request and response models of /answer, /context and the chatbot tools; they take exactly
the filters /search takes (fields.filter_fields)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, create_model

from indexer.contribution import Speaker
from indexer.store.records import ContributionRecord
from search_api.answering.answers import Answer
from search_api.answering.citations import citation_line
from search_api.answering.context import MAX_CONTEXT_TOKENS, PackedContext
from search_api.operations.fields import (
    FilteredRequest,
    WholeNumber,
    filter_fields,
    query_field,
)

AnswerRequest = create_model(
    "AnswerRequest",
    __base__=FilteredRequest,
    __doc__="GET /answer query parameters or POST /answer body: a question and /search's "
            "filters.",
    q=query_field("The question, e.g. 'What did the minister say about Tasers?'"),
    **filter_fields(),
)

ContextRequest = create_model(
    "ContextRequest",
    __base__=FilteredRequest,
    __doc__="POST /context body: a question, a token budget, an encoding, /search's filters.",
    q=query_field("The question the passages should answer."),
    max_tokens=(WholeNumber, Field(2000, ge=1, le=MAX_CONTEXT_TOKENS,
                           description="Token budget of the whole block, citations included.")),
    encoding=(Literal["cl100k_base", "o200k_base"],
              Field("cl100k_base", description="tiktoken encoding the budget is counted in.")),
    **filter_fields(),
)


class Citation(BaseModel):
    contribution_id: str
    speaker: str | None = Field(description="The speaker's name as printed in the record; "
                                            "null where it names no one (`text` says so).")
    person_id: str | None
    office: str | None
    party: str | None
    constituency: str | None = Field(description="Constituency, or a peer's title.")
    house: str
    date: str
    debate_title: str
    kind: str
    source_url: str | None = Field(description="The official record.")
    text: str = Field(description="The whole citation in one line, as `text` of the answer "
                                  "and /search's `citation` write it.")


class QuotePublic(BaseModel):
    text: str = Field(description="A verbatim sentence: the contribution's text[start:end].")
    char_start: int
    char_end: int
    score: float = Field(description="Cosine similarity of the sentence to the question.")


class AnswerContribution(BaseModel):
    marker: int = Field(description="Citation number in `text`, [marker].")
    role: str = Field(description="match: retrieved; answer: a reply to a quoted question; "
                                  "question: the question a quoted answer replies to.")
    retrieval_score: float | None = Field(
        description="The ranking score search gave it (None where linked, not retrieved).")
    citation: Citation
    quotes: list[QuotePublic]
    answers: list[str] = Field(description="Ids of quoted contributions replying to this one.")
    answers_to: list[str] = Field(description="Ids of quoted questions this one replies to.")


class SpeakerPositionPublic(BaseModel):
    speaker: Speaker
    contributions: list[AnswerContribution]


class AnswerResponse(BaseModel):
    question: str
    answerable: bool = Field(description="False: nothing in the index answers the question.")
    top_score: float | None = Field(description="The best retrieval score (cosine).")
    threshold: float = Field(description="The score an answer needs (calibrated).")
    message: str | None = Field(description="Why nothing is quoted, when nothing is.")
    filters: dict[str, str]
    speakers: list[SpeakerPositionPublic] = Field(
        description="Quotes grouped by speaker, side by side, best first.")
    text: str = Field(description="The answer as plain text: quotes by speaker, citations.")


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


def citation(record: ContributionRecord) -> Citation:
    s = record.speaker
    return Citation(
        contribution_id=record.id, speaker=s.name, person_id=s.person_id, office=s.office,
        party=s.party, constituency=s.constituency or s.peerage, house=record.house,
        date=record.date, debate_title=record.debate.title, kind=record.kind,
        source_url=record.source_url, text=citation_line(record),
    )


def answer_response(answer: Answer, text: str) -> AnswerResponse:
    return AnswerResponse(
        question=answer.question, answerable=answer.answerable, top_score=answer.top_score,
        threshold=answer.threshold, message=answer.message, filters=answer.filters, text=text,
        speakers=[
            SpeakerPositionPublic(
                speaker=position.speaker,
                contributions=[
                    AnswerContribution(
                        marker=c.marker, role=c.role, retrieval_score=c.score,
                        citation=citation(c.contribution),
                        quotes=[QuotePublic(text=q.text, char_start=q.start, char_end=q.end,
                                            score=q.score) for q in c.quotes],
                        answers=c.answers, answers_to=c.answers_to,
                    )
                    for c in position.contributions
                ],
            )
            for position in answer.speakers
        ],
    )


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
