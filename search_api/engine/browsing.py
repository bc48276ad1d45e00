"""Browsing a query's matches: sorted by date, grouped by debate, counted by facet.

What matches a query: the candidates of its relevance ranking without filters
(RetrievalConfig.candidates per retriever, 100 by default) whose score is at least
MATCH_SHARE of the best one's, in the mode's own scores (hybrid: the fused score, in [0, 1]);
filters then keep the matches that pass them. So what a facet counts for a value is what
choosing that value lists (a floor relative to the best under a filter would list more than
the count promised), and a narrow filter may keep no match, while relevance order still ranks
everything that passes. Browsing searches no deeper than a plain search, so it costs about
what one costs (ranking 1,000 per retriever took nearly four times as long on a
100,000-chunk index). The set depends on the index, the query, its filters and the
configuration, never on the page, and so does its order (relevance: the ranking's own; by
date: ties in relevance order), so pages neither repeat nor skip a match. Sorted by date or
grouped, the results are the matches only; in relevance order they are a plain search's, and
facets just count the matches.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import numpy as np

from indexer.contribution import DESCRIBED_BY_DOCSTRINGS
from indexer.store.reader import IndexReader
from search_api.errors import InvalidRequest

SORTS = ("relevance", "newest", "oldest")
GROUPS = ("debate",)
FIELD_FACETS = ("party", "house", "kind", "parliament", "date")  # one value a contribution
FACETS = (*FIELD_FACETS, "speaker")
# The speaker facet lists at most this many speakers, most matches first.
TOP_SPEAKERS = 20
# A candidate scoring under this share of the best is not a match. Measured on the default
# index's hand-written queries (bench/queries.py): a sharp topic keeps just its debate ("police
# use of Tasers": its 8 contributions; the 9th scores 0.25 of the best), a broad one a few
# dozen ("targets to end child poverty": 35); at 0.3 off-topic answers crept in.
MATCH_SHARE = 0.4
PER_GROUP = 3  # matching contributions shown per debate
MAX_PER_GROUP = 10
# Date facets count days when the matches span at most this many days, months when at
# most this many years, else years.
DAYS_BY_DAY = 62
YEARS_BY_MONTH = 5
_WIDTH = {"day": 10, "month": 7, "year": 4}  # of an ISO date's prefix naming its bucket


@dataclass(frozen=True, init=False)
class Browsing:
    """How to present a query's matches; the default, a relevance-ranked page of results, is
    a plain search. Given as a request gives it (blank or None: the default; `facets` may
    name several fields in one comma-separated string), kept normalised."""

    sort: str  # one of SORTS
    group: str | None  # one of GROUPS, or None
    facets: tuple[str, ...]  # of FACETS, each once
    per_group: int

    def __init__(self, sort: str | None = "relevance", group: str | None = None,
                 facets: str | Iterable[str] = (), per_group: int = PER_GROUP):
        sort = (sort or "").strip().lower() or "relevance"
        group = (group or "").strip().lower() or None
        given = [facets] if isinstance(facets, str) else facets or ()
        names = [n.strip().lower() for value in given for n in value.split(",")]
        chosen = tuple(dict.fromkeys(n for n in names if n))  # blank: none
        _known("sort", sort, SORTS)
        if group:
            _known("group", group, GROUPS)
        for name in chosen:
            _known("facet", name, FACETS, field="facets")
        if not 1 <= per_group <= MAX_PER_GROUP:
            raise InvalidRequest("per_group", f"per_group must be between 1 and "
                                              f"{MAX_PER_GROUP}, not {per_group}")
        object.__setattr__(self, "sort", sort)
        object.__setattr__(self, "group", group)
        object.__setattr__(self, "facets", chosen)
        object.__setattr__(self, "per_group", per_group)

    @property
    def plain(self) -> bool:
        """Whether this is a plain search: relevance order, no groups, no facets."""
        return not self.lists_matches and not self.facets

    @property
    def lists_matches(self) -> bool:
        """Whether the results are the matches only (sorted by date or grouped); in
        relevance order they are a plain search's, facets or not."""
        return self.sort != "relevance" or bool(self.group)


@dataclass(frozen=True, slots=True)
class FacetCount:
    """How many matching contributions have one value of a field."""

    __pydantic_config__ = DESCRIBED_BY_DOCSTRINGS

    value: str | None
    """The value; null for contributions without one. Dates: a day, month or year
    (2009-10-26, 2009-10, 2009), as facet_date_unit says."""
    count: int


@dataclass(frozen=True, slots=True)
class SpeakerCount:
    """How many matching contributions one speaker made, with the best of them."""

    __pydantic_config__ = DESCRIBED_BY_DOCSTRINGS

    value: str | None
    """What the speaker filter takes to list them: the person id, or the printed name where
    the record has no person id (a name filter matches by substring, so it may list others
    too); null for contributions that name no speaker."""
    count: int
    person_id: str | None
    name: str | None
    """The member's name from the members data, else the name as printed."""
    party: str | None
    """The party of their best-matching contribution."""
    office: str | None
    """The office they held at the time of their best-matching contribution."""
    best: str
    """Id of their best-matching contribution."""


