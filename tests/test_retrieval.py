"""The search library over the small real index: grouping, paging, filters, snippets, context."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from indexer.store.keyword import relevance_model
from indexer.store.records import SearchFilters
from indexer.text.sentences import sentence_spans
from search_api.engine.checks import MAX_QUERY_CHARS
from search_api.engine.ranking import Ranker, RetrievalConfig, searched_text
from search_api.engine.snippets import SNIPPET_CHARS
from search_api.errors import InvalidRequest, UnknownContribution

TASERS = "police use of Tasers"
TASERS_DEBATE = "HOME DEPARTMENT — Tasers"
HANSON = "uk.org.publicwhip/person/10259"
BAKER = "uk.org.publicwhip/person/10022"


@pytest.fixture(scope="module")
def all_records(small_index):
    """Every contribution of the index, read straight from its store."""
    return list(small_index.records(SearchFilters()))


def _ids(results) -> list[str]:
    return [hit.contribution.id for hit in results.hits]


def _said_by(needle: str):
    def keep(c) -> bool:
        names = (c.speaker.name or "", c.speaker.member_name or "")
        return any(needle.lower() in name.lower() for name in names)

    return keep


# Grouping and paging ------------------------------------------------------------------


def test_one_result_per_contribution(small_index, small_reader):
    # Long Lords speeches on the Coroners and Justice Bill have several chunks each, so the
    # nearest chunks repeat contributions: the page must not.
    results = small_index.search("coroners inquests and the Chief Coroner", k=100)
    ids = _ids(results)
    assert len(ids) == 100
    assert len(ids) == len(set(ids))
    chunks_per_number = Counter(small_reader.chunk_owner.tolist())
    id_of = small_reader.ids(list(chunks_per_number))
    chunk_counts = {id_of[number]: count for number, count in chunks_per_number.items()}
    assert max(chunk_counts[i] for i in ids) > 1, "no multi-chunk contribution was grouped"
    scores = [hit.score for hit in results.hits]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("filters", [
    SearchFilters(),
    SearchFilters(house="House of Lords"),
], ids=["unfiltered", "lords"])
def test_pages_continue_without_overlap(small_index, filters):
    query = "the Government's policy on justice"
    whole = _ids(small_index.search(query, k=30, filters=filters))
    pages = []
    for offset in (0, 10, 20):
        page = small_index.search(query, k=10, offset=offset, filters=filters)
        assert (page.k, page.offset) == (10, offset)
        pages += _ids(page)
    assert pages == whole
    assert len(set(pages)) == 30


def test_offset_past_the_end_is_an_empty_page(small_index):
    results = small_index.search(TASERS, k=10, offset=small_index.contribution_count - 3)
    assert len(results.hits) == 3
    results = small_index.search(TASERS, k=10, offset=small_index.contribution_count)
    assert results.hits == []
    assert results.total == small_index.contribution_count


# Filters ------------------------------------------------------------------------------

FILTER_CASES = [
    pytest.param(TASERS, SearchFilters(party="Lab"), lambda c: c.speaker.party == "Labour",
                 id="party-code"),
    pytest.param(TASERS, SearchFilters(party="Labour"), lambda c: c.speaker.party == "Labour",
                 id="party-name"),
    pytest.param(TASERS, SearchFilters(speaker="hanson"), _said_by("hanson"),
                 id="speaker-name-substring"),
    pytest.param(TASERS, SearchFilters(speaker=BAKER), lambda c: c.speaker.person_id == BAKER,
                 id="speaker-person-id"),
    pytest.param("prison sentences for offenders", SearchFilters(house="House of Lords"),
                 lambda c: c.house == "House of Lords", id="house"),
    pytest.param("funding for schools", SearchFilters(kind="question"),
                 lambda c: c.kind == "question", id="kind-question"),
    pytest.param("funding for schools", SearchFilters(kind="answer"),
                 lambda c: c.kind == "answer", id="kind-answer"),
    pytest.param("prison estates", SearchFilters(date_from="2009-10-27"),
                 lambda c: c.date >= "2009-10-27", id="date-from"),
    pytest.param("prison estates", SearchFilters(date_to="2009-10-26"),
                 lambda c: c.date <= "2009-10-26", id="date-to"),
    pytest.param("prison estates", SearchFilters(date_from="2009-10-27", date_to="2009-10-27"),
                 lambda c: c.date == "2009-10-27", id="date-range"),
    pytest.param("police", SearchFilters(debate="tasers"),
                 lambda c: "tasers" in c.debate.title.lower(), id="debate-title"),
    pytest.param(
        "police", SearchFilters(party="Lab", kind="answer", house="House of Commons",
                                date_from="2009-10-26", date_to="2009-10-26",
                                debate="home department"),
        lambda c: (c.speaker.party == "Labour" and c.kind == "answer"
                   and c.house == "House of Commons" and c.date == "2009-10-26"
                   and "home department" in c.debate.title.lower()),
        id="combined-five"),
    pytest.param(
        TASERS, SearchFilters(speaker="Hanson", debate="Tasers", kind="speech"),
        lambda c: (_said_by("hanson")(c) and TASERS_DEBATE == c.debate.title
                   and c.kind == "speech"),
        id="combined-speaker-debate-kind"),
]


@pytest.mark.parametrize(("query", "filters", "keep"), FILTER_CASES)
def test_filter_restricts_results(small_index, all_records, query, filters, keep):
    filtered = small_index.search(query, k=20, filters=filters)
    assert filtered.hits
    assert all(keep(hit.contribution) for hit in filtered.hits)
    assert filtered.total == sum(map(keep, all_records))
    assert filtered.filters == filters.active()
    # The filter is doing the work: without it the same query finds other contributions.
    unfiltered = small_index.search(query, k=20)
    assert any(not keep(hit.contribution) for hit in unfiltered.hits)
    assert unfiltered.total == small_index.contribution_count


@pytest.mark.parametrize(("filters", "expected"), [
    (SearchFilters(debate="Tasers"), 8),
    (SearchFilters(speaker=BAKER), 7),
], ids=["debate", "speaker"])
def test_narrow_filter_returns_every_match(small_index, filters, expected):
    # Few matching chunks among many: the search must widen until it has them all.
    results = small_index.search("the weather in Scotland", k=100, filters=filters)
    assert results.total == expected
    assert len(results.hits) == expected


def test_party_code_name_and_case_are_the_same_filter(small_index):
    pages = [_ids(small_index.search(TASERS, k=15, filters=SearchFilters(party=party)))
             for party in ("Lab", "Labour", "labour", " LAB ")]
    assert pages[0]
    assert all(page == pages[0] for page in pages)


def test_speaker_by_name_and_by_person_id_agree(small_index):
    by_name = small_index.search(TASERS, k=10, filters=SearchFilters(speaker="Norman Baker"))
    by_id = small_index.search(TASERS, k=10, filters=SearchFilters(speaker=BAKER))
    assert _ids(by_name) == _ids(by_id)
    assert {hit.contribution.speaker.name for hit in by_id.hits} == {"Norman Baker"}


def test_blank_filters_are_no_filters(small_index):
    blank = SearchFilters(speaker="  ", party="", house=" ", kind="\t", date_from=" ",
                          date_to="", debate="  ")
    assert blank.active() == {}
    results = small_index.search(TASERS, k=10, filters=blank)
    assert results.total == small_index.contribution_count
    assert _ids(results) == _ids(small_index.search(TASERS, k=10))
    padded = small_index.search(TASERS, k=5, filters=SearchFilters(speaker=" Norman Baker "))
    assert padded.filters == {"speaker": "Norman Baker"}
    assert {hit.contribution.speaker.person_id for hit in padded.hits} == {BAKER}


def test_filter_values_are_literal_not_wildcards(small_index):
    with pytest.raises(InvalidRequest) as raised:
        small_index.search(TASERS, filters=SearchFilters(speaker="%"))
    assert raised.value.field == "speaker"
    results = small_index.search(TASERS, filters=SearchFilters(debate="_"))
    assert results.total == 0 and results.hits == []


# Attribution, snippets, context -------------------------------------------------------


def test_tasers_query_finds_the_tasers_debate_fully_attributed(small_index):
    results = small_index.search(TASERS, k=5)
    assert all(hit.contribution.debate.title == TASERS_DEBATE for hit in results.hits[:3])
    top = results.hits[0].contribution
    assert top.id == "uk.org.publicwhip/debate/2009-10-26b.3.3"
    assert (top.speaker.name, top.speaker.person_id) == ("David Hanson", HANSON)
    assert (top.speaker.party, top.speaker.party_code) == ("Labour", "Lab")
    assert top.speaker.constituency == "Delyn"
    assert top.speaker.office == "The Minister for Policing, Crime and Counter-Terrorism"
    assert (top.house, top.date, top.kind) == ("House of Commons", "2009-10-26", "speech")
    assert top.source_url.startswith("http://www.publications.parliament.uk/pa/cm200809/")
    assert (top.previous_id, top.next_id) == (
        "uk.org.publicwhip/debate/2009-10-26b.3.2", "uk.org.publicwhip/debate/2009-10-26b.3.4")
    assert results.hits[0].snippet.sentence == (
        "The police use of Taser in England and Wales has shown that it provides an effective "
        "option for police when dealing with violent or threatening situations.")


def test_lords_topic_in_the_lords(small_index):
    results = small_index.search("awareness of drug-resistant tuberculosis", k=10,
                                 filters=SearchFilters(house="House of Lords"))
    assert {hit.contribution.house for hit in results.hits} == {"House of Lords"}
    assert results.hits[0].contribution.debate.title == "Health: Tuberculosis — Question"


@pytest.mark.parametrize("query", [
    TASERS,
    "coroners inquests and the Chief Coroner",
    "Will the Minister give way?",
    "identity cards application fees",
])
def test_snippets_are_verbatim_with_a_sentence_marked(small_index, query):
    results = small_index.search(query, k=20)
    for hit in results.hits:
        text, snippet = hit.contribution.text, hit.snippet
        start = snippet.char_start
        assert text[start : start + len(snippet.text)] == snippet.text
        assert snippet.text and snippet.text == snippet.text.strip()
        assert 0 <= snippet.highlight_start < snippet.highlight_end <= len(snippet.text)
        sentence = snippet.sentence
        assert sentence == snippet.text[snippet.highlight_start : snippet.highlight_end]
        assert sentence == sentence.strip()
        assert len(snippet.text) <= max(SNIPPET_CHARS, len(sentence))
        chunk = small_index.chunk_span(hit.contribution.id, snippet.chunk)
        chunk_start, chunk_end = chunk.start, chunk.end
        assert chunk_start <= start and start + len(snippet.text) <= chunk_end
        # The marked sentence does not begin or end in the middle of a word.
        absolute = start + snippet.highlight_start
        if absolute > chunk_start:
            assert text[absolute - 1].isspace()
        end = absolute + len(sentence)
        assert end == chunk_end or end == len(text) or text[end].isspace()


def test_snippet_from_a_later_chunk(small_index, small_reader):
    # A sentence deep inside the longest speech, held by one chunk only, not the first.
    chunks_per_number = Counter(small_reader.chunk_owner.tolist())
    records = small_reader.contributions(list(chunks_per_number))
    number = max((n for n in chunks_per_number if records[n].kind == "speech"),
                 key=lambda n: (chunks_per_number[n], -n))
    record = records[number]
    contribution_id, text = record.id, record.text
    chunks = small_reader.chunks_of(number)
    assert len(chunks) >= 3
    held_by_one = {}
    for start, end in sentence_spans(text):
        holders = [c.ordinal for c in chunks if c.start <= start and end <= c.end]
        if holders in ([1], [2]) and end - start <= MAX_QUERY_CHARS:
            held_by_one[(start, end)] = holders[0]
    start, end = max(held_by_one, key=lambda span: span[1] - span[0])
    sentence = text[start:end]
    # Dense retrieval ranks whole chunks, so other speeches may rank above this one: look
    # at this speaker's contributions to this debate, and find this one among them.
    filters = SearchFilters(speaker=record.speaker.person_id, debate=record.debate.title)
    [hit] = [hit for hit in small_index.search(sentence, k=100, filters=filters).hits
             if hit.contribution.id == contribution_id]
    # The snippet comes from the chunk nearest the query (each chunk is embedded with its
    # context line, so that need not be the one holding the sentence), and lies inside it.
    vectors = small_reader.chunk_vectors([c.id for c in chunks])
    nearest = int(np.argmax(vectors @ small_index.embedder.embed([sentence])[0]))
    assert hit.snippet.chunk == nearest
    chunk_start, chunk_end = chunks[nearest].start, chunks[nearest].end
    assert chunk_start <= hit.snippet.char_start
    assert hit.snippet.char_start + len(hit.snippet.text) <= chunk_end
    assert hit.snippet.text == text[hit.snippet.char_start:
                                    hit.snippet.char_start + len(hit.snippet.text)]


def test_neighbours_agree_with_contribution_in_context(small_index):
    hits = small_index.search(TASERS, k=10).hits + small_index.search(
        "the Coroners and Justice Bill", k=10, filters=SearchFilters(house="House of Lords")).hits
    for hit in hits:
        found = small_index.contribution_in_context(hit.contribution.id)
        record, previous, following = found.contribution, found.previous, found.following
        assert record == hit.contribution and found.links == hit.links
        assert (previous.id if previous else None) == record.previous_id
        assert (following.id if following else None) == record.next_id
        if previous:
            assert previous.next_id == record.id
            assert previous.debate.id == record.debate.id
            assert previous.debate.position == record.debate.position - 1
        else:
            assert record.debate.position == 1
        if following:
            assert following.previous_id == record.id
            assert following.debate.id == record.debate.id
            assert following.debate.position == record.debate.position + 1


def test_debate_ends_have_no_neighbour(small_index):
    first = small_index.contribution_in_context("uk.org.publicwhip/debate/2009-10-26b.3.2")
    assert first.previous is None and first.contribution.previous_id is None
    assert first.contribution.debate.title == TASERS_DEBATE
    assert first.contribution.speaker.person_id == BAKER
    last = small_index.contribution_in_context("uk.org.publicwhip/debate/2009-10-26b.4.2")
    assert last.following is None and last.contribution.next_id is None


def test_unknown_contribution(small_index):
    with pytest.raises(UnknownContribution, match="no contribution with id 'nope/1.2'"):
        small_index.contribution("nope/1.2")


# Validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(("kwargs", "field", "says"), [
    (dict(query=""), "q", "empty"),
    (dict(query="   \n"), "q", "empty"),
    (dict(query="x" * (MAX_QUERY_CHARS + 1)), "q", f"most allowed is {MAX_QUERY_CHARS}"),
    (dict(k=0), "k", "between 1 and 100, not 0"),
    (dict(k=101), "k", "between 1 and 100, not 101"),
    (dict(offset=-1), "offset", "not -1"),
    (dict(offset=10_001), "offset", "not 10001"),
    (dict(filters=SearchFilters(party="Labor")), "party", "unknown party 'Labor'; known: "),
    (dict(filters=SearchFilters(house="Senate")), "house",
     "unknown house 'Senate'; known: House of Commons, House of Lords"),
    (dict(filters=SearchFilters(kind="rant")), "kind",
     "unknown kind 'rant'; known: speech, question, answer, statement"),
    (dict(filters=SearchFilters(date_from="2009-13-01")), "date_from", "use YYYY-MM-DD"),
    (dict(filters=SearchFilters(date_to="26/10/2009")), "date_to", "'26/10/2009' is not a date"),
    (dict(filters=SearchFilters(date_from="2009-10-27", date_to="2009-10-26")), "date_from",
     "date_from 2009-10-27 is after date_to 2009-10-26"),
    (dict(filters=SearchFilters(speaker="Nobody Atall")), "speaker",
     "no speaker matches 'Nobody Atall'"),
])
def test_invalid_requests_name_the_field(small_index, kwargs, field, says):
    kwargs = {"query": TASERS} | kwargs
    with pytest.raises(InvalidRequest) as raised:
        small_index.search(**kwargs)
    assert raised.value.field == field
    assert says in str(raised.value)


def test_unknown_party_message_lists_known_parties(small_index):
    with pytest.raises(InvalidRequest) as raised:
        small_index.search(TASERS, filters=SearchFilters(party="Labor"))
    known = str(raised.value).split("known: ")[1].split(", ")
    assert {"Labour", "Conservative", "Liberal Democrat", "Crossbench"} <= set(known)


def test_limits_themselves_are_allowed(small_index):
    results = small_index.search("x" * MAX_QUERY_CHARS, k=100, offset=10_000)
    assert results.hits == [] and results.k == 100
    assert len(small_index.search(" " + TASERS + " ", k=1).hits) == 1


# Query expansion ------------------------------------------------------------------------


def test_feedback_moves_a_hybrid_query_towards_its_best_chunks(small_index, small_reader):
    question = "What steps is the Home Secretary taking on the use of Tasers by the police?"
    config = RetrievalConfig(feedback_docs=5, feedback_weight=0.5)
    subject = searched_text(question, config)
    assert subject == "the use of Tasers by the police"
    vector = small_index.query_vector(subject)
    ranker = Ranker(small_reader, small_index.embedder, small_index.query_vector)
    best = ranker.dense(vector, 5, None, config.nprobe)
    moved = ranker.with_feedback(vector, best, config).reshape(-1)
    centroid = small_reader.chunk_vectors([c.chunk_id for c in best]).mean(axis=0)
    expected = vector.reshape(-1) + 0.5 * centroid
    assert np.allclose(moved, expected / np.linalg.norm(expected), atol=1e-6)
    assert float(moved @ centroid) > float(vector.reshape(-1) @ centroid)
    assert (small_index.rank(question, 20, config=config)
            != small_index.rank(question, 20, config=RetrievalConfig(feedback_docs=0)))


def test_dense_mode_keeps_plain_cosine_scores(small_index):
    """Feedback is for hybrid ranking: a dense score stays the query's cosine similarity."""
    dense = RetrievalConfig(mode="dense", feedback_docs=10)
    with_feedback = small_index.rank(TASERS, 10, config=dense)
    without = small_index.rank(TASERS, 10, config=RetrievalConfig(mode="dense", feedback_docs=0))
    assert with_feedback == without


def test_rm3_mixes_the_query_with_the_words_of_its_best_matches():
    feedback = [("Tasers for police officers; officers trained in Tasers.", 3.0),
                ("Police officers carry Tasers we have", 1.0)]
    weights = relevance_model(["taser"], feedback, terms=3, original_weight=0.6,
                              common=lambda token: token == "polic")
    assert sum(weights.values()) == pytest.approx(1.0)
    assert len(weights) == 3  # "taser" is a feedback word as well as the query's
    assert weights["taser"] > 0.6 and weights["offic"] > weights["train"]
    assert "polic" not in weights  # common words are not added
    assert relevance_model(["taser"], [], terms=3, original_weight=0.6) == {"taser": 0.6}


def test_keyword_feedback_expands_the_bm25_half(small_index):
    plain = RetrievalConfig(mode="keyword")
    expanded = RetrievalConfig(mode="keyword", keyword_feedback_docs=5)
    ranked = small_index.rank(TASERS, 20, config=expanded)
    assert ranked and ranked != small_index.rank(TASERS, 20, config=plain)
    assert all(score > 0 for _, score in ranked)
    # The expansion words come from the best matches, which are about Tasers.
    top = small_index.contribution(ranked[0][0])
    assert "Taser" in top.text
