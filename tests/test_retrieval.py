"""The search library: grouping, paging, filters, snippets, context, validation.

Most tests search the tiny index (the Lords' written questions and answers of 26 October
2009: conftest.py) and expect what that file holds; those that need two houses, two days or
long speeches search the small index, and are slow."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from indexer.store.keyword import relevance_model
from indexer.store.reader import IndexReader
from indexer.store.records import SearchFilters
from indexer.text.sentences import sentence_spans
from search_api.engine.checks import MAX_QUERY_CHARS
from search_api.engine.fusion import normalised, weighted_fusion
from search_api.engine.ranking import RetrievalConfig, searched_text, with_feedback
from search_api.engine.snippets import SNIPPET_CHARS
from search_api.errors import InvalidRequest, UnknownContribution

# The tiny index: Lord Adonis answered 13 of the 31 questions, Lord Laird asked 7.
ELECTRIC = "electric vehicles and charging points"
ADONIS = "uk.org.publicwhip/person/13178"
LAIRD = "uk.org.publicwhip/person/13667"
EMISSIONS_DEBATE = "Vehicles: Carbon Emissions"  # four questions under this heading that day
EMISSIONS_QUESTION = "uk.org.publicwhip/wrans/2009-10-26a.112.7"  # Lord Berkeley's, the last
EMISSIONS_ANSWER = "uk.org.publicwhip/wrans/2009-10-26a.112.8"  # Lord Adonis's reply
# The small index.
TASERS = "police use of Tasers"
TASERS_DEBATE = "HOME DEPARTMENT — Tasers"
HANSON = "uk.org.publicwhip/person/10259"
BAKER = "uk.org.publicwhip/person/10022"


@pytest.fixture(scope="module")
def tiny_reader(tiny_index_dir):
    """The tiny index's store, read directly (for what only the store tells)."""
    return IndexReader(tiny_index_dir)


@pytest.fixture(scope="module")
def tiny_records(tiny_index):
    """Every contribution of the tiny index, read straight from its store."""
    return list(tiny_index.records(SearchFilters()))


@pytest.fixture(scope="module")
def small_records(small_index):
    """Every contribution of the small index, read straight from its store."""
    return list(small_index.records(SearchFilters()))


def _ids(results) -> list[str]:
    return [hit.contribution.id for hit in results.hits]


def _said_by(needle: str):
    def keep(c) -> bool:
        names = (c.speaker.name or "", c.speaker.member_name or "")
        return any(needle.lower() in name.lower() for name in names)

    return keep


# Grouping and paging ------------------------------------------------------------------


def test_one_result_per_contribution(tiny_index, tiny_reader):
    # A few long answers have two chunks each, so the nearest chunks repeat contributions:
    # the page must not. Every contribution is asked for.
    results = tiny_index.search(ELECTRIC, k=100)
    ids = _ids(results)
    assert len(ids) == len(set(ids)) == tiny_index.contribution_count == 62
    chunks_per_number = Counter(tiny_reader.chunk_owner.tolist())
    assert sum(chunks_per_number.values()) == tiny_index.chunk_count > len(ids)
    id_of = tiny_reader.ids(list(chunks_per_number))
    chunk_counts = {id_of[number]: count for number, count in chunks_per_number.items()}
    assert max(chunk_counts[i] for i in ids) > 1, "no multi-chunk contribution was grouped"
    scores = [hit.score for hit in results.hits]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("filters", [
    SearchFilters(),
    SearchFilters(kind="answer"),
], ids=["unfiltered", "answers"])
def test_pages_continue_without_overlap(tiny_index, filters):
    query = "road and rail transport"
    whole = _ids(tiny_index.search(query, k=30, filters=filters))
    pages = []
    for offset in (0, 10, 20):
        page = tiny_index.search(query, k=10, offset=offset, filters=filters)
        assert (page.k, page.offset) == (10, offset)
        pages += _ids(page)
    assert pages == whole
    assert len(set(pages)) == 30


def test_offset_past_the_end_is_an_empty_page(tiny_index):
    results = tiny_index.search(ELECTRIC, k=10, offset=tiny_index.contribution_count - 3)
    assert len(results.hits) == 3
    results = tiny_index.search(ELECTRIC, k=10, offset=tiny_index.contribution_count)
    assert results.hits == []
    assert results.total == tiny_index.contribution_count


# Filters ------------------------------------------------------------------------------

