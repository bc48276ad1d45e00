"""The vectors of the sentences answers quote: embedded when an answer first needs them, kept
in the machine's vector cache and in memory (search_api/engine/sentence_vectors.py); the
real model on the tiny index, each test with a cache folder of its own."""

from __future__ import annotations

import logging
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from indexer.store.records import SearchFilters
from indexer.store.vector_cache import VectorCache, text_hash
from search_api.answering.answers import Answer, answer_question, sentence_in_context
from search_api.engine.search_index import SearchIndex
from search_api.engine.sentence_vectors import SentenceVectorCounts, SentenceVectors

# Questions the Lords' written answers of 26 October 2009 answer (the tiny index).
QUESTIONS = (
    "What are the average carbon dioxide emissions of new cars?",
    "Should the police in Northern Ireland recruit from the Republic?",
    "How many staff work for the General Lighthouse Authorities?",
    "What is the Government doing about pollution from ships?",
)


def _quotes(answer: Answer) -> list[tuple[str, int, int]]:
    assert answer.answerable
    return [(c.contribution.id, q.start, q.end) for c in answer.contributions for q in c.quotes]


def _embedded_quotes(index: SearchIndex, quotes: list[tuple[str, str]]) -> list[str]:
    """The texts (contribution id, quote) were embedded as: each after its context line."""
    records = index.records_by_id(cid for cid, _ in quotes)
    return [sentence_in_context(records[cid], text) for cid, text in quotes]


def _cache(cache_dir: Path, embedder) -> VectorCache:
    return VectorCache(cache_dir, embedder.fingerprint, embedder.dimension)


def _cached_count(cache_dir: Path, embedder) -> int:
    path = _cache(cache_dir, embedder).path
    return sqlite3.connect(path).execute("SELECT count(*) FROM vectors").fetchone()[0]


def test_the_first_answer_embeds_its_candidates_once_for_the_machine(tiny_index_dir, embedder,
                                                                      tmp_path):
    index = SearchIndex(tiny_index_dir, embedder=embedder, cache_dir=tmp_path)
    first = answer_question(index, QUESTIONS[0])
    counts = index.sentence_vectors.counts()
    # The sentences it may quote, embedded together, and kept in the machine's cache.
    assert counts == SentenceVectorCounts(embedded=counts.embedded, embed_calls=1)
    assert counts.embedded > len(_quotes(first))
    assert _cached_count(tmp_path, embedder) == counts.embedded
    quoted = _embedded_quotes(index, [(c.contribution.id, q.text) for c in first.contributions
                                      for q in c.quotes])
    assert len(_cache(tmp_path, embedder).get([text_hash(t) for t in quoted])) == len(quoted)

    # The same question again embeds nothing: every vector is in memory.
    assert _quotes(answer_question(index, QUESTIONS[0])) == _quotes(first)
    assert index.sentence_vectors.counts() == SentenceVectorCounts(
        from_memory=counts.embedded, embedded=counts.embedded, embed_calls=1)

    # Another server of the machine (or this one restarted) reads them from the cache.
    replica = SearchIndex(tiny_index_dir, embedder=embedder, cache_dir=tmp_path)
    assert _quotes(answer_question(replica, QUESTIONS[0])) == _quotes(first)
    assert replica.sentence_vectors.counts() == SentenceVectorCounts(from_disk=counts.embedded)


