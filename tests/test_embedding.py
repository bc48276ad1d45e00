"""Embedding backends: OpenVINO computes what torch computes, converted once and cached; the
choice of backend and device is explicit, checked, and recorded."""

from __future__ import annotations

import json
import shutil
import threading

import numpy as np
import pytest

from indexer.embedding import EmbedderSpec, default_model_path, openvino_backend, openvino_runs
from indexer.errors import EmbedderError


@pytest.fixture(scope="module")
def torch_embedder():
    return EmbedderSpec(backend="torch").open()


@pytest.fixture(scope="module")
def chunk_texts(uk_contributions) -> list[str]:
    """Real contributions of every length, cut to what a chunk holds."""
    texts = sorted({c.text for c in uk_contributions}, key=len)
    return [t[:1200] for t in texts[:: max(1, len(texts) // 96)]]


def test_the_default_backend_on_a_cpu_is_openvino(embedder):
    assert (embedder.backend, embedder.device) == ("openvino", "cpu")


def test_openvino_vectors_equal_torchs_on_real_texts(embedder, torch_embedder, chunk_texts):
    ours, theirs = embedder.embed(chunk_texts), torch_embedder.embed(chunk_texts)
    assert ours.shape == theirs.shape == (len(chunk_texts), 384)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-5)
    assert (ours * theirs).sum(axis=1).min() > 0.9999


def test_a_text_alone_gets_the_vector_it_gets_in_a_batch(embedder, chunk_texts):
    # a query is embedded alone, unpadded; a build embeds length-sorted batches, padded
    texts = chunk_texts[::4]  # every length, more than one batch
    alone = np.concatenate([embedder.embed([text]) for text in texts])
    together = embedder.embed(texts)
    assert len(texts) > openvino_backend.BATCH
    assert np.allclose(np.linalg.norm(alone, axis=1), 1, atol=1e-5)
    assert (alone * together).sum(axis=1).min() > 0.9999  # cosine: other shapes, other sums


def test_both_backends_count_and_place_the_same_word_pieces(embedder, torch_embedder):
    text = "The Secretary of State for the Home Department (Alan Johnson): Tasers — 2009/10."
    assert embedder.count_pieces(text) == torch_embedder.count_pieces(text)
    assert embedder.piece_offsets(text) == torch_embedder.piece_offsets(text)
    assert (embedder.max_tokens, embedder.dimension) == (torch_embedder.max_tokens,
                                                         torch_embedder.dimension)
    assert embedder.fingerprint == torch_embedder.fingerprint  # interchangeable vectors


def test_concurrent_callers_get_their_own_results(embedder, chunk_texts):
    expected = embedder.embed(chunk_texts[:8])
    found: dict[int, np.ndarray] = {}

    def embed_one(i: int) -> None:
        for _ in range(3):
            found[i] = embedder.embed([chunk_texts[i]])[0]

    threads = [threading.Thread(target=embed_one, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Each caller's vector is its own text's: nearest its own (a batch of 8 and a batch of one
    # are padded differently, and OpenVINO's streams may then differ in the fifth decimal).
    similarity = np.stack([found[i] for i in range(8)]) @ expected.T
    assert (similarity.argmax(axis=1) == np.arange(8)).all()
    assert np.diag(similarity).min() > 0.9999


def test_a_converted_model_is_cached_and_read_back(tmp_path, monkeypatch):
    first = EmbedderSpec(cache_dir=tmp_path).open()
    vector = first.embed(["court backlog for rape victims"])
    converted = first.converted_path()
    assert converted.is_file() and converted.parent.parent == tmp_path / "openvino"
    assert not [p for p in converted.parent.parent.iterdir() if p.name.startswith(".")]

    def no_conversion(*_args):
        raise AssertionError("converted again")

    monkeypatch.setattr(openvino_backend, "_convert", no_conversion)
    again = EmbedderSpec(cache_dir=tmp_path).open()
    assert np.allclose(again.embed(["court backlog for rape victims"]), vector, atol=1e-6)


def test_auto_takes_torch_for_a_model_openvino_would_pool_differently(tmp_path):
    packaged = default_model_path()
    assert openvino_runs(packaged)
    copy = tmp_path / "cls-pooled"
    shutil.copytree(packaged, copy)
    config = copy / "1_Pooling" / "config.json"
    pooling = json.loads(config.read_text())
    pooling.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    config.write_text(json.dumps(pooling))
    assert not openvino_runs(copy)
    assert EmbedderSpec(model_path=copy).open().backend == "torch"


@pytest.mark.parametrize(("spec", "message"), [
    (EmbedderSpec(backend="tensorrt"), "unknown backend 'tensorrt'"),
    (EmbedderSpec(device="tpu"), "unknown device 'tpu'"),
    (EmbedderSpec(backend="openvino", device="cuda"), "OpenVINO backend runs on the CPU"),
])
def test_impossible_choices_are_refused_with_the_reason(spec, message):
    with pytest.raises(EmbedderError, match=message):
        spec.open()


def test_cuda_without_a_gpu_says_so():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU (tests/test_gpu.py runs there)")
    with pytest.raises(EmbedderError, match="sees no GPU"):
        EmbedderSpec(device="cuda").open()


def test_the_index_and_stats_say_which_backend_ran(tiny_index):
    from search_api.engine.catalogue import index_stats

    stats = index_stats(tiny_index)
    assert stats["model"]["embedded_with"] == {"backend": "openvino", "device": "cpu"}
    assert stats["query_embedder"] == {"backend": "openvino", "device": "cpu"}