FILTER_CASES = [
    pytest.param("railways", SearchFilters(party="Lab"), lambda c: c.speaker.party == "Labour",
                 id="party-code"),
    pytest.param("railways", SearchFilters(party="Labour"),
                 lambda c: c.speaker.party == "Labour", id="party-name"),
    pytest.param("Northern Ireland", SearchFilters(speaker="laird"), _said_by("laird"),
                 id="speaker-name-substring"),
    pytest.param(ELECTRIC, SearchFilters(speaker=ADONIS), lambda c: c.speaker.person_id == ADONIS,
                 id="speaker-person-id"),
    pytest.param("staff of government departments", SearchFilters(kind="question"),
                 lambda c: c.kind == "question", id="kind-question"),
    pytest.param("staff of government departments", SearchFilters(kind="answer"),
                 lambda c: c.kind == "answer", id="kind-answer"),
    pytest.param("Government policy", SearchFilters(debate="vehicles"),
                 lambda c: "vehicles" in c.debate.title.lower(), id="debate-title"),
    pytest.param(
        ELECTRIC, SearchFilters(speaker="Adonis", debate="Carbon Emissions", kind="answer",
                                party="Lab"),
        lambda c: (_said_by("adonis")(c) and EMISSIONS_DEBATE == c.debate.title
                   and c.kind == "answer" and c.speaker.party == "Labour"),
        id="combined-speaker-debate-kind-party"),
]
# Filters that need more than one house or one day.
SMALL_FILTER_CASES = [
    pytest.param("prison sentences for offenders", SearchFilters(house="House of Lords"),
                 lambda c: c.house == "House of Lords", id="house"),
    pytest.param("prison estates", SearchFilters(date_from="2009-10-27"),
                 lambda c: c.date >= "2009-10-27", id="date-from"),
    pytest.param("prison estates", SearchFilters(date_to="2009-10-26"),
                 lambda c: c.date <= "2009-10-26", id="date-to"),
    pytest.param("prison estates", SearchFilters(date_from="2009-10-27", date_to="2009-10-27"),
                 lambda c: c.date == "2009-10-27", id="date-range"),
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


def _check_filter_restricts_results(index, records, query, filters, keep) -> None:
    filtered = index.search(query, k=20, filters=filters)
    assert filtered.hits
    assert all(keep(hit.contribution) for hit in filtered.hits)
    assert filtered.total == sum(map(keep, records))
    assert filtered.filters == filters.active()
    # The filter is doing the work: without it the same query finds other contributions.
    unfiltered = index.search(query, k=20)
    assert any(not keep(hit.contribution) for hit in unfiltered.hits)
    assert unfiltered.total == index.contribution_count


@pytest.mark.parametrize(("query", "filters", "keep"), FILTER_CASES)
def test_filter_restricts_results(tiny_index, tiny_records, query, filters, keep):
    _check_filter_restricts_results(tiny_index, tiny_records, query, filters, keep)


@pytest.mark.slow
@pytest.mark.parametrize(("query", "filters", "keep"), SMALL_FILTER_CASES)
def test_house_and_date_filters_restrict_results(small_index, small_records, query, filters,
                                                 keep):
    _check_filter_restricts_results(small_index, small_records, query, filters, keep)


def test_filters_count_what_the_file_holds(tiny_index):
    counted = {name: tiny_index.search(ELECTRIC, k=1, filters=filters).total
               for name, filters in {
                   "questions": SearchFilters(kind="question"),
                   "answers": SearchFilters(kind="answer"),
                   "adonis": SearchFilters(speaker=ADONIS),
                   "laird": SearchFilters(speaker="Lord Laird"),
                   "crossbench": SearchFilters(party="XB"),
                   "emissions": SearchFilters(debate=EMISSIONS_DEBATE),
                   "lords": SearchFilters(house="House of Lords"),
                   "the day": SearchFilters(date_from="2009-10-26", date_to="2009-10-26"),
                   "the next day": SearchFilters(date_from="2009-10-27"),
               }.items()}
    assert counted == {"questions": 31, "answers": 31, "adonis": 13, "laird": 7,
                       "crossbench": 14, "emissions": 8, "lords": 62, "the day": 62,
                       "the next day": 0}


@pytest.mark.slow
@pytest.mark.parametrize(("filters", "expected"), [
    (SearchFilters(debate="Tasers"), 8),
    (SearchFilters(speaker=BAKER), 7),
], ids=["debate", "speaker"])
def test_narrow_filter_returns_every_match(small_index, filters, expected):
    # Few matching chunks among many: the search must widen until it has them all.
    results = small_index.search("the weather in Scotland", k=100, filters=filters)
    assert results.total == expected
    assert len(results.hits) == expected


def test_party_code_name_and_case_are_the_same_filter(tiny_index):
    pages = [_ids(tiny_index.search(ELECTRIC, k=15, filters=SearchFilters(party=party)))
             for party in ("LDem", "Liberal Democrat", "liberal democrat", " LDEM ")]
    assert len(pages[0]) == 7  # the Liberal Democrats asked seven of the questions
    assert all(page == pages[0] for page in pages)


def test_speaker_by_name_and_by_person_id_agree(tiny_index):
    by_name = tiny_index.search(ELECTRIC, k=10, filters=SearchFilters(speaker="Lord Adonis"))
    by_id = tiny_index.search(ELECTRIC, k=10, filters=SearchFilters(speaker=ADONIS))
    assert _ids(by_name) == _ids(by_id)
    assert {hit.contribution.speaker.name for hit in by_id.hits} == {"Lord Adonis"}


def test_blank_filters_are_no_filters(tiny_index):
    blank = SearchFilters(speaker="  ", party="", house=" ", kind="\t", date_from=" ",
                          date_to="", debate="  ")
    assert blank.active() == {}
    results = tiny_index.search(ELECTRIC, k=10, filters=blank)
    assert results.total == tiny_index.contribution_count
    assert _ids(results) == _ids(tiny_index.search(ELECTRIC, k=10))
    padded = tiny_index.search(ELECTRIC, k=5, filters=SearchFilters(speaker=" Lord Laird "))
    assert padded.filters == {"speaker": "Lord Laird"}
    assert {hit.contribution.speaker.person_id for hit in padded.hits} == {LAIRD}


def test_filter_values_are_literal_not_wildcards(tiny_index):
    with pytest.raises(InvalidRequest) as raised:
        tiny_index.search(ELECTRIC, filters=SearchFilters(speaker="%"))
    assert raised.value.field == "speaker"
    results = tiny_index.search(ELECTRIC, filters=SearchFilters(debate="_"))
    assert results.total == 0 and results.hits == []


# Attribution, snippets, context -------------------------------------------------------


def test_a_written_answer_is_found_fully_attributed(tiny_index):
    results = tiny_index.search("carbon dioxide emissions of new cars", k=5)
    assert all(hit.contribution.debate.title == EMISSIONS_DEBATE for hit in results.hits[:3])
    top = results.hits[0].contribution
    assert top.id == EMISSIONS_ANSWER
    assert (top.speaker.name, top.speaker.person_id) == ("Lord Adonis", ADONIS)
    assert (top.speaker.party, top.speaker.party_code) == ("Labour", "Lab")
    assert top.speaker.constituency is None  # a peer
    assert top.speaker.office == "Secretary of State, Department for Transport"
    assert (top.house, top.date, top.kind) == ("House of Lords", "2009-10-26", "answer")
    assert top.source_url.startswith("http://www.publications.parliament.uk/pa/ld200809/")
    assert (top.previous_id, top.next_id) == (EMISSIONS_QUESTION, None)
    assert results.hits[0].snippet.sentence == (
        "For new passenger cars sold in the UK in 2008 the average CO2 emissions were 158g/km.")


@pytest.mark.slow
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


@pytest.mark.slow
def test_lords_topic_in_the_lords(small_index):
    results = small_index.search("awareness of drug-resistant tuberculosis", k=10,
                                 filters=SearchFilters(house="House of Lords"))
    assert {hit.contribution.house for hit in results.hits} == {"House of Lords"}
    assert results.hits[0].contribution.debate.title == "Health: Tuberculosis — Question"


@pytest.mark.parametrize("query", [
    ELECTRIC,
    "funding for language teaching in primary schools",  # the longest answer: a table
    "How many staff work there?",
    "the Lisbon treaty and the European Union budget",
])
def test_snippets_are_verbatim_with_a_sentence_marked(tiny_index, query):
    results = tiny_index.search(query, k=20)
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
        chunk = tiny_index.chunk_span(hit.contribution.id, snippet.chunk)
        chunk_start, chunk_end = chunk.start, chunk.end
        assert chunk_start <= start and start + len(snippet.text) <= chunk_end
        # The marked sentence does not begin or end in the middle of a word.
        absolute = start + snippet.highlight_start
        if absolute > chunk_start:
            assert text[absolute - 1].isspace()
        end = absolute + len(sentence)
        assert end == chunk_end or end == len(text) or text[end].isspace()


@pytest.mark.slow
def test_snippet_from_a_later_chunk(small_index, small_reader):
    # A sentence deep inside the longest speech, held by one chunk only, not the first (the
    # tiny index's longest answers have two chunks: the small index's speeches more).
    chunks_per_number = Counter(small_reader.chunk_owner.tolist())
    records = small_reader.contributions(list(chunks_per_number))
    number = max((n for n in chunks_per_number if records[n].kind == "speech"),
                 key=lambda n: (chunks_per_number[n], -n))
    record = records[number]
    contribution_id, text = record.id, record.text
    chunks = small_reader.chunks_of([number])[number]
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


def test_neighbours_agree_with_contribution_in_context(tiny_index):
    hits = tiny_index.search(ELECTRIC, k=10).hits + tiny_index.search(
        "Northern Ireland", k=10, filters=SearchFilters(kind="question")).hits
    for hit in hits:
        found = tiny_index.contribution_in_context(hit.contribution.id)
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


def test_debate_ends_have_no_neighbour(tiny_index):
    # Each written question is a section of its own: the question, then its answer.
    first = tiny_index.contribution_in_context(EMISSIONS_QUESTION)
    assert first.previous is None and first.contribution.previous_id is None
    assert first.contribution.debate.title == EMISSIONS_DEBATE
    assert first.contribution.speaker.name == "Lord Berkeley"
    assert first.following.id == EMISSIONS_ANSWER
    last = tiny_index.contribution_in_context(EMISSIONS_ANSWER)
    assert last.following is None and last.contribution.next_id is None
    assert last.previous.id == EMISSIONS_QUESTION


def test_unknown_contribution(tiny_index):
    with pytest.raises(UnknownContribution, match="no contribution with id 'nope/1.2'"):
        tiny_index.contribution("nope/1.2")


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
    (dict(filters=SearchFilters(house="House of Commons")), "house",
     "unknown house 'House of Commons'; known: House of Lords"),  # the index's own houses
    (dict(filters=SearchFilters(kind="rant")), "kind",
     "unknown kind 'rant'; known: speech, question, answer, statement"),
    (dict(filters=SearchFilters(date_from="2009-13-01")), "date_from", "use YYYY-MM-DD"),
    (dict(filters=SearchFilters(date_to="26/10/2009")), "date_to", "'26/10/2009' is not a date"),
    (dict(filters=SearchFilters(date_from="2009-10-27", date_to="2009-10-26")), "date_from",
     "date_from 2009-10-27 is after date_to 2009-10-26"),
    (dict(filters=SearchFilters(speaker="Nobody Atall")), "speaker",
     "no speaker matches 'Nobody Atall'"),
])
def test_invalid_requests_name_the_field(tiny_index, kwargs, field, says):
    kwargs = {"query": ELECTRIC} | kwargs
    with pytest.raises(InvalidRequest) as raised:
        tiny_index.search(**kwargs)
    assert raised.value.field == field
    assert says in str(raised.value)


