"""Speaker-aware queries: members, parties and 'the Government' read from the query; over
the tiny index (the Lords' written questions and answers of 26 October 2009: conftest.py)."""

from __future__ import annotations

import pytest

from indexer.store.records import SearchFilters
from search_api.engine.understanding import GOVERNMENT_BOOST, question_subject

LAIRD_ON_ULSTER_SCOTS = "What did Lord Laird say about Ulster-Scots?"


def test_a_named_member_filters_to_them(tiny_index):
    results = tiny_index.search(LAIRD_ON_ULSTER_SCOTS, k=5)
    assert results.understood.speaker_name == "Lord Laird"
    assert results.understood.speaker == "uk.org.publicwhip/person/13667"
    assert results.filters["speaker"] == results.understood.speaker
    assert results.total == 7  # the questions Lord Laird asked that day
    assert results.hits and all(h.contribution.speaker.name == "Lord Laird"
                                for h in results.hits)


def test_the_callers_filter_wins(tiny_index):
    results = tiny_index.search(LAIRD_ON_ULSTER_SCOTS, k=5,
                                filters=SearchFilters(speaker="Lord Adonis"))
    assert results.filters["speaker"] == "Lord Adonis"
    assert results.hits and all(h.contribution.speaker.name == "Lord Adonis"
                                for h in results.hits)


def test_it_can_be_turned_off(tiny_index):
    results = tiny_index.search(LAIRD_ON_ULSTER_SCOTS, k=5, understand=False)
    assert results.understood is None and "speaker" not in results.filters
    # The answer Baroness Royall gave him is among the results.
    assert {h.contribution.speaker.name for h in results.hits} != {"Lord Laird"}


def test_parties_need_their_capital_letter(tiny_index):
    said = tiny_index.search("What have Conservative members said about disabled parking?", k=5)
    assert said.understood.party == "Conservative"
    assert said.hits and all(h.contribution.speaker.party == "Conservative" for h in said.hits)
    market = tiny_index.search("the labour market for young people", k=5)
    assert market.understood.party is None and "party" not in market.filters


def test_asking_the_government_favours_office_holders(tiny_index):
    query = "What did the Government say about Ulster-Scots?"
    results = tiny_index.search(query, k=10)
    plain = tiny_index.search(query, k=10, understand=False)
    assert results.understood.government
    # Lord Laird asked; Baroness Royall, a minister, answered. Taken word for word, the query
    # finds the question first; read as asking what the Government said, the answer.
    assert plain.hits[0].contribution.speaker.name == "Lord Laird"
    top = results.hits[0].contribution
    assert (top.speaker.name, top.kind) == ("Baroness Royall of Blaisdon", "answer")
    assert top.speaker.office
    # Each office-holder's score is raised by the boost, everyone else's left as it was.
    unread = {h.contribution.id: h.score for h in plain.hits}  # scores without the boost
    boosted = 0
    for hit in results.hits:
        if hit.contribution.id in unread:
            boost = GOVERNMENT_BOOST if hit.contribution.speaker.office else 0.0
            assert hit.score == pytest.approx(unread[hit.contribution.id] + boost, abs=1e-6)
            boosted += bool(boost)
    assert boosted >= 3


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
