"""Searching every segment of a build and merging what they find (IndexReader calls these).

Dense: each segment's vector index gives its best chunks (approximate ones re-scored exactly,
RESCORED per result wanted), merged by similarity, then grouped to each contribution's best
chunk. Keyword: each segment's BM25 index scores its own contributions with the whole index's
term statistics (as Lucene's IndexSearcher does; keyword.index_wide), merged by score.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from indexer.store.keyword import COMMON_SHARE, index_wide, relevance_model, tokenize
from indexer.store.records import KeywordFeedback
from indexer.store.vectors import RESCORED

if TYPE_CHECKING:
    from indexer.store.reader import Segment


@dataclass(frozen=True)
class NearestChunks:
    """What a dense search found: chunks, best first, with their exact similarities and
    vectors (a query moved by feedback re-scores them without searching again) and the
    contribution number of each."""

    chunks: np.ndarray
    scores: np.ndarray
    vectors: np.ndarray
    owners: np.ndarray

    def best(self, n: int) -> np.ndarray:
        """Where the best chunks of the best `n` contributions are, best first."""
        _, first = np.unique(self.owners, return_index=True)  # each contribution's best
        return np.sort(first)[:n]

    def contributions(self, n: int) -> list[tuple[int, float, int]]:
        """(contribution number, similarity, chunk number) of the best `n` contributions,
        each at its best chunk."""
        best = self.best(n)
        return list(zip(self.owners[best].tolist(), self.scores[best].tolist(),
                        self.chunks[best].tolist(), strict=True))

    def rescored(self, vector: np.ndarray) -> NearestChunks:
        """The same chunks, ordered by their similarity to `vector` instead."""
        scores = self.vectors @ np.asarray(vector, dtype=np.float32).reshape(-1)
        order = np.lexsort((self.chunks, -scores))
        return NearestChunks(self.chunks[order], scores[order], self.vectors[order],
                             self.owners[order])


def chunks_for_contributions(segments: Sequence[Segment], chunk_owner: np.ndarray,
                          vector: np.ndarray, n: int, among: np.ndarray | None,
                          nprobe: int) -> NearestChunks:
    """The chunks nearest `vector`, enough of them to hold the best chunks of the `n`
    contributions nearest it (all there are, if fewer); `chunk_owner`: the contribution
    number of each chunk."""
    chunks = None if among is None else among[chunk_owner - 1]
    available = len(chunk_owner) if chunks is None else int(chunks.sum())
    fetch = min(available, max(n * 4, 50))
    while True:  # widen until `n` contributions, as several chunks may share one
        found, scores, vectors = nearest_chunks(segments, vector, fetch, chunks, nprobe)
        owners = chunk_owner[found]
        if fetch >= available or len(np.unique(owners)) >= n:
            return NearestChunks(found, scores, vectors, owners)
        fetch = min(available, fetch * 4)


def nearest_chunks(segments: Sequence[Segment], vector: np.ndarray, n: int,
                   among: np.ndarray | None, nprobe: int
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Chunk numbers, similarities and exact vectors of the `n` nearest chunks of all
    segments, best first: the best candidates of every segment, of which those scored
    approximately are re-scored exactly, RESCORED per result wanted."""
    dimension = len(np.asarray(vector).reshape(-1))
    wanted = n * RESCORED
    searched: dict[int, tuple[np.ndarray, np.ndarray, bool]] = {}  # segment -> what it found
    for widen in (False, True):  # widen only if the segments together found too few
        for i, segment in enumerate(segments):
            end = segment.first_chunk + segment.vectors.count
            mine = None if among is None else among[segment.first_chunk : end]
            if (mine is not None and not mine.any()) or (
                    widen and len(searched[i][0]) >= wanted):
                continue
            searched[i] = segment.vectors.candidates(vector, wanted, mine, nprobe, widen)
        if sum(len(found) for found, _, _ in searched.values()) >= wanted:
            break
    if not searched:
        return (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32),
                np.zeros((0, dimension), dtype=np.float32))
    parts = [(found, similarity, np.full(len(found), is_exact), np.full(len(found), i))
             for i, (found, similarity, is_exact) in searched.items()]
    local, scores, exact, segment_of = (np.concatenate(column) for column in zip(*parts,
                                                                                  strict=True))
    chunks = local + np.array([s.first_chunk for s in segments])[segment_of]
    pool = np.lexsort((chunks, -scores))[:wanted]
    local, chunks, scores, exact, segment_of = (a[pool] for a in (local, chunks, scores, exact,
                                                                  segment_of))
    vectors = np.empty((len(pool), dimension), dtype=np.float32)
    read = ~exact  # approximate scores: their exact vectors are read to re-score them
    for i in np.unique(segment_of[read]).tolist():
        rows = np.flatnonzero((segment_of == i) & read)
        vectors[rows] = segments[i].vectors.exact.rows(local[rows])
    scores[read] = vectors[read] @ np.asarray(vector, dtype=np.float32).reshape(-1)
    best = np.lexsort((chunks, -scores))[:n]
    for i in np.unique(segment_of[best][exact[best]]).tolist():  # the exactly scored kept
        rows = best[(segment_of[best] == i) & exact[best]]
        vectors[rows] = segments[i].vectors.stored(local[rows])
    return chunks[best], scores[best], vectors[best]


def keyword_matches(segments: Sequence[Segment], query: str, n: int,
                    among: np.ndarray | None, feedback: KeywordFeedback | None,
                    texts: Callable[[list[int]], dict[int, str]]) -> list[tuple[int, float]]:
    """(contribution number, BM25 score) of up to `n` contributions matching `query`'s words;
    with `feedback`, the query expanded first from the texts (`texts(numbers)`) of its own
    best matches (RM3: keyword.relevance_model)."""
    tokens = tokenize([query])[0]
    if not (feedback and tokens):
        return _scored(segments, tokens, n, among)
    first = _scored(segments, tokens, feedback.docs, among)
    found = texts([number for number, _ in first])
    weighted = relevance_model(
        tokens, [(found[number], score) for number, score in first],
        feedback.terms, feedback.original_weight,
        common=lambda t: any(s.keyword.document_share(t) > COMMON_SHARE for s in segments))
    return _scored(segments, weighted, n, among)


def _scored(segments: Sequence[Segment], query: list[str] | dict[str, float], n: int,
            among: np.ndarray | None) -> list[tuple[int, float]]:
    """The best `n` by BM25 of `query` (tokens, or tokens with weights) over all segments,
    with the whole index's term statistics."""
    weights = Counter(query) if isinstance(query, list) else query  # a repeated word counts
    numbers, scores = [], []
    for segment, own in zip(segments, index_wide([s.keyword for s in segments], weights),
                            strict=True):
        # BM25 documents are a segment's contributions in rowid order: the selection is a
        # weight mask.
        first = segment.first_contribution - 1
        mask = (None if among is None else
                among[first : first + segment.keyword.size].astype(np.float32))
        docs, found = segment.keyword.search(own, n, mask)
        numbers.append(docs + segment.first_contribution)
        scores.append(found)
    if not numbers:
        return []
    merged_numbers, merged_scores = np.concatenate(numbers), np.concatenate(scores)
    best = np.lexsort((merged_numbers, -merged_scores))[:n]
    return list(zip(merged_numbers[best].tolist(), merged_scores[best].tolist(), strict=True))