def test_unknown_party_message_lists_known_parties(tiny_index):
    with pytest.raises(InvalidRequest) as raised:
        tiny_index.search(ELECTRIC, filters=SearchFilters(party="Labor"))
    known = str(raised.value).split("known: ")[1].split(", ")
    assert known == ["Conservative", "Crossbench", "Independent Labour", "Labour",
                     "Liberal Democrat"]  # the parties of the day's askers and answerers


def test_limits_themselves_are_allowed(tiny_index):
    results = tiny_index.search("x" * MAX_QUERY_CHARS, k=100, offset=10_000)
    assert results.hits == [] and results.k == 100
    assert len(tiny_index.search(" " + ELECTRIC + " ", k=1).hits) == 1


# Where the time goes ----------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "stages"), [
    ("hybrid", {"embed", "dense", "keyword", "fuse", "fetch", "snippets", "links", "other"}),
    ("dense", {"embed", "dense", "fetch", "snippets", "links", "other"}),
    ("keyword", {"keyword", "fetch", "snippets", "links", "other"}),
])
def test_a_search_times_the_stages_it_runs(tiny_index, mode, stages):
    # A query of its own: the last query's vector is kept, and a kept one is not embedded.
    results = tiny_index.search(f"bus services in rural areas ({mode})", k=3, mode=mode)
    assert set(results.stages_ms) == stages
    assert all(ms >= 0 for ms in results.stages_ms.values())
    again = tiny_index.search(f"bus services in rural areas ({mode})", k=3, mode=mode)
    assert "embed" not in again.stages_ms  # its vector kept from the search before


