"""Context packing: exact tiktoken budgets, citations that match, passages verbatim; over the
tiny index (the Lords' written questions and answers of 26 October 2009: conftest.py)."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from indexer.store.records import SearchFilters
from indexer.text.tokens import count_tokens
from search_api.answering.context import TRUNCATED, pack_context
from search_api.engine.checks import query_text
from search_api.errors import InvalidRequest
from search_api.interfaces.cli import main
from search_api.operations.context import ContextResponse

ELECTRIC = "What plans do the Government have to promote electric vehicles?"
EMISSIONS_QUESTION = "uk.org.publicwhip/wrans/2009-10-26a.112.7"  # Lord Berkeley's
EMISSIONS_REPLY = "uk.org.publicwhip/wrans/2009-10-26a.112.8"  # Lord Adonis's
BUDGETS = (80, 150, 300, 700, 1500, 3000, 6000)
MARKER = re.compile(r"^\[(\d+)\] ", re.MULTILINE)


def _check(index, packed) -> None:
    """The budget, the markers, the citations and the verbatim passages of one context."""
    assert packed.tokens == count_tokens(packed.text, packed.encoding) <= packed.max_tokens
    body, _, citations = packed.text.partition("\n\nCitations:\n")
    body += "\n\n"
    numbers = [p.number for p in packed.passages]
    assert numbers == list(range(1, len(numbers) + 1))
    if not numbers:
        assert packed.text.endswith("No passages.\n") and not citations
        return
    assert [int(n) for n in MARKER.findall(body)] == numbers
    assert [int(n) for n in MARKER.findall(citations)] == numbers
    for passage, line in zip(packed.passages, citations.splitlines(), strict=True):
        record = index.contribution(passage.contribution.id)
        assert record.text[passage.start : passage.end] == passage.text
        assert f":\n{passage.shown}\n\n" in body
        assert record.id in line and record.speaker.name in line  # the citation is whole
        if record.source_url:
            assert line.endswith(record.source_url)
        if passage.cut_after:  # cut after a whole sentence, never inside one
            assert passage.shown.endswith(TRUNCATED)
            assert passage.text[-1] in ".?!\"')]\u2019\u201d"
        if passage.cut_before:  # and before one
            assert passage.shown.startswith("[\u2026] ") and passage.start > 0
            assert record.text[passage.start - 1].isspace()


@pytest.mark.parametrize("encoding", ["cl100k_base", "o200k_base"])
def test_budget_is_never_exceeded_and_filled(tiny_index, encoding):
    for budget in BUDGETS:
        packed = pack_context(tiny_index, ELECTRIC, budget, encoding)
        _check(tiny_index, packed)
        if budget >= 1500:
            assert packed.tokens >= 0.9 * budget, (budget, packed.tokens)
    assert packed.passages[0].contribution.speaker.name == "Lord Adonis"


def test_passages_cut_at_sentence_boundaries_to_fit(tiny_index):
    truncated = 0
    for budget in range(200, 480, 23):
        packed = pack_context(tiny_index, ELECTRIC, budget)
        _check(tiny_index, packed)
        truncated += sum(p.truncated for p in packed.passages)
    assert truncated > 0


def test_a_question_is_followed_by_its_answer(tiny_index):
    question = tiny_index.contribution(EMISSIONS_QUESTION)
    packed = pack_context(tiny_index, query_text(question.text), 800)
    _check(tiny_index, packed)
    first, second = packed.passages[:2]
    assert (first.contribution.id, first.role) == (EMISSIONS_QUESTION, "match")
    assert (second.contribution.id, second.role) == (EMISSIONS_REPLY, "answer")
    assert second.contribution.speaker.office  # the minister who answered
    assert "(answering the question above):\n" in packed.text


def test_unanswerable_questions_say_so(tiny_index):
    packed = pack_context(tiny_index, "A deficiency of vitamin B12 increases blood levels "
                                       "of homocysteine.", 500)
    _check(tiny_index, packed)
    assert not packed.answerable
    assert "no passage closely matches the question" in packed.text


def test_budget_too_small_for_the_framing(tiny_index):
    with pytest.raises(InvalidRequest) as error:
        pack_context(tiny_index, ELECTRIC, 20)
    assert error.value.field == "max_tokens" and "at least" in str(error.value)
    with pytest.raises(InvalidRequest) as error:
        pack_context(tiny_index, ELECTRIC, 500, "p50k_base")
    assert error.value.field == "encoding" and "o200k_base" in str(error.value)


def test_context_route(tiny_client, tiny_index):
    body = {"q": ELECTRIC, "max_tokens": 700, "encoding": "o200k_base", "party": "Labour"}
    response = tiny_client.post("/context", json=body)
    assert response.status_code == 200
    page = ContextResponse.model_validate(response.json())
    assert page.tokens == count_tokens(page.context, "o200k_base") <= 700
    assert page.filters == {"party": "Labour"}
    assert page.passages and all(p.citation.party == "Labour" for p in page.passages
                                 if p.role == "match")
    for p in page.passages:
        record = tiny_index.contribution(p.citation.contribution_id)
        assert record.text[p.char_start : p.char_end] == p.text
        assert (p.citation.speaker, p.citation.source_url) == (record.speaker.name,
                                                               record.source_url)
    assert page.context == pack_context(tiny_index, ELECTRIC, 700, "o200k_base",
                                        SearchFilters(party="Labour")).text


def test_context_route_errors(tiny_client):
    small = tiny_client.post("/context", json={"q": ELECTRIC, "max_tokens": 10})
    assert small.status_code == 400 and small.json()["error"]["field"] == "max_tokens"
    encoding = tiny_client.post("/context", json={"q": ELECTRIC, "encoding": "gpt2"})
    assert encoding.status_code == 400 and encoding.json()["error"]["field"] == "encoding"


def test_context_command(tiny_index_dir):
    result = CliRunner().invoke(main, ["context", ELECTRIC, "--max-tokens", "400", "--encoding",
                                       "o200k_base", "--index", str(tiny_index_dir)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert count_tokens(result.output, "o200k_base") <= 400
    assert result.output.startswith(f"Question: {ELECTRIC}\n")
    assert "\nCitations:\n[1] Lord Adonis" in result.output
