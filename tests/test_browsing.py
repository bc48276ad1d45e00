"""Browsing a query's matches: sorted by date, grouped by debate, counted by facet; pages
that neither repeat nor skip; and the rules on their own.

Most tests browse the tiny index (the Lords' written questions and answers of 26 October
2009: conftest.py); those that need two sitting days or two houses browse the small index,
and are slow."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pytest

from indexer.store.records import SearchFilters
from search_api.engine.browsing import (
    MATCH_SHARE,
    Browsing,
    _by_period,
    by_debate,
    in_order,
    matches,
)
from search_api.errors import InvalidRequest

# The tiny index: matches in several debates, questions and answers of several parties.
TRANSPORT = "vehicles and transport"
# The small index: matches on both sitting days (26 and 27 October), in several debates.
PRISONS = "prisons and the courts"
# Matches in both houses.
INQUESTS = "deaths of service personnel overseas and inquests"
EVERY_FACET = ("party", "house", "kind", "parliament", "date")


def _all(index, query: str, **browsing):
    """Every match of `query`, browsed as asked, on one page."""
    return index.search(query, k=100, browsing=Browsing(**browsing))


def _paged(index, query: str, k: int, **browsing) -> list:
    """Every page of `k` of `query`'s matches (or debates), one after another."""
    pages, offset = [], 0
    while True:
        page = index.search(query, k=k, offset=offset, browsing=Browsing(**browsing))
        shown = page.hits if page.groups is None else page.groups
        if not shown:
            return pages
        pages += shown
        offset += k


def _matched(index, query: str) -> list:
    """The matches of `query` in relevance order: a plain search's first `matches`."""
    counted = index.search(query, k=1, browsing=Browsing(facets=["kind"]))
    return index.search(query, k=counted.matches).hits


# Sorting and paging -------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_dates_order_the_matches_and_pages_neither_repeat_nor_skip(small_index, sort):
    whole = _all(small_index, PRISONS, sort=sort)
    dates = [hit.contribution.date for hit in whole.hits]
    assert len(whole.hits) == whole.total > 10
    assert set(dates) == {"2009-10-26", "2009-10-27"}
    assert dates == sorted(dates, reverse=sort == "newest")
    paged = _paged(small_index, PRISONS, 3, sort=sort)
    ids = [hit.contribution.id for hit in paged]
    assert ids == [hit.contribution.id for hit in whole.hits]
    assert len(ids) == len(set(ids))


@pytest.mark.slow
def test_a_date_order_holds_the_relevance_matches(small_index):
    """Sorting by date reorders the matches, best first within a day."""
    relevance = _matched(small_index, PRISONS)
    newest = _all(small_index, PRISONS, sort="newest")
    assert newest.total == newest.matches == len(relevance)
    assert Counter(h.contribution.id for h in newest.hits) == Counter(
        h.contribution.id for h in relevance)
    rank = {h.contribution.id: i for i, h in enumerate(relevance)}
    for earlier, later in zip(newest.hits, newest.hits[1:], strict=False):
        if earlier.contribution.date == later.contribution.date:
            assert rank[earlier.contribution.id] < rank[later.contribution.id]


def _check_facets_never_change_a_plain_search_s_results(index, query, offset) -> None:
    plain = index.search(query, k=10, offset=offset)
    faceted = index.search(query, k=10, offset=offset, browsing=Browsing(facets=["party"]))
    assert [h.contribution.id for h in faceted.hits] == [h.contribution.id for h in plain.hits]
    assert [h.score for h in faceted.hits] == [h.score for h in plain.hits]
    assert faceted.total == plain.total == index.contribution_count  # all ranked
    first = index.search(query, k=10, browsing=Browsing(facets=["party"]))
    assert faceted.matches == first.matches < plain.total  # every page counts the same
    assert faceted.facets == first.facets
    assert plain.facets is None and plain.matches is None and plain.browsing.plain


@pytest.mark.parametrize("offset", [0, 10, 55])
def test_facets_never_change_a_plain_search_s_results(tiny_index, offset):
    _check_facets_never_change_a_plain_search_s_results(tiny_index, TRANSPORT, offset)


@pytest.mark.slow
def test_facets_never_change_a_page_deeper_than_the_candidates(small_index):
    _check_facets_never_change_a_plain_search_s_results(small_index, PRISONS, 195)


