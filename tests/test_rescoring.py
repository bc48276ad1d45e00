"""Second-stage re-scoring: sentences with the same embedder, and a local cross-encoder."""

from __future__ import annotations

import pytest

from indexer.embedding import default_model_path
from indexer.errors import EmbedderError
from search_api.engine.ranking import RetrievalConfig
from search_api.engine.rescoring import load_cross_encoder

QUERY = "police use of Tasers"


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


def test_sentence_rescoring_reorders_the_top_only(small_index):
    plain = small_index.search(QUERY, k=20, config=RetrievalConfig())
    rescored = small_index.search(QUERY, k=20, config=RetrievalConfig(rescore_sentences=True))
    assert set(_ids(rescored)) == set(_ids(plain))  # the same candidates, re-scored
    assert [h.score for h in rescored.hits] == sorted((h.score for h in rescored.hits),
                                                      reverse=True)
    assert [h.score for h in rescored.hits] != [h.score for h in plain.hits]
    assert rescored.hits[0].contribution.debate.minor_heading == "Tasers"


def test_cross_encoder_from_a_local_folder_scores_the_top(small_index, tiny_cross_encoder):
    config = RetrievalConfig(cross_encoder=str(tiny_cross_encoder), rescore_depth=10)
    plain = small_index.search(QUERY, k=10)
    reranked = small_index.search(QUERY, k=10, config=config)
    assert set(_ids(reranked)) == set(_ids(plain))
    model = load_cross_encoder(str(tiny_cross_encoder))
    hit = reranked.hits[0]
    start = hit.snippet.char_start
    assert hit.snippet.text == hit.contribution.text[start : start + len(hit.snippet.text)]
    scores = [h.score for h in reranked.hits]
    assert scores == sorted(scores, reverse=True)
    assert model.predict([(QUERY, "x")]).shape == (1,)


def test_a_missing_cross_encoder_is_a_clear_error(small_index, tmp_path):
    with pytest.raises(EmbedderError, match="no cross-encoder model"):
        small_index.search(QUERY, k=5, config=RetrievalConfig(cross_encoder=str(tmp_path)))
