"""One index, many corpora: per-corpus counts, corpus and parliament filters, no re-embedding."""

from __future__ import annotations

import pytest
from data_paths import CORPORA

from indexer.pipeline.build import build_index
from indexer.sources import resolve_inputs
from indexer.store.records import SearchFilters
from search_api.engine.catalogue import index_stats
from search_api.engine.search_index import SearchIndex

# Builds an index of its own: slow.
pytestmark = pytest.mark.slow

PARLAMINT = "parlamint-gb-2022-07-21-sample"


def test_corpora_share_an_index(uk_data, tmp_path, embedder):
    out, cache = tmp_path / "index", tmp_path / "cache"
    uk_wms = uk_data / "wms" / "ministerial2009-10-27a.xml"
    first = build_index(resolve_inputs([uk_wms], cache, progress=False), out, embedder,
                        progress=False)

    # Adding a corpus embeds only the new corpus's chunks.
    grown = build_index(resolve_inputs([uk_wms, CORPORA / f"{PARLAMINT}.toml"], cache,
                                       progress=False), out, embedder, progress=False)
    assert grown.contributions == 5 + 4
    assert grown.reused == first.chunks and grown.embedded == grown.chunks - first.chunks > 0

    index = SearchIndex(out, embedder=embedder)
    stats = index_stats(index)
    assert stats["by_corpus"][PARLAMINT]["contributions"] == 4
    assert stats["by_corpus"]["uk-twfy-parlparse-2009-10"]["contributions"] == 5
    assert {c["name"] for c in stats["corpora"]} == {PARLAMINT, "uk-twfy-parlparse-2009-10"}
    only = index.search("the House", k=20, filters=SearchFilters(corpus=PARLAMINT))
    assert len(only.hits) == 4 and {h.contribution.corpus for h in only.hits} == {PARLAMINT}
    both = index.search("the House", k=20, filters=SearchFilters(parliament="UK Parliament"))
    assert len(both.hits) == 9  # both corpora are records of the UK Parliament
