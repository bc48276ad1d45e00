"""/answer and the answer_question tool: verbatim sentences answering a question, grouped by
speaker, each cited; and the citation every answer and context passage carries."""

from __future__ import annotations

from pydantic import BaseModel, Field

from indexer.contribution import Speaker
from indexer.store.records import ContributionRecord
from search_api.answering.answers import Answer, answer_question, render_answer
from search_api.engine.citations import citation_line
from search_api.engine.search_index import SearchIndex
from search_api.operations.fields import QueryText
from search_api.operations.filters import FilteredRequest


class Question(BaseModel):
    """What /answer is asked: the field before the filters."""

    q: QueryText = Field(description="The question, e.g. 'What did the minister say about "
                                     "Tasers?'")


class AnswerRequest(FilteredRequest, Question):
    """GET /answer query parameters or POST /answer body: a question and /search's filters."""


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
    debate_id: str = Field(description="The debate's id: the whole debate is "
                                       "GET /debates/{debate_id}.")
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


def citation(record: ContributionRecord) -> Citation:
    s = record.speaker
    return Citation(
        contribution_id=record.id, speaker=s.name, person_id=s.person_id, office=s.office,
        party=s.party, constituency=s.constituency or s.peerage, house=record.house,
        date=record.date, debate_title=record.debate.title,
        debate_id=record.debate.id, kind=record.kind,
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


def answer(index: SearchIndex, request: AnswerRequest) -> AnswerResponse:
    """Verbatim quotes answering `q`, grouped by speaker, each cited."""
    result = answer_question(index, request.q, request.filters())
    return answer_response(result, render_answer(result))
