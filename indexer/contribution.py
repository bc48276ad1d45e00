"""The data model: one Contribution per thing said (or written) in a parliament.

A Contribution carries its own attribution, so nothing downstream has to look it up again.
Anything the source does not state is None ("unknown"), never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# Pydantic reads this (a plain dict: no import here) to describe the fields of a dataclass in
# the HTTP API's schema by their docstrings, so each shape is declared and documented once.
DESCRIBED_BY_DOCSTRINGS = {"use_attribute_docstrings": True}


class Kind(StrEnum):
    """What sort of contribution this is."""

    SPEECH = "speech"  # spoken in a debate (including oral questions and answers)
    QUESTION = "question"  # a written question
    ANSWER = "answer"  # a written answer
    STATEMENT = "statement"  # a written ministerial statement
    INTERJECTION = "interjection"  # words called out during another member's speech
    DOCUMENT = "document"  # a benchmark collection's document, not a parliamentary record


@dataclass(frozen=True, slots=True)
class Speaker:
    """Who made a contribution, resolved for the sitting date.

    `name` is the name exactly as printed in the record; the other fields come from the
    members data and are None where it does not resolve.
    """

    __pydantic_config__ = DESCRIBED_BY_DOCSTRINGS

    name: str | None
    """Name exactly as printed in the record."""
    person_id: str | None = None
    """Stable across offices, e.g. uk.org.publicwhip/person/10001."""
    member_id: str | None = None
    """The source's id for this seat or term, e.g. uk.org.publicwhip/member/1605."""
    member_name: str | None = None
    """Canonical name from the members data."""
    party: str | None = None
    """Full party name, e.g. "Labour"."""
    party_code: str | None = None
    """As the source writes it, e.g. "Lab"."""
    constituency: str | None = None
    """Constituency or region (MPs, MSPs, MLAs), or state."""
    peerage: str | None = None
    """A peer's title, e.g. "Lord Bach, of Lutterworth"."""
    office: str | None = None
    """e.g. "The Parliamentary Under-Secretary of State for ..."; of several offices, the one
    the debate's heading points to, else all of them joined by "; "."""
    office_source: str | None = None
    """"record" if printed beside the name, "members" if from the members data."""
    offices: tuple[str, ...] | None = None
    """Every office the members data gives for the day (posts, a chair), e.g. ["Minister of
    State, Home Office", "Minister of State, HM Treasury"]; null where it gives none."""
    chair: bool | None = None
    """Presiding over the sitting (Speaker, chair); null where the source is silent."""


@dataclass(frozen=True, slots=True)
class Contribution:
    """One speech, question, answer or statement, with everything needed to cite it."""

    id: str  # the source's own id, e.g. uk.org.publicwhip/debate/2009-10-26b.1.8
    corpus: str  # the corpus manifest's name
    parliament: str  # the legislature, e.g. "UK Parliament", "Scottish Parliament"
    kind: Kind
    house: str  # house or body within it, e.g. "House of Commons", "Westminster Hall"
    date: str  # ISO date of the sitting
    text: str  # paragraphs joined by blank lines
    speaker: Speaker
    debate_id: str  # id of the heading that opens this contribution's debate section
    debate_title: str  # "Major heading — minor heading" as printed
    major_heading: str | None = None
    minor_heading: str | None = None
    position: int = 0  # 1-based position within its debate section
    time: str | None = None  # HH:MM:SS where the source has it
    column: str | None = None  # Hansard column, e.g. "1W"
    source_url: str | None = None  # the official record
    source_file: str | None = None  # file it was parsed from (relative to its corpus root)


@dataclass(frozen=True, slots=True)
class ParseIssue:
    """Something in a source file that could not be imported: where, and why."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.message}"
