"""How a contribution is cited: one wording for answers, context blocks, the API, CLI and page."""

from __future__ import annotations

from indexer.contribution import Speaker
from indexer.store.records import ContributionRecord

# Where a record names no speaker (Speaker.name is None; the API keeps it null): the words for
# it in citations, answers and context blocks; the page shows the same (static/app.js).
NO_SPEAKER = "(speaker not recorded in the source)"


def describe_speaker(speaker: Speaker) -> str:
    """"Name (office; party, constituency)" with whatever the record knows."""
    details = ", ".join(x for x in (speaker.party, speaker.constituency or speaker.peerage) if x)
    inner = "; ".join(x for x in (speaker.office, details) if x)
    name = speaker.name or NO_SPEAKER
    return f"{name} ({inner})" if inner else name


def citation_line(record: ContributionRecord) -> str:
    """One line citing a contribution: who, where, when, which debate, its id and link."""
    parts = [describe_speaker(record.speaker), record.house, record.date, record.debate.title,
             record.id]
    if record.source_url:
        parts.append(record.source_url)
    return ". ".join(p.rstrip(".") for p in parts if p)


def speaker_key(speaker: Speaker) -> str:
    """The person id, or "name:<printed name>" where the person is unknown."""
    return speaker.person_id or f"name:{speaker.name or 'unknown'}"