@dataclass(frozen=True, slots=True)
class DebateSummary:
    """A debate as grouped results head it."""

    __pydantic_config__ = DESCRIBED_BY_DOCSTRINGS

    id: str
    """Id of the heading that opens the debate."""
    title: str
    """"Major heading — minor heading" as printed."""
    house: str
    date: str
    """Sitting date, YYYY-MM-DD."""


class Scored(Protocol):
    @property
    def number(self) -> int:  # the contribution's number in the index
        ...

    @property
    def score(self) -> float:
        ...


S = TypeVar("S", bound=Scored)


def matches(ranked: Sequence[S]) -> list[S]:
    """The candidates of a relevance ranking (best first) that match its query."""
    if not ranked:
        return []
    best = ranked[0].score
    floor = MATCH_SHARE * best if best > 0 else best
    return [c for c in ranked if c.score >= floor]


def in_order(found: Sequence[S], sort: str, dates: np.ndarray) -> list[S]:
    """`found` (best first) in `sort`'s order; `dates`: each one's date code
    (IndexReader.field_codes), -1 for none, which comes last either way."""
    if sort == "relevance":
        return list(found)
    key = np.where(dates < 0, np.iinfo(np.int64).max, -dates if sort == "newest" else dates)
    return [found[i] for i in np.argsort(key, kind="stable").tolist()]


def by_debate(found: Sequence[S], debates: np.ndarray, ordered: Sequence[S]) -> list[list[S]]:
    """`found` (best first) grouped by debate (`debates`: each one's debate code), each
    debate's members best first, the debates in the order of their first member in
    `ordered` (`found` in the order asked for)."""
    debate_of = dict(zip((c.number for c in found), debates.tolist(), strict=True))
    groups: dict[int, list[S]] = {debate_of[c.number]: [] for c in ordered}
    for member in found:
        groups[debate_of[member.number]].append(member)
    return list(groups.values())


def count_facets(store: IndexReader, numbers: np.ndarray, names: Sequence[str]
                 ) -> tuple[dict[str, list[FacetCount | SpeakerCount]], str | None]:
    """Each facet of `names` over these contributions (best first): values by count (most
    first, then by value, none last), dates in order, speakers as count_speakers lists
    them; and the date facet's unit (day, month or year)."""
    facets: dict[str, list[FacetCount | SpeakerCount]] = {}
    unit = None
    for name in names:
        if name == "speaker":
            facets[name] = [*count_speakers(store, numbers)]
            continue
        counted = store.value_counts(name, numbers)
        if name == "date":
            unit, counted = _by_period(counted)
        else:
            counted.sort(key=lambda vc: (vc[0] is None, -vc[1], vc[0] or ""))
        facets[name] = [FacetCount(value, count) for value, count in counted]
    return facets, unit


def count_speakers(store: IndexReader, numbers: np.ndarray, limit: int = TOP_SPEAKERS
                   ) -> list[SpeakerCount]:
    """The speakers of these contributions (by number, best first): the `limit` with most,
    ties by their best contribution's rank, those without a name last; a person by person
    id, else by printed name. Counted from the columns in memory; only the listed speakers'
    best contributions are read (for their office and id)."""
    if not len(numbers):
        return []
    person = store.field_codes("person_id", numbers)
    printed = store.field_codes("speaker_name", numbers)
    # One key a speaker: the person's code, else past every person code the printed name's;
    # no name at all: the largest key, so it sorts last among equals.
    people = int(person.max()) + 1
    key = np.where(person >= 0, person, np.where(printed >= 0, people + printed,
                                                 np.iinfo(np.int64).max))
    keys, first, counts = np.unique(key, return_index=True, return_counts=True)
    unnamed = keys == np.iinfo(np.int64).max
    order = np.lexsort((first, unnamed, -counts))[:limit]  # last key sorts first
    best = [int(numbers[first[i]]) for i in order.tolist()]
    records = store.contributions(best)
    listed = []
    for i, number in zip(order.tolist(), best, strict=True):
        record, s = records[number], records[number].speaker
        listed.append(SpeakerCount(
            value=None if unnamed[i] else s.person_id or s.name, count=int(counts[i]),
            person_id=s.person_id, name=s.member_name or s.name, party=s.party,
            office=s.office, best=record.id))
    return listed


def _by_period(days: list[tuple[str | None, int]]
               ) -> tuple[str | None, list[tuple[str | None, int]]]:
    """Counts by day (in order, none first) as counts by the period the days' span suits,
    and that period (None without a dated contribution)."""
    dated = [day for day, _ in days if day]
    if not dated:
        return None, days
    unit = _unit(dated[0], dated[-1])
    buckets: dict[str | None, int] = {}
    for day, count in days:
        bucket = day[: _WIDTH[unit]] if day else None
        buckets[bucket] = buckets.get(bucket, 0) + count
    undated = buckets.pop(None, None)
    return unit, [*buckets.items(), *([(None, undated)] if undated else [])]


def _unit(first: str, last: str) -> str:
    span = dt.date.fromisoformat(last) - dt.date.fromisoformat(first)
    if span.days <= DAYS_BY_DAY:
        return "day"
    return "month" if span.days <= YEARS_BY_MONTH * 366 else "year"


def _known(what: str, value: str, known: Sequence[str], field: str | None = None) -> None:
    if value not in known:
        raise InvalidRequest(field or what,
                             f"unknown {what} {value!r}; known: {', '.join(known)}")
