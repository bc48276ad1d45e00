"""Chunking: windows fit the embedder, cover the text, and are verbatim slices."""

from __future__ import annotations

import pytest

from indexer.contribution import Kind
from indexer.text.chunking import (
    OPENING_CHARS,
    OPENING_MIN_CHARS,
    ChunkingParams,
    chunk_contribution,
    chunk_text,
    debate_openings,
)
from indexer.text.qa_links import questions_answered
from indexer.text.sentences import sentence_spans
from indexer.text.tokens import count_tokens


@pytest.fixture(scope="module")
def long_contributions(uk_contributions):
    """The longest real contributions of the corpus: the ones that must be split."""
    return sorted(uk_contributions, key=lambda c: len(c.text), reverse=True)[:25]


def test_short_text_is_one_chunk(embedder):
    text = "What is the Government's policy on the use of Tasers by the police?"
    [chunk] = chunk_text("x", text, embedder, ChunkingParams())
    assert (chunk.char_start, chunk.char_end, chunk.text) == (0, len(text), text)
    assert chunk.pieces == embedder.count_pieces(text)


def test_long_contributions_fit_cover_and_overlap(long_contributions, embedder):
    params = ChunkingParams()
    for c in long_contributions:
        chunks = chunk_text(c.id, c.text, embedder, params)
        assert len(chunks) > 1, c.id
        for chunk in chunks:
            # The embedder's own tokenizer decides: nothing is silently truncated.
            assert embedder.count_pieces(chunk.text) <= embedder.max_tokens, c.id
            assert chunk.text == c.text[chunk.char_start : chunk.char_end]
            assert chunk.tokens_cl100k == count_tokens(chunk.text, "cl100k_base")
            assert chunk.tokens_o200k == count_tokens(chunk.text, "o200k_base")
        assert [ch.ordinal for ch in chunks] == list(range(len(chunks)))
        assert chunks[0].char_start == 0
        assert chunks[-1].char_end == len(c.text.rstrip())
        for before, after in zip(chunks, chunks[1:], strict=False):
            assert after.char_start > before.char_start  # always progresses
            assert after.char_end > before.char_end  # each window adds new text
            # No words between windows are skipped: every word is embedded.
            assert c.text[before.char_end : after.char_start].strip() == "", c.id


def test_a_single_huge_sentence_is_cut_at_words(embedder):
    text = " ".join(["parliamentary"] * 2000)  # one "sentence" far over the limit
    chunks = chunk_text("x", text, embedder, ChunkingParams())
    assert len(chunks) > 1
    for chunk in chunks:
        assert embedder.count_pieces(chunk.text) <= embedder.max_tokens
        assert chunk.text.split() == ["parliamentary"] * len(chunk.text.split())


def test_smaller_windows_give_more_chunks(long_contributions, embedder):
    c = long_contributions[0]
    wide = chunk_text(c.id, c.text, embedder, ChunkingParams(max_pieces=256))
    narrow = chunk_text(c.id, c.text, embedder, ChunkingParams(max_pieces=128))
    assert len(narrow) > len(wide)
    assert all(ch.pieces <= 128 for ch in narrow)


def test_sentence_spans_respect_hansard_abbreviations():
    text = ("I thank my hon. Friend for that. Mr. Speaker, No. 10 said nothing! "
            '"Is it?" she asked.\n\nA new paragraph.')
    sentences = [text[s:e] for s, e in sentence_spans(text)]
    assert sentences == [
        "I thank my hon. Friend for that.",
        "Mr. Speaker, No. 10 said nothing!",
        '"Is it?" she asked.',
        "A new paragraph.",
    ]


def test_context_line_is_embedded_within_the_limit(long_contributions, embedder):
    from indexer.text.chunking import chunk_contribution, context_line

    for c in [c for c in long_contributions if c.speaker.name][:5]:
        line = context_line(c)
        assert c.debate_title in line and c.speaker.name in line
        for chunk in chunk_contribution(c, embedder, ChunkingParams(context=True)):
            assert chunk.embed_text.startswith(line[:40])
            assert chunk.embed_text.endswith(chunk.text)
            assert chunk.text == c.text[chunk.char_start : chunk.char_end]
            assert embedder.count_pieces(chunk.embed_text) <= embedder.max_tokens
        bare = chunk_contribution(c, embedder, ChunkingParams(context=False))
        assert all(ch.embed_text == ch.text for ch in bare)


def test_a_reply_can_be_embedded_after_the_question_it_answers(uk_contributions, embedder):
    """ChunkingParams.question_context (off by default): a linked reply's chunks are
    embedded after its debate and speaker line and the question's words; others as before."""
    day = [c for c in uk_contributions if c.id.startswith("uk.org.publicwhip/wrans/2009-10-26")]
    questions = questions_answered(day)
    by_id = {c.id: c for c in day}
    reply = by_id[next(iter(questions))]
    on, off = ChunkingParams(question_context=True), ChunkingParams()
    with_question = chunk_contribution(reply, embedder, on, questions[reply.id])
    plain = chunk_contribution(reply, embedder, off, questions[reply.id])
    asked = questions[reply.id][:40]
    assert all(f"answering: {asked}" in c.embed_text for c in with_question)
    assert all(asked not in c.embed_text for c in plain)
    assert [c.text for c in with_question][0] == reply.text[: len(with_question[0].text)]
    assert all(c.pieces <= 256 for c in with_question)
    question = next(c for c in day if c.id not in questions)
    assert (chunk_contribution(question, embedder, on)[0].embed_text
            == chunk_contribution(question, embedder, off)[0].embed_text)


def test_a_speech_can_be_embedded_after_its_debates_opening(uk_contributions, embedder):
    """ChunkingParams.opening_context (off by default): every later speech of a debate is
    embedded after the first sentences of the speech that opens it; the opening itself,
    and what is not a speech, as before."""
    day = [c for c in uk_contributions if c.id.startswith("uk.org.publicwhip/debate/2009-10-26")]
    openings = debate_openings(day)
    by_id = {c.id: c for c in day}
    later = [by_id[i] for i in openings]
    assert later and all(c.kind is Kind.SPEECH for c in later)
    for speech in later[:50]:
        section = sorted((c for c in day if c.debate_id == speech.debate_id),
                         key=lambda c: c.position)
        opener = next(c for c in section if c.kind is Kind.SPEECH and c.speaker.name
                      and len(c.text) >= OPENING_MIN_CHARS)
        assert opener.position < speech.position and opener.id not in openings
        assert opener.text.startswith(openings[speech.id])
        assert 0 < len(openings[speech.id]) <= OPENING_CHARS
    speech = later[0]
    on = chunk_contribution(speech, embedder, ChunkingParams(opening_context=True),
                            opening=openings[speech.id])
    off = chunk_contribution(speech, embedder, ChunkingParams(), opening=openings[speech.id])
    assert all(f"opening: {openings[speech.id][:30]}" in c.embed_text for c in on)
    assert all("opening:" not in c.embed_text for c in off)
    assert on[0].text == speech.text[: len(on[0].text)]
    assert all(c.pieces <= 256 for c in on)
