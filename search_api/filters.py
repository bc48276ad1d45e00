"""What a caller may restrict a search to, checked and compiled to SQL over `contributions`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, fields

from indexer.contribution import Kind
from indexer.members import party_aliases
from search_api.errors import InvalidRequest

MAX_QUERY_CHARS = 500
MAX_K = 100
MAX_OFFSET = 10_000


@dataclass(frozen=True)
class SearchFilters:
    """Restrictions on which contributions may be returned; None means any."""

    speaker: str | None = None  # a name (case-insensitive substring) or a person id
    party: str | None = None  # full name or code, e.g. "Labour" or "Lab"
    house: str | None = None
    kind: str | None = None
    date_from: str | None = None  # ISO date, inclusive
    date_to: str | None = None
    debate: str | None = None  # case-insensitive substring of the debate title
    parliament: str | None = None  # e.g. "UK Parliament", "Parliament of Canada"
    corpus: str | None = None  # a corpus manifest's name

    def __post_init__(self):
        # A blank value (an empty form field) means no filter, not "matches everything".
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, str):
                object.__setattr__(self, f.name, value.strip() or None)

    def active(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


@dataclass(frozen=True)
class KnownValues:
    """The values an index holds, for checking filters and naming the valid ones."""

    parties: Sequence[str]
    houses: Sequence[str]
    parliaments: Sequence[str]
    corpora: Sequence[str]


def compile_filters(filters: SearchFilters, known: KnownValues) -> tuple[str, list]:
    """A WHERE clause (without the keyword; "" when nothing is filtered) and its arguments."""
    clauses, args = [], []
    if filters.speaker:
        clause, speaker_args = speaker_clause(filters.speaker)
        clauses.append(clause)
        args += speaker_args
    if filters.party:
        clauses.append("party = ?")
        args.append(_known_party(filters.party, known.parties))
    for name, column, options in (
        ("house", "house", known.houses),
        ("kind", "kind", [k.value for k in Kind]),
        ("parliament", "parliament", known.parliaments),
        ("corpus", "corpus", known.corpora),
    ):
        value = getattr(filters, name)
        if value:
            clauses.append(f"{column} = ?")
            args.append(_pick(name, value, options))
    date_from = _parse_date("date_from", filters.date_from)
    date_to = _parse_date("date_to", filters.date_to)
    if date_from and date_to and date_from > date_to:
        raise InvalidRequest("date_from", f"date_from {date_from} is after date_to {date_to}")
    if date_from:
        clauses.append("date >= ?")
        args.append(date_from)
    if date_to:
        clauses.append("date <= ?")
        args.append(date_to)
    if filters.debate:
        clauses.append("debate_title LIKE ? ESCAPE '\\'")
        args.append(contains(filters.debate))
    return " AND ".join(clauses), args


def validate_query(query: str | None) -> str:
    query = (query or "").strip()
    if not query:
        raise InvalidRequest("q", "the query is empty; type a question or some words")
    if len(query) > MAX_QUERY_CHARS:
        raise InvalidRequest(
            "q", f"the query is {len(query)} characters long; the most allowed is {MAX_QUERY_CHARS}"
        )
    return query


def validate_page(k: int, offset: int) -> None:
    if not 1 <= k <= MAX_K:
        raise InvalidRequest("k", f"k must be between 1 and {MAX_K}, not {k}")
    if not 0 <= offset <= MAX_OFFSET:
        raise InvalidRequest("offset", f"offset must be between 0 and {MAX_OFFSET}, not {offset}")


def contains(value: str) -> str:
    """A LIKE pattern matching `value` anywhere, with LIKE's wildcards escaped."""
    escaped = value.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def speaker_clause(value: str) -> tuple[str, list[str]]:
    """Matches a person id exactly, or a printed or canonical name containing `value`."""
    pattern = contains(value)
    return (
        "(person_id = ? OR speaker_name LIKE ? ESCAPE '\\' OR member_name LIKE ? ESCAPE '\\')",
        [value.strip(), pattern, pattern],
    )


def _known_party(value: str, parties: Sequence[str]) -> str:
    aliases = {name.lower(): name for name in parties}
    aliases.update({a: n for a, n in party_aliases().items() if n in parties})
    try:
        return aliases[value.strip().lower()]
    except KeyError:
        raise InvalidRequest(
            "party", f"unknown party {value!r}; known: {', '.join(parties)}"
        ) from None


def _pick(name: str, value: str, known: Sequence[str]) -> str:
    for option in known:
        if option.lower() == value.strip().lower():
            return option
    raise InvalidRequest(name, f"unknown {name} {value!r}; known: {', '.join(known)}")


def _parse_date(name: str, value: str | None) -> str | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise InvalidRequest(name, f"{name} {value!r} is not a date; use YYYY-MM-DD") from None
