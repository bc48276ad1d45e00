"""Second-stage re-scoring: sentences with the same embedder, and a local cross-encoder; over
the tiny index (the Lords' written questions and answers of 26 October 2009: conftest.py)."""

from __future__ import annotations

import pytest

from indexer.embedding import default_model_path
from indexer.errors import EmbedderError
from search_api.engine.ranking import RetrievalConfig
from search_api.engine.rescoring import load_cross_encoder

QUERY = "electric vehicles and charging points"


@pytest.fixture(scope="module")
def tiny_cross_encoder(tmp_path_factory):
    """A tiny, randomly initialised BERT cross-encoder built here: it proves the code path
    (no cross-encoder ships on PyPI), not ranking quality."""
    import torch  # imported here: transformers takes seconds to import
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    folder = tmp_path_factory.mktemp("tiny-cross-encoder")
    tokenizer = AutoTokenizer.from_pretrained(str(default_model_path()))
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=64, num_labels=1)
    torch.manual_seed(0)
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def _ids(results):
    return [h.contribution.id for h in results.hits]


def test_sentence_rescoring_reorders_the_top_only(tiny_index):
    plain = tiny_index.search(QUERY, k=20, config=RetrievalConfig())
    rescored = tiny_index.search(QUERY, k=20, config=RetrievalConfig(rescore_sentences=True))
    assert set(_ids(rescored)) == set(_ids(plain))  # the same candidates, re-scored
    assert [h.score for h in rescored.hits] == sorted((h.score for h in rescored.hits),
                                                      reverse=True)
    assert [h.score for h in rescored.hits] != [h.score for h in plain.hits]
    assert rescored.hits[0].contribution.debate.minor_heading == "Vehicles: Electric Power"


def test_cross_encoder_from_a_local_folder_scores_the_top(tiny_index, tiny_cross_encoder):
    config = RetrievalConfig(cross_encoder=str(tiny_cross_encoder), rescore_depth=10)
    plain = tiny_index.search(QUERY, k=10)
    reranked = tiny_index.search(QUERY, k=10, config=config)
    assert set(_ids(reranked)) == set(_ids(plain))  # the same candidates, re-ranked
    # Each score is the cross-encoder's for the query and the passage the snippet comes from.
    passages = []
    for hit in reranked.hits:
        start = hit.snippet.char_start
        assert hit.snippet.text == hit.contribution.text[start : start + len(hit.snippet.text)]
        chunk = tiny_index.chunk_span(hit.contribution.id, hit.snippet.chunk)
        passages.append(hit.contribution.text[chunk.start : chunk.end])
    model = load_cross_encoder(str(tiny_cross_encoder))
    expected = model.predict([(QUERY, passage) for passage in passages]).tolist()
    scores = [h.score for h in reranked.hits]
    assert scores == pytest.approx(expected, abs=1e-5)
    assert scores == sorted(scores, reverse=True)
    assert scores != pytest.approx([h.score for h in plain.hits], abs=1e-3)


def test_a_missing_cross_encoder_is_a_clear_error(tiny_index, tmp_path):
    with pytest.raises(EmbedderError, match="no cross-encoder model"):
        tiny_index.search(QUERY, k=5, config=RetrievalConfig(cross_encoder=str(tmp_path)))