# Fusion -------------------------------------------------------------------------------


def test_an_unstretched_list_keeps_its_own_units():
    similarities = {"a": 0.62, "b": 0.52, "c": 0.50}
    assert normalised(similarities) == pytest.approx({"a": 1.0, "b": 0.02 / 0.12, "c": 0.0})
    assert normalised(similarities, stretch=False) == pytest.approx(
        {"a": 0.12, "b": 0.02, "c": 0.0})
    assert normalised({}, stretch=False) == {}
    # Dense candidates close together in meaning leave the order to the keyword list...
    keyword = {"b": 9.0, "c": 3.0, "a": 1.0}
    fused = weighted_fusion([similarities, keyword], [0.8, 0.2], stretched=[False, True])
    assert [key for key, _ in fused] == ["b", "a", "c"]
    assert dict(fused) == pytest.approx({"a": 0.8 * 0.12, "b": 0.8 * 0.02 + 0.2,
                                         "c": 0.2 * 0.25})
    # ...where min-max would stretch their small difference to the whole of [0, 1].
    stretched = weighted_fusion([similarities, keyword], [0.8, 0.2])
    assert [key for key, _ in stretched] == ["a", "b", "c"]


def test_cosine_dense_scores_fuse_the_two_halves_in_their_units(tiny_index):
    """Hybrid with cosine dense scores is the dense and keyword rankings fused, the dense
    one shifted, not stretched (feedback off, so the dense half is dense mode's)."""
    config = RetrievalConfig(dense_scores="cosine", dense_weight=0.8, feedback_docs=0)
    dense = dict(tiny_index.rank(ELECTRIC, 100, config=RetrievalConfig(mode="dense")))
    keyword = dict(tiny_index.rank(ELECTRIC, 100, config=RetrievalConfig(mode="keyword")))
    expected = weighted_fusion([dense, keyword], [0.8, 0.2], stretched=[False, True])[:10]
    ranked = tiny_index.rank(ELECTRIC, 10, config=config)
    assert [doc for doc, _ in ranked] == [doc for doc, _ in expected]
    assert [score for _, score in ranked] == pytest.approx([score for _, score in expected])
    assert ranked != tiny_index.rank(ELECTRIC, 10, config=RetrievalConfig(feedback_docs=0))