def test_matches_score_at_least_their_share_of_the_best(tiny_index):
    whole = _matched(tiny_index, TRANSPORT)
    best = whole[0].score
    assert all(hit.score >= MATCH_SHARE * best for hit in whole)
    beyond = tiny_index.search(TRANSPORT, k=1, offset=len(whole))  # the next in a plain search
    assert beyond.hits[0].score < MATCH_SHARE * best


# Grouping by debate -------------------------------------------------------------------


@pytest.mark.parametrize("sort", ["relevance", "newest"])
def test_groups_are_debates_with_their_matches(tiny_index, sort):
    grouped = _all(tiny_index, TRANSPORT, group="debate", sort=sort, per_group=10)
    flat = (_matched(tiny_index, TRANSPORT) if sort == "relevance"  # the matches, ungrouped
            else _all(tiny_index, TRANSPORT, sort=sort).hits)
    assert grouped.hits == [] and grouped.total == grouped.matches == len(flat)
    assert grouped.total_groups == len(grouped.groups) > 1
    assert sum(g.count for g in grouped.groups) == grouped.total
    debates = [g.debate.id for g in grouped.groups]
    assert len(debates) == len(set(debates))
    for group in grouped.groups:
        assert len(group.hits) == min(group.count, 10)
        scores = [hit.score for hit in group.hits]
        assert scores == sorted(scores, reverse=True)
        for hit in group.hits:
            record = hit.contribution
            assert record.debate.id == group.debate.id
            assert (record.debate.title, record.house) == (group.debate.title,
                                                           group.debate.house)
    # Debates come in the order their first match comes in the ungrouped order.
    first_seen = list(dict.fromkeys(h.contribution.debate.id for h in flat))
    assert debates == first_seen


def test_debates_page_by_debate_and_show_their_best(tiny_index):
    whole = _all(tiny_index, TRANSPORT, group="debate", per_group=1)
    paged = _paged(tiny_index, TRANSPORT, 2, group="debate", per_group=1)
    assert [g.debate.id for g in paged] == [g.debate.id for g in whole.groups]
    assert all(len(g.hits) == 1 for g in whole.groups)
    assert any(g.count > 1 for g in whole.groups)  # a question and its answer
    page = tiny_index.search(TRANSPORT, k=2, offset=2, browsing=Browsing(group="debate"))
    assert (page.k, page.offset, len(page.groups)) == (2, 2, 2)
    assert page.total_groups == whole.total_groups


# Facets -------------------------------------------------------------------------------


def _check_facets_count_every_match(index, query):
    """The facets of `query`'s matches, each checked against the matches themselves."""
    whole = _all(index, query, facets=list(EVERY_FACET))
    assert list(whole.facets) == list(EVERY_FACET)
    records = [hit.contribution for hit in _matched(index, query)]
    expected = {
        "party": Counter(r.speaker.party for r in records),
        "house": Counter(r.house for r in records),
        "kind": Counter(r.kind for r in records),
        "parliament": Counter(r.parliament for r in records),
        "date": Counter(r.date for r in records),
    }
    for name, counts in whole.facets.items():
        assert {c.value: c.count for c in counts} == expected[name], name
        assert sum(c.count for c in counts) == whole.matches == len(records)
        if name != "date":
            assert [c.count for c in counts] == sorted((c.count for c in counts), reverse=True)
    assert whole.facet_date_unit == "day"
    return whole.facets


def test_facets_count_every_match(tiny_index):
    facets = _check_facets_count_every_match(tiny_index, TRANSPORT)
    assert len(facets["party"]) > 1 and {c.value for c in facets["kind"]} == {"question",
                                                                              "answer"}
    assert [c.value for c in facets["house"]] == ["House of Lords"]
    assert [c.value for c in facets["date"]] == ["2009-10-26"]


@pytest.mark.slow
def test_facets_count_every_match_of_two_houses_and_days(small_index):
    facets = _check_facets_count_every_match(small_index, INQUESTS)
    assert {c.value for c in facets["house"]} == {"House of Commons", "House of Lords"}
    assert [c.value for c in facets["date"]] == ["2009-10-26", "2009-10-27"]


