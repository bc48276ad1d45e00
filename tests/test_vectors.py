"""The approximate vector index (IVF, 8-bit scalar quantization, re-scored exactly) against
the exact one, on the small real index built again with the threshold forced to zero."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bench.queries import HAND_WRITTEN, build_query_set
from indexer.store import vectors
from indexer.store.layout import MANIFEST_FILE, resolve_build
from indexer.store.reader import IndexReader
from indexer.store.records import SearchFilters
from search_api.engine.ranking import RetrievalConfig
from search_api.engine.search_index import SearchIndex

# The small index, and an index built again from its files: slow.
pytestmark = pytest.mark.slow

DENSE = RetrievalConfig(mode="dense")


@pytest.fixture(scope="module")
def approximate_index_dir(small_index_inputs, small_index_dir, embedder, session_cache,
                          tmp_path_factory) -> Path:
    from indexer.pipeline.build import build_index

    out = tmp_path_factory.mktemp("approximate-index")
    report = build_index(small_index_inputs, out, embedder, progress=False,
                         cache_dir=session_cache, exact_below=0)
    assert report.embedded == 0  # the same texts: every vector from the machine's cache
    return out


@pytest.fixture(scope="module")
def approximate_index(approximate_index_dir, embedder) -> SearchIndex:
    return SearchIndex(approximate_index_dir, embedder=embedder)


@pytest.fixture(scope="module")
def queries(small_index_dir) -> list[str]:
    return build_query_set(small_index_dir, 60)


def _recall(exact: SearchIndex, approximate: SearchIndex, queries, filters=None) -> float:
    found = wanted = 0
    for query in queries:
        vector = exact.embedder.embed([query])
        truth = {i for i, _ in exact.rank(query, 10, filters, DENSE, vector)}
        got = {i for i, _ in approximate.rank(query, 10, filters, DENSE, vector)}
        found, wanted = found + len(truth & got), wanted + len(truth)
    return found / wanted


def test_the_approximate_index_is_what_the_manifest_says(approximate_index_dir):
    build = resolve_build(approximate_index_dir)
    manifest = json.loads((build / MANIFEST_FILE).read_text())
    assert manifest["vectors"] == {"exact_below": 0, "search": "approximate"}
    assert all(segment.vectors.approximate for segment in IndexReader(build).segments)


def test_approximate_agrees_with_exact(small_index, approximate_index, queries):
    assert _recall(small_index, approximate_index, queries) >= 0.98


def test_a_broad_filter_agrees_through_the_approximate_index(small_index, approximate_index,
                                                             queries, monkeypatch):
    monkeypatch.setattr(vectors, "EXACT_SELECTION", 0)  # no exact shortcut for this filter
    lords = SearchFilters(house="House of Lords")
    assert _recall(small_index, approximate_index, queries, lords) >= 0.98


def test_a_narrow_filter_is_searched_exactly(small_index, small_reader, approximate_index):
    narrow = SearchFilters(speaker="Hanson")
    assert small_reader.passing(narrow).mean() < 0.02  # 27 of 1,631 contributions
    for query in HAND_WRITTEN:
        vector = small_index.embedder.embed([query])
        exact = small_index.rank(query, 10, narrow, DENSE, vector)
        approximate = approximate_index.rank(query, 10, narrow, DENSE, vector)
        assert [s for _, s in approximate] == pytest.approx([s for _, s in exact], abs=1e-5)


def test_exact_rows_are_the_stored_vectors(small_index, small_reader):
    store = small_reader
    ids = np.array([5, 3, 4, 0, 9, 10])  # out of order, with runs
    [segment] = store.segments  # a small index is one segment, its chunks numbered from 0
    flat = segment.vectors.index
    assert np.array_equal(store.chunk_vectors(ids), flat.reconstruct_batch(ids))
