"""GET /contributions/{id} and the get_contribution tool: one contribution in full, and the
summary of a contribution every other response lists.

Their fields are ContributionRecord's own (tests/test_app.py keeps them so), described by its
docstrings; Speaker and Debate are the library's dataclasses as they are.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field

from indexer.contribution import Speaker
from indexer.store.records import ContributionRecord, Debate
from search_api.descriptions import descriptions
from search_api.engine.citations import citation_line
from search_api.engine.exchanges import Exchange
from search_api.engine.search_index import ContributionInContext, SearchIndex

_RECORD_FIELDS = frozenset(f.name for f in fields(ContributionRecord))
_DESCRIBED = descriptions(ContributionRecord)
ANSWERS = "Answers given to this question (written answers, or the minister's oral reply)."
ANSWERS_TO = "The question(s) this contribution answers."


class ContributionRequest(BaseModel):
    """The get_contribution tool's input (GET /contributions/{id} takes it in the path)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="A contribution id, e.g. uk.org.publicwhip/debate/2009-10-26b.3.3")


class ContributionSummary(BaseModel):
    """A contribution as search results, neighbours and question/answer links list it."""

    id: str = Field(description=_DESCRIBED["id"])
    corpus: str = Field(description=_DESCRIBED["corpus"])
    parliament: str = Field(description=_DESCRIBED["parliament"])
    kind: str = Field(description=_DESCRIBED["kind"])
    house: str = Field(description=_DESCRIBED["house"])
    date: str = Field(description=_DESCRIBED["date"])
    time: str | None = Field(description=_DESCRIBED["time"])
    column: str | None = Field(description=_DESCRIBED["column"])
    speaker: Speaker = Field(description=_DESCRIBED["speaker"])
    debate: Debate = Field(description=_DESCRIBED["debate"])
    source_url: str | None = Field(description=_DESCRIBED["source_url"])
    previous_id: str | None = Field(description=_DESCRIBED["previous_id"])
    next_id: str | None = Field(description=_DESCRIBED["next_id"])
    citation: str = Field(description="How to cite it: speaker (office; party, constituency), "
                                      "house, date, debate, id and link, in one line.")

    @classmethod
    def of(cls, record: ContributionRecord, **extra: Any) -> Self:
        """The model (this one or a subclass) of `record`: its fields of the record's, its
        citation, and `extra`, the fields that do not come from the record."""
        stored = {name: getattr(record, name) for name in cls.model_fields
                  if name in _RECORD_FIELDS}
        return cls(**stored, citation=citation_line(record), **extra)


class ContributionPublic(ContributionSummary):
    """One contribution in full, with its neighbours and question/answer links."""

    source_file: str | None = Field(description=_DESCRIBED["source_file"])
    tokens_cl100k: int = Field(description=_DESCRIBED["tokens_cl100k"])
    tokens_o200k: int = Field(description=_DESCRIBED["tokens_o200k"])
    text: str = Field(description=_DESCRIBED["text"])
    previous: ContributionSummary | None
    next: ContributionSummary | None
    answers: list[ContributionSummary] = Field(default_factory=list, description=ANSWERS)
    answers_to: list[ContributionSummary] = Field(default_factory=list, description=ANSWERS_TO)


def links(exchange: Exchange | None) -> dict[str, list[ContributionSummary]]:
    """The `answers` and `answers_to` fields of a contribution in `exchange` (none: empty)."""
    if exchange is None:
        return {}
    return {
        "answers": [ContributionSummary.of(r) for r in exchange.answers],
        "answers_to": [ContributionSummary.of(r) for r in exchange.answers_to],
    }


def contribution_response(found: ContributionInContext) -> ContributionPublic:
    return ContributionPublic.of(
        found.contribution,
        previous=ContributionSummary.of(found.previous) if found.previous else None,
        next=ContributionSummary.of(found.following) if found.following else None,
        **links(found.links),
    )


def contribution(index: SearchIndex, request: ContributionRequest) -> ContributionPublic:
    """One contribution: full text, attribution, neighbours, Q/A links."""
    return contribution_response(index.contribution_in_context(request.id))
