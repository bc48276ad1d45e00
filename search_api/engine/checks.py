"""Checking what a search asks for: its query, its page, and its filters against what the
index holds, before the store applies them.

A filter value is matched to the index's own spelling (a party by its name or the source's
code, any case; houses, kinds, parliaments and corpora by name, any case) and dates are read
as ISO dates; a value the index does not hold is an error that lists the valid ones.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from indexer.contribution import Kind
from indexer.store.manifest import BuildEntry
from indexer.store.records import IndexValues, SearchFilters
from search_api.errors import InvalidRequest

MAX_QUERY_CHARS = 500
MAX_K = 100
MAX_OFFSET = 10_000
KINDS = tuple(k.value for k in Kind)


def check_filters(filters: SearchFilters, values: IndexValues,
                  builds: Sequence[BuildEntry] = ()) -> SearchFilters:
    """`filters` in the index's own spelling; InvalidRequest names a value it lacks.
    `builds`: those of the index's folder, which `since` may name."""
    changes: dict[str, str | None] = {}
    if filters.since:
        changes["since"] = _known_since(filters.since, builds)
    if filters.party:
        changes["party"] = _known_party(filters.party, values)
    for name, options in (("house", values.houses), ("kind", KINDS),
                          ("parliament", values.parliaments), ("corpus", values.corpora)):
        value = getattr(filters, name)
        if value:
            changes[name] = _pick(name, value, options)
    date_from = _parse_date("date_from", filters.date_from)
    date_to = _parse_date("date_to", filters.date_to)
    if date_from and date_to and date_from > date_to:
        raise InvalidRequest("date_from", f"date_from {date_from} is after date_to {date_to}")
    changes |= {"date_from": date_from, "date_to": date_to}
    return dataclasses.replace(filters, **changes)


def validate_query(query: str | None) -> str:
    """The query without surrounding space; InvalidRequest if empty or too long."""
    query = query or ""
    if len(query) > MAX_QUERY_CHARS:  # as given: the limit a client checks is the same
        raise InvalidRequest(
            "q", f"the query is {len(query)} characters long; the most allowed is {MAX_QUERY_CHARS}"
        )
    query = query.strip()
    if not query:
        raise InvalidRequest("q", "the query is empty; type a question or some words")
    return query


def query_text(text: str) -> str:
    """`text` cut at a word boundary to the longest query the index accepts."""
    text = " ".join(text.split())
    if len(text) <= MAX_QUERY_CHARS:
        return text
    return text[:MAX_QUERY_CHARS].rsplit(" ", 1)[0]


def validate_page(k: int, offset: int) -> None:
    if not 1 <= k <= MAX_K:
        raise InvalidRequest("k", f"k must be between 1 and {MAX_K}, not {k}")
    if not 0 <= offset <= MAX_OFFSET:
        raise InvalidRequest("offset", f"offset must be between 0 and {MAX_OFFSET}, not {offset}")


def _known_party(value: str, values: IndexValues) -> str:
    """A party by its name or by a code the source writes for it, in any case."""
    names = {party.lower(): party for party in values.parties}
    names |= {code.lower(): party for code, party in values.party_codes.items()}
    try:
        return names[value.strip().lower()]
    except KeyError:
        raise InvalidRequest(
            "party", f"unknown party {value!r}; known: {', '.join(values.parties)}"
        ) from None


def _pick(name: str, value: str, known: Sequence[str]) -> str:
    for option in known:
        if option.lower() == value.strip().lower():
            return option
    raise InvalidRequest(name, f"unknown {name} {value!r}; known: {', '.join(known)}")


def _known_since(value: str, builds: Sequence[BuildEntry]) -> str:
    """A build id of the folder's, or a date."""
    value = value.strip()
    if value in {b.id for b in builds}:
        return value
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        recent = ", ".join(b.id for b in builds[-5:])
        raise InvalidRequest(
            "since", f"since {value!r} is neither a date (YYYY-MM-DD) nor a build of this "
                     f"index; its latest builds: {recent}") from None


def _parse_date(name: str, value: str | None) -> str | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise InvalidRequest(name, f"{name} {value!r} is not a date; use YYYY-MM-DD") from None
