"""Many searches at once: their queries embedded in batches, the searches run on every core.

One search embeds its query alone; a model call for dozens of queries costs little more than
one for a single query, so `search_many` embeds them a block at a time (Pyserini's
`search --topics` does the same) and hands each search, its vector given, to a thread pool:
FAISS, numpy and the model compute without the GIL, so the searches of a block run on every
core while the next block is embedded. Each search is `SearchIndex.search`'s own, and its
results are exactly a single search's: a block's queries are embedded in one call per length
in word pieces, so no query is padded to a longer one's length (padded, the vectors differ
from a query's own in the last bits, bfloat16 on CPUs that have it, enough to reorder near
ties: 3 of 200 benchmark queries on the default index).
"""

from __future__ import annotations

import os
from collections import defaultdict, deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from indexer.embedding import Embedder
from indexer.store.records import SearchFilters
from search_api.engine.browsing import Browsing
from search_api.engine.checks import validate_query
from search_api.engine.ranking import RetrievalConfig, searched_text
from search_api.engine.search_index import SearchIndex, SearchResults
from search_api.errors import InvalidRequest

BLOCK = 256  # queries embedded before their searches start


@dataclass(frozen=True)
class SearchSpec:
    """One search, as `SearchIndex.search` takes it."""

    query: str
    k: int = 10
    offset: int = 0
    filters: SearchFilters | None = None
    mode: str | None = None
    understand: bool = True
    browsing: Browsing | None = None


def search_many(index: SearchIndex, searches: Sequence[SearchSpec],
                config: RetrievalConfig | None = None, *, workers: int | None = None,
                block: int = BLOCK) -> Iterator[SearchResults]:
    """Each search's results, in order, as `index.search` gives them (under `config`, default
    the index's): queries embedded `block` at a time, searches run by `workers` threads
    (default one per core). A search that fails raises its error where its results would
    come; check them first (`SearchIndex.search`'s checks) to refuse a batch before it runs."""
    workers = workers or os.cpu_count() or 1
    pending: deque[Future[SearchResults]] = deque()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="batch-search") as pool:
        try:
            for start in range(0, len(searches), block):
                chunk = searches[start : start + block]
                for spec, vector in zip(chunk, _vectors(index, chunk, config), strict=True):
                    pending.append(pool.submit(_search, index, spec, config, vector))
                # Yield what is done, keeping the pool fed while the next block is embedded.
                while pending and (pending[0].done() or len(pending) > 2 * block):
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:  # stopped early (an error, a consumer gone): drop what has not started
            for future in pending:
                future.cancel()


def _vectors(index: SearchIndex, searches: Sequence[SearchSpec],
             config: RetrievalConfig | None) -> list[np.ndarray | None]:
    """Each search's query vector (None for a keyword search or a query that will be refused),
    the distinct texts of each length (in word pieces) embedded in one call."""
    texts: list[str | None] = []
    for spec in searches:
        try:
            query, searching = validate_query(spec.query), index.searching(config, spec.mode)
        except InvalidRequest:  # refused by its own search, where its results would come
            texts.append(None)
            continue
        texts.append(None if searching.mode == "keyword" else searched_text(query, searching))
    distinct = list(dict.fromkeys(t for t in texts if t is not None))
    rows = dict(zip(distinct, embed_queries(index.embedder, distinct), strict=True))
    for row in rows.values():
        row.setflags(write=False)
    return [None if text is None else rows[text].reshape(1, -1) for text in texts]


def embed_queries(embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
    """The texts' vectors, each exactly the one embedding it alone gives: one model call for
    the texts of each length in word pieces, so that none is padded to another's length."""
    vectors = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    by_length: dict[int, list[int]] = defaultdict(list)
    for row, text in enumerate(texts):
        by_length[embedder.count_pieces(text)].append(row)
    for rows in by_length.values():
        vectors[rows] = embedder.embed([texts[row] for row in rows])
    return vectors


def _search(index: SearchIndex, spec: SearchSpec, config: RetrievalConfig | None,
            vector: np.ndarray | None) -> SearchResults:
    return index.search(spec.query, k=spec.k, offset=spec.offset, filters=spec.filters,
                        config=config, mode=spec.mode, understand=spec.understand,
                        browsing=spec.browsing, vector=vector)
