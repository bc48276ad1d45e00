"""Embedding on a CUDA GPU: runs only where torch sees one (skipped elsewhere, with the
reason). On a GPU host: install a CUDA build of torch in the venv, then
`pytest tests/test_gpu.py` (README, "Embedding on a GPU")."""

from __future__ import annotations

import numpy as np
import pytest

from indexer.embedding import EmbedderSpec
from indexer.embedding.torch_backend import GPU_BATCH
from indexer.pipeline.build import build_index
from indexer.sources import resolve_inputs
from indexer.store.reader import IndexReader
from indexer.store.records import SearchFilters

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.skipif(not torch.cuda.is_available(),
                                reason=f"torch {torch.__version__} sees no CUDA GPU here")


def test_gpu_vectors_equal_cpu_vectors(uk_contributions, embedder):
    texts = [c.text[:1200] for c in uk_contributions[:300]]
    gpu = EmbedderSpec(device="cuda").open()
    assert (gpu.backend, gpu.device, gpu.batch_size) == ("torch", "cuda", GPU_BATCH)
    ours, cpu = gpu.embed(texts), embedder.embed(texts)
    assert ours.dtype == np.float32 and ours.shape == cpu.shape
    assert (ours * cpu).sum(axis=1).min() > 0.9999


def test_a_gpu_build_equals_a_cpu_build(uk_data, embedder, tmp_path, session_cache):
    inputs = resolve_inputs([uk_data / "wms/ministerial2009-10-26c.xml"], session_cache,
                            progress=False)
    gpu = EmbedderSpec(device="cuda").open()
    report = build_index(inputs, tmp_path / "gpu", gpu, progress=False)
    assert report.embedder == {"backend": "torch", "device": "cuda"}
    build_index(inputs, tmp_path / "cpu", embedder, progress=False)
    a, b = IndexReader(tmp_path / "gpu"), IndexReader(tmp_path / "cpu")
    assert list(a.records(SearchFilters())) == list(b.records(SearchFilters()))
    chunks = np.arange(a.chunk_count)
    assert np.allclose(a.chunk_vectors(chunks), b.chunk_vectors(chunks), atol=1e-4)