def test_sentence_vectors_are_the_models_wherever_they_come_from(tiny_index, embedder,
                                                                  tmp_path):
    records = list(tiny_index.records(SearchFilters(kind="answer")))[:8]
    spans = tiny_index.sentence_spans(r.id for r in records)
    texts = list(dict.fromkeys(r.text[s:e] for r in records for s, e in spans.get(r.id, [])))
    assert len(texts) > 20
    SentenceVectors(embedder, tmp_path).of(texts[::3])  # another server's, on disk
    vectors = SentenceVectors(embedder, tmp_path)
    vectors.of(texts[1::3])  # remembered
    got = vectors.of(texts)
    counts = vectors.counts()
    assert (counts.from_memory, counts.from_disk) == (len(texts[1::3]), len(texts[::3]))
    assert counts.embedded == len(texts[1::3]) + len(texts[2::3])

    expected = embedder.embed(texts)
    assert got.shape == expected.shape and got.dtype == np.float32
    assert np.sum(got * expected, axis=1).min() > 0.9999  # cosine: both are normalised
    question = embedder.embed([QUESTIONS[0]])[0]
    assert (np.argsort(-(got @ question), kind="stable").tolist()
            == np.argsort(-(expected @ question), kind="stable").tolist())


def test_quote_scores_are_the_questions_similarity_to_the_quote(tiny_index_dir, embedder,
                                                                tmp_path):
    embedding = SearchIndex(tiny_index_dir, embedder=embedder, cache_dir=tmp_path)
    for question in QUESTIONS:
        answer_question(embedding, question)
    reading = SearchIndex(tiny_index_dir, embedder=embedder, cache_dir=tmp_path)
    for index in (embedding, reading):  # vectors from memory, then from the disk cache
        for question in QUESTIONS:
            answer = answer_question(index, question)
            quotes = [q for c in answer.contributions for q in c.quotes]
            embedded = [sentence_in_context(c.contribution, q.text)
                        for c in answer.contributions for q in c.quotes]
            vectors = embedder.embed([question, *embedded])
            # To what batching allows: a text embedded among others (padded to the longest)
            # differs from one embedded alone in the fifth decimal.
            for quote, expected in zip(quotes, (vectors[1:] @ vectors[0]).tolist(),
                                       strict=True):
                assert abs(quote.score - expected) < 1e-3
    assert reading.sentence_vectors.counts().embedded == 0


def test_an_unwritable_cache_folder_still_answers(tiny_index, tiny_index_dir, embedder,
                                                  tmp_path, caplog):
    (tmp_path / "a-file").write_text("not a folder")
    index = SearchIndex(tiny_index_dir, embedder=embedder, cache_dir=tmp_path / "a-file")
    with caplog.at_level(logging.WARNING):
        got = [_quotes(answer_question(index, q)) for q in QUESTIONS]
    assert got == [_quotes(answer_question(tiny_index, q)) for q in QUESTIONS]
    [warning] = [r.getMessage() for r in caplog.records if "memory only" in r.getMessage()]
    assert str(tmp_path / "a-file") in warning
    # Kept in memory: asked again, nothing is embedded.
    embedded = index.sentence_vectors.counts().embedded
    answer_question(index, QUESTIONS[0])
    assert index.sentence_vectors.counts().embedded == embedded > 0


def test_request_threads_share_one_cache(tiny_index, tiny_index_dir, embedder, tmp_path):
    index = SearchIndex(tiny_index_dir, embedder=embedder, cache_dir=tmp_path)
    asked = QUESTIONS * 4
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda q: _quotes(answer_question(index, q)), asked))
    assert got == [_quotes(answer_question(tiny_index, q)) for q in asked]
    assert 0 < _cached_count(tmp_path, embedder) <= index.sentence_vectors.counts().embedded


def test_the_server_keeps_sentence_vectors_in_the_machines_cache(tiny_client, tiny_index,
                                                                  session_cache, embedder):
    # The app opens its index with the settings' cache folder (DEBATE_SEARCH_CACHE_DIR).
    question = "What is the passenger certificate of the ferry Canna?"
    response = tiny_client.get("/answer", params={"q": question})
    assert response.status_code == 200, response.text
    quoted = _embedded_quotes(tiny_index, [(c["citation"]["contribution_id"], q["text"])
                                           for s in response.json()["speakers"]
                                           for c in s["contributions"] for q in c["quotes"]])
    assert quoted
    assert len(_cache(session_cache, embedder).get([text_hash(t) for t in quoted])) == len(quoted)
