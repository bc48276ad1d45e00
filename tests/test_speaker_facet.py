"""Who spoke on a topic: the speaker facet (a query's matches counted by speaker, as every
facet counts them: engine/browsing.py) over the tiny index (the Lords' written questions and
answers of 26 October 2009: conftest.py), and over the small index (slow)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from indexer.store.reader import IndexReader
from indexer.store.records import SearchFilters
from search_api.engine.browsing import TOP_SPEAKERS, Browsing, count_speakers

TRANSPORT = "vehicles and transport"  # tiny: matches by several peers
PRISONS = "prisons and the courts"  # small: matches by members of both houses
BROAD = "how much was spent"  # small: matches by more speakers (28) than the list holds


def _speakers(index, query: str, **filters):
    return index.search(query, k=1, filters=SearchFilters(**filters),
                        browsing=Browsing(facets="speaker"))


def _matched(index, query: str) -> list:
    """The records of `query`'s matches, best first: a plain search's first `matches`."""
    counted = _speakers(index, query)
    return [h.contribution for h in index.search(query, k=counted.matches).hits]


def _check_counts_are_what_choosing_each_speaker_lists(index, query: str) -> list:
    found = _speakers(index, query)
    listed = found.facets["speaker"]
    records = _matched(index, query)
    by_person = Counter(r.speaker.person_id or r.speaker.name for r in records)
    assert listed and len(listed) == min(len(by_person), TOP_SPEAKERS)
    for speaker in listed:
        assert speaker.count == by_person[speaker.value]
        # Choosing the speaker lists exactly the matches counted for them.
        chosen = index.search(query, k=100, filters=SearchFilters(speaker=speaker.value),
                              browsing=Browsing(sort="newest"))
        assert chosen.matches == len(chosen.hits) == speaker.count, speaker
        assert {h.contribution.speaker.person_id for h in chosen.hits} == {speaker.person_id}
        # Their best contribution is their first among the matches, best first.
        best = next(r for r in records if r.speaker.person_id == speaker.value)
        assert speaker.best == best.id
        assert (speaker.party, speaker.office) == (best.speaker.party, best.speaker.office)
        assert speaker.name == (best.speaker.member_name or best.speaker.name)
    return listed


def test_a_speaker_s_count_is_what_filtering_by_them_lists(tiny_index):
    listed = _check_counts_are_what_choosing_each_speaker_lists(tiny_index, TRANSPORT)
    assert len(listed) > 2 and any(s.office for s in listed)


def test_speakers_come_most_first_ties_by_their_best_match(tiny_index):
    found = _speakers(tiny_index, TRANSPORT)
    listed = found.facets["speaker"]
    assert sum(s.count for s in listed) == found.matches  # under the cap: every match
    ids = [r.id for r in _matched(tiny_index, TRANSPORT)]
    keys = [(-s.count, ids.index(s.best)) for s in listed]
    assert keys == sorted(keys) and len({s.value for s in listed}) == len(listed)
    assert any(a.count == b.count for a, b in zip(listed, listed[1:], strict=False))


def test_the_list_is_capped_at_its_first_speakers(tiny_index, tiny_index_dir):
    found = _speakers(tiny_index, TRANSPORT)
    ids = [r.id for r in _matched(tiny_index, TRANSPORT)]
    reader = IndexReader(tiny_index_dir)
    try:
        everything = reader.contributions(range(1, reader.contribution_count + 1))
        number = {record.id: n for n, record in everything.items()}
        numbers = np.array([number[i] for i in ids], dtype=np.int64)  # best first
        whole = count_speakers(reader, numbers)
        assert whole == found.facets["speaker"]
        assert count_speakers(reader, numbers, limit=2) == whole[:2]
        assert count_speakers(reader, numbers[:0]) == []
    finally:
        reader.close()


def test_a_filter_narrows_the_speakers_to_its_matches(tiny_index):
    whole = _speakers(tiny_index, TRANSPORT).facets["speaker"]
    labour = _speakers(tiny_index, TRANSPORT, party="Labour").facets["speaker"]
    assert labour and {s.party for s in labour} == {"Labour"}
    assert {(s.value, s.count) for s in labour} <= {(s.value, s.count) for s in whole}


@pytest.mark.slow
def test_counts_are_what_filtering_lists_on_the_small_index(small_index):
    listed = _check_counts_are_what_choosing_each_speaker_lists(small_index, PRISONS)
    assert len(listed) > 3


@pytest.mark.slow
def test_a_broad_topic_lists_the_top_speakers_only(small_index):
    found = _speakers(small_index, BROAD)
    listed = found.facets["speaker"]
    records = _matched(small_index, BROAD)
    speakers = Counter(r.speaker.person_id or r.speaker.name for r in records)
    assert len(speakers) > len(listed) == TOP_SPEAKERS
    # Most first; among equals, the better best match: the cut keeps those ranked highest.
    first = {}
    for rank, r in enumerate(records):
        first.setdefault(r.speaker.person_id or r.speaker.name, rank)
    expected = sorted(speakers, key=lambda v: (-speakers[v], first[v]))[:TOP_SPEAKERS]
    assert [s.value for s in listed] == expected
