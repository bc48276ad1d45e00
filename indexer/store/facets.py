"""The values filters test and browsing counts, per contribution, in memory: a query's
filters, facets and groups never read the database.

Each filtered field is a column of codes, one per contribution in record order, into its
sorted vocabulary (-1 where the contribution has no value). An exact filter is one code
compared with the column; a date range is a range of codes (ISO dates sort as text); a
substring filter (speaker, debate title) scans the vocabulary, which is much shorter than the
column, and compares the codes it matches. Counting a field's values over a set of
contributions (facets) is one bincount of their codes.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Callable, Iterable

import numpy as np

from indexer.store.records import IndexValues, SearchFilters

# The columns of `contributions` kept in memory, in this order.
COLUMNS = ("party", "party_code", "house", "kind", "corpus", "parliament", "date", "person_id",
           "speaker_name", "member_name", "debate_title", "debate_id")
EXACT = ("party", "house", "kind", "parliament", "corpus")  # filters that match a value whole


class Column:
    """One field of every contribution: codes into its sorted vocabulary."""

    def __init__(self, values: Iterable[str | None]):
        """`values`, one per contribution in record order, read as they come: only the
        distinct ones are kept (a million contributions' values held at once would leave
        the heap that much larger for good)."""
        seen: dict[str, int] = {}  # value -> code in order of appearance
        found = np.fromiter((-1 if v is None else seen.setdefault(v, len(seen))
                             for v in values), dtype=np.int32)
        self.vocabulary = sorted(seen)
        sorted_code = np.empty(len(seen) + 1, dtype=np.int32)  # the last: no value, -1
        sorted_code[[seen[v] for v in self.vocabulary]] = np.arange(len(seen), dtype=np.int32)
        sorted_code[-1] = -1
        self.codes = sorted_code[found]
        self._lowered = [v.lower() for v in self.vocabulary]
        # Substring -> the vocabulary entries holding it, for the substrings asked lately:
        # lru_cache is safe to share between request threads and bounds what a server keeps.
        self._holding = functools.lru_cache(maxsize=256)(self._entries_holding)

    def equal(self, value: str) -> np.ndarray:
        """Which contributions have exactly `value`."""
        i = bisect.bisect_left(self.vocabulary, value)
        found = i < len(self.vocabulary) and self.vocabulary[i] == value
        return self.codes == (i if found else -2)

    def containing(self, needle: str) -> np.ndarray:
        """Which contributions have a value containing `needle`, in any case."""
        wanted = np.zeros(len(self.vocabulary) + 1, dtype=bool)  # the last: no value (-1)
        wanted[list(self._holding(needle.strip().lower()))] = True
        return wanted[self.codes]

    def _entries_holding(self, needle: str) -> tuple[int, ...]:
        return tuple(i for i, v in enumerate(self._lowered) if needle in v)

    def between(self, low: str | None, high: str | None) -> np.ndarray:
        """Which contributions have a value from `low` to `high` (inclusive), as text sorts."""
        first = bisect.bisect_left(self.vocabulary, low) if low else 0
        last = bisect.bisect_right(self.vocabulary, high) if high else len(self.vocabulary)
        return (self.codes >= first) & (self.codes < last)


class Facets:
    """The filtered (and grouped) fields of every contribution of a build, and whether each
    speaker held an office (for favouring office-holders)."""

    def __init__(self, columns: dict[str, Column], has_office: np.ndarray,
                 entered: np.ndarray | None = None,
                 first_build_since: Callable[[str], int] | None = None):
        """`columns`: a Column of each of COLUMNS; `has_office`: one bool a contribution;
        `entered`: the position among the folder's builds of the one each contribution
        entered the index in, and `first_build_since` the first position a `since` filter
        keeps (Manifest.entered_in, first_build_since)."""
        self.columns = columns
        self.has_office = has_office
        self.size = len(has_office)
        self.entered = np.zeros(self.size, dtype=np.int32) if entered is None else entered
        self.first_build_since = first_build_since or (lambda since: 0)

    def passing(self, filters: SearchFilters) -> np.ndarray | None:
        """Which contributions pass `filters` (taken as they are), or None when nothing is
        filtered."""
        masks = [self.columns[name].equal(getattr(filters, name))
                 for name in EXACT if getattr(filters, name)]
        if filters.speaker:
            masks.append(self.speaker(filters.speaker))
        if filters.date_from or filters.date_to:
            masks.append(self.columns["date"].between(filters.date_from, filters.date_to))
        if filters.debate:
            masks.append(self.columns["debate_title"].containing(filters.debate))
        if filters.since:
            masks.append(self.entered >= self.first_build_since(filters.since))
        return np.logical_and.reduce(masks) if masks else None

    def speaker(self, value: str) -> np.ndarray:
        """A person id exactly, or a printed or canonical name containing `value`."""
        return (self.columns["person_id"].equal(value.strip())
                | self.columns["speaker_name"].containing(value)
                | self.columns["member_name"].containing(value))

    def codes(self, name: str, numbers: np.ndarray) -> np.ndarray:
        """Field `name`'s code of each of these contributions (by number): -1 where it has no
        value; codes sort as their values do."""
        return self.columns[name].codes[np.asarray(numbers, dtype=np.int64) - 1]

    def counts(self, name: str, numbers: np.ndarray) -> list[tuple[str | None, int]]:
        """How many of these contributions (by number) have each value of field `name` (None:
        no value), the values in order, those no contribution has left out."""
        column = self.columns[name]
        found = np.bincount(self.codes(name, numbers) + 1, minlength=len(column.vocabulary) + 1)
        return [(column.vocabulary[i - 1] if i else None, int(found[i]))
                for i in np.flatnonzero(found).tolist()]

    def values(self) -> IndexValues:
        """The values the filterable fields take."""
        party, code = self.columns["party"], self.columns["party_code"]
        both = (party.codes >= 0) & (code.codes >= 0)
        pairs = set(zip(party.codes[both].tolist(), code.codes[both].tolist(), strict=True))
        return IndexValues(
            parties=self._named("party"),
            party_codes={code.vocabulary[c]: party.vocabulary[p] for p, c in sorted(pairs)},
            houses=self._named("house"), kinds=self._named("kind"),
            parliaments=self._named("parliament"), corpora=self._named("corpus"),
        )

    def _named(self, name: str) -> tuple[str, ...]:
        """The field's values, blank ones aside."""
        return tuple(v for v in self.columns[name].vocabulary if v)
