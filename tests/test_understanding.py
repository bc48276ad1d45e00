"""Speaker-aware queries: members, parties and 'the Government' read from the query."""

from __future__ import annotations

import pytest

from indexer.store.records import SearchFilters
from search_api.engine.understanding import question_subject


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


@pytest.mark.parametrize(("question", "subject"), [
    ("What steps she plans to take to tackle the practice of bogus charitable clothes "
     "collections.", "tackle the practice of bogus charitable clothes collections"),
    ("What recent representations he has received on the activities of British Waterways in "
     "the north-west; and if he will make a statement.",
     "the activities of British Waterways in the north-west"),
    ("What his most recent estimate is of the average time taken to process an asylum "
     "application.", "the average time taken to process an asylum application"),
    ("If he will make a statement on the future of the Territorial Army.",
     "the future of the Territorial Army"),
    ("what has the Government said about the court backlog for rape victims?",
     "the court backlog for rape victims"),
    ("What did the Liberal Democrats say about tuition fees?", "tuition fees"),
    # No framing (a question mark is dropped), or too little left: the query as it is.
    ("police use of Tasers", "police use of Tasers"),
    ("How many people are waiting for asylum decisions?",
     "How many people are waiting for asylum decisions"),
    ("What is being said about it?", "What is being said about it?"),
])
def test_question_framing_is_stripped_to_the_subject(question, subject):
    assert question_subject(question) == subject
    assert question_subject(subject) == subject  # once is enough: the eval embeds it so