def test_unknown_dense_scores_are_refused():
    with pytest.raises(InvalidRequest) as raised:
        RetrievalConfig(dense_scores="raw")
    assert raised.value.field == "dense_scores"
    assert "known: minmax, cosine" in str(raised.value)


# Query expansion ------------------------------------------------------------------------


def test_feedback_moves_a_hybrid_query_towards_its_best_chunks(tiny_index, tiny_reader):
    question = "What steps are the Government taking to reduce carbon emissions from new cars?"
    config = RetrievalConfig(feedback_docs=5, feedback_weight=0.5)
    subject = searched_text(question, config)
    assert subject == "reduce carbon emissions from new cars"
    vector = tiny_index.query_vector(subject)
    nearest = tiny_reader.nearest_chunks(vector, 20)
    best = tiny_reader.nearest_contributions(vector, 5)
    moved = with_feedback(vector, nearest, config).reshape(-1)
    centroid = tiny_reader.chunk_vectors([chunk for _, _, chunk in best]).mean(axis=0)
    expected = vector.reshape(-1) + 0.5 * centroid
    assert np.allclose(moved, expected / np.linalg.norm(expected), atol=1e-6)
    assert float(moved @ centroid) > float(vector.reshape(-1) @ centroid)
    # The moved query re-ranks what the first search found, by the chunks' exact vectors.
    rescored = nearest.rescored(moved)
    assert set(rescored.chunks.tolist()) == set(nearest.chunks.tolist())
    assert np.allclose(rescored.scores, tiny_reader.chunk_vectors(rescored.chunks) @ moved,
                       atol=1e-5)
    assert list(rescored.scores) == sorted(rescored.scores, reverse=True)
    assert (tiny_index.rank(question, 20, config=config)
            != tiny_index.rank(question, 20, config=RetrievalConfig(feedback_docs=0)))


def test_dense_mode_keeps_plain_cosine_scores(tiny_index):
    """Feedback is for hybrid ranking: a dense score stays the query's cosine similarity."""
    dense = RetrievalConfig(mode="dense", feedback_docs=10)
    with_feedback = tiny_index.rank(ELECTRIC, 10, config=dense)
    without = tiny_index.rank(ELECTRIC, 10, config=RetrievalConfig(mode="dense", feedback_docs=0))
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


def test_keyword_feedback_expands_the_bm25_half(tiny_index):
    plain = RetrievalConfig(mode="keyword")
    expanded = RetrievalConfig(mode="keyword", keyword_feedback_docs=5)
    ranked = tiny_index.rank("electric vehicles", 20, config=expanded)
    assert ranked and ranked != tiny_index.rank("electric vehicles", 20, config=plain)
    assert all(score > 0 for _, score in ranked)
    # The expansion words come from the best matches, which are about electric vehicles.
    top = tiny_index.contribution(ranked[0][0])
    assert "electric" in top.text
