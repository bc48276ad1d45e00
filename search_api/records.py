"""A contribution as the index stores it, with its attribution, ready to show or cite."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class SpeakerRecord:
    name: str | None  # as printed in the record
    person_id: str | None
    member_id: str | None
    member_name: str | None
    party: str | None
    party_code: str | None
    constituency: str | None
    peerage: str | None
    office: str | None
    office_source: str | None  # "record": printed beside the name; "members": members data
    chair: bool | None  # presiding over the sitting; None where the source does not say


@dataclass(frozen=True)
class DebateRecord:
    id: str
    title: str
    major_heading: str | None
    minor_heading: str | None
    position: int


@dataclass(frozen=True)
class ContributionRecord:
    id: str
    corpus: str
    parliament: str
    kind: str
    house: str
    date: str
    time: str | None
    column: str | None
    speaker: SpeakerRecord
    debate: DebateRecord
    source_url: str | None
    source_file: str | None
    previous_id: str | None  # the contribution before this one in the same debate
    next_id: str | None
    tokens_cl100k: int
    tokens_o200k: int
    text: str


def record_from_row(row: sqlite3.Row) -> ContributionRecord:
    """Build a record from a row of the index's `contributions` table."""
    return ContributionRecord(
        id=row["id"],
        corpus=row["corpus"],
        parliament=row["parliament"],
        kind=row["kind"],
        house=row["house"],
        date=row["date"],
        time=row["time"],
        column=row["column_ref"],
        speaker=SpeakerRecord(
            name=row["speaker_name"],
            person_id=row["person_id"],
            member_id=row["member_id"],
            member_name=row["member_name"],
            party=row["party"],
            party_code=row["party_code"],
            constituency=row["constituency"],
            peerage=row["peerage"],
            office=row["office"],
            office_source=row["office_source"],
            chair=None if row["speaker_chair"] is None else bool(row["speaker_chair"]),
        ),
        debate=DebateRecord(
            id=row["debate_id"],
            title=row["debate_title"],
            major_heading=row["major_heading"],
            minor_heading=row["minor_heading"],
            position=row["position"],
        ),
        source_url=row["source_url"],
        source_file=row["source_file"],
        previous_id=row["prev_id"],
        next_id=row["next_id"],
        tokens_cl100k=row["tokens_cl100k"],
        tokens_o200k=row["tokens_o200k"],
        text=row["text"],
    )