def test_a_facet_counts_what_choosing_its_value_lists(tiny_index):
    whole = tiny_index.search(TRANSPORT, k=10, browsing=Browsing(facets=["kind", "party"]))
    assert len(whole.facets["kind"]) == 2
    for counted in whole.facets["kind"]:
        chosen = tiny_index.search(TRANSPORT, k=100, filters=SearchFilters(kind=counted.value),
                                   browsing=Browsing(sort="newest", facets=["kind", "party"]))
        assert chosen.total == chosen.matches == len(chosen.hits) == counted.count
        assert {hit.contribution.kind for hit in chosen.hits} == {counted.value}
        assert [(c.value, c.count) for c in chosen.facets["kind"]] == [(counted.value,
                                                                        counted.count)]
        assert sum(c.count for c in chosen.facets["party"]) == counted.count
        # In relevance order the filter's results are a plain filtered search's.
        plain = tiny_index.search(TRANSPORT, k=10, filters=SearchFilters(kind=counted.value))
        faceted = tiny_index.search(TRANSPORT, k=10, filters=SearchFilters(kind=counted.value),
                                    browsing=Browsing(facets=["kind"]))
        assert [h.contribution.id for h in faceted.hits] == [h.contribution.id
                                                             for h in plain.hits]
        assert faceted.matches == counted.count and faceted.total == plain.total


def test_facets_of_nothing_are_empty(tiny_index):
    found = tiny_index.search(TRANSPORT, filters=SearchFilters(date_from="2030-01-01"),
                               browsing=Browsing(group="debate", facets=["party", "date"]))
    assert (found.total, found.matches, found.total_groups, found.groups) == (0, 0, 0, [])
    assert found.facets == {"party": [], "date": []} and found.facet_date_unit is None


def test_dates_are_counted_by_the_period_their_span_suits():
    days = [(None, 2), ("2009-10-26", 3), ("2009-10-27", 1)]
    assert _by_period(days) == ("day", [("2009-10-26", 3), ("2009-10-27", 1), (None, 2)])
    months = [("2009-10-26", 3), ("2009-10-27", 1), ("2009-12-28", 2)]
    assert _by_period(months) == ("month", [("2009-10", 4), ("2009-12", 2)])
    years = [("2004-01-05", 1), ("2004-06-01", 1), ("2010-03-02", 5)]
    assert _by_period(years) == ("year", [("2004", 2), ("2010", 5)])
    assert _by_period([("2009-01-01", 1), ("2009-03-04", 1)])[0] == "day"  # 62 days
    assert _by_period([("2009-01-01", 1), ("2009-03-05", 1)])[0] == "month"
    assert _by_period([(None, 4)]) == (None, [(None, 4)])


# The rules on their own ---------------------------------------------------------------


@dataclass
class _Scored:
    number: int
    score: float


def test_the_match_floor_and_the_orders_are_total():
    ranked = [_Scored(7, 1.0), _Scored(3, 0.5), _Scored(9, 0.5), _Scored(1, 0.39)]
    found = matches(ranked)
    assert [c.number for c in found] == [7, 3, 9]
    assert matches([]) == []
    dates = np.array([0, 2, -1])  # 9 has no date: last, either way
    assert [c.number for c in in_order(found, "newest", dates)] == [3, 7, 9]
    assert [c.number for c in in_order(found, "oldest", dates)] == [7, 3, 9]
    assert in_order(found, "relevance", dates) == found
    # 7 and 9 share a debate: the debate of 3 (newest) first, its best member first.
    groups = by_debate(found, np.array([5, 6, 5]), in_order(found, "newest", dates))
    assert [[c.number for c in g] for g in groups] == [[3], [7, 9]]


def test_facet_names_are_read_as_a_query_string_sends_them():
    assert Browsing(facets=["party, Date", "", "party"]).facets == ("party", "date")
    assert Browsing(facets="kind,house").facets == ("kind", "house")
    assert Browsing(sort=" ", group="", facets=[""]).plain
    assert Browsing(sort="NEWEST").sort == "newest"


@pytest.mark.parametrize(("browsing", "field", "says"), [
    ({"sort": "best"}, "sort", "unknown sort 'best'; known: relevance, newest, oldest"),
    ({"group": "speaker"}, "group", "unknown group 'speaker'; known: debate"),
    ({"facets": ["party,colour"]}, "facets",
     "unknown facet 'colour'; known: party, house, kind, parliament, date"),
    ({"per_group": 0}, "per_group", "per_group must be between 1 and 10, not 0"),
    ({"per_group": 11}, "per_group", "between 1 and 10"),
])
def test_unknown_names_are_invalid_requests(browsing, field, says):
    with pytest.raises(InvalidRequest) as error:
        Browsing(**browsing)
    assert error.value.field == field and says in str(error.value)
