"""Speaker-aware queries: members, parties and 'the Government' read from the query."""

from __future__ import annotations

from indexer.store.records import SearchFilters


def test_a_named_member_filters_to_them(small_index):
    results = small_index.search("What did Norman Baker say about Tasers?", k=5)
    assert results.understood.speaker_name == "Norman Baker"
    assert results.understood.speaker.startswith("uk.org.publicwhip/person/")
    assert results.filters["speaker"] == results.understood.speaker
    assert results.hits and all(h.contribution.speaker.name == "Norman Baker"
                                for h in results.hits)


def test_the_callers_filter_wins(small_index):
    results = small_index.search("What did Norman Baker say about Tasers?", k=5,
                                 filters=SearchFilters(speaker="David Hanson"))
    assert results.filters["speaker"] == "David Hanson"
    assert all(h.contribution.speaker.name == "David Hanson" for h in results.hits)


def test_it_can_be_turned_off(small_index):
    results = small_index.search("What did Norman Baker say about Tasers?", k=5,
                                 understand=False)
    assert results.understood is None and "speaker" not in results.filters
    assert {h.contribution.speaker.name for h in results.hits} != {"Norman Baker"}


def test_parties_need_their_capital_letter(small_index):
    said = small_index.search("What have Conservative members said about police?", k=5)
    assert said.understood.party == "Conservative"
    assert all(h.contribution.speaker.party == "Conservative" for h in said.hits)
    market = small_index.search("the labour market for young people", k=5)
    assert market.understood.party is None and "party" not in market.filters


def test_asking_the_government_favours_office_holders(small_index):
    query = "What did the Government say about Tasers?"
    results = small_index.search(query, k=5)
    assert results.understood.government
    assert results.hits[0].contribution.speaker.office
    plain = small_index.search(query, k=5, understand=False)
    holders = sum(bool(h.contribution.speaker.office) for h in results.hits)
    assert holders >= sum(bool(h.contribution.speaker.office) for h in plain.hits)
