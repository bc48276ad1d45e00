"""Searching every segment of a build and merging what they find (IndexReader calls these).

Dense: each segment's vector index gives its best chunks (approximate ones re-scored exactly,
RESCORED per result wanted), merged by similarity, then grouped to each contribution's best
chunk. Keyword: each segment's BM25 index scores its own contributions with its own term
statistics (as Elasticsearch's shards do by default), merged by score.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from indexer.store.keyword import COMMON_SHARE, relevance_model, tokenize
from indexer.store.records import KeywordFeedback
from indexer.store.vectors import RESCORED

if TYPE_CHECKING:
    from indexer.store.reader import Segment


def nearest_contributions(segments: Sequence[Segment], chunk_owner: np.ndarray,
                          vector: np.ndarray, n: int, among: np.ndarray | None,
                          nprobe: int) -> list[tuple[int, float, int]]:
    """(contribution number, similarity, chunk number) of the `n` contributions whose best
    chunks lie nearest `vector`; `chunk_owner`: the contribution number of each chunk."""
    chunks = None if among is None else among[chunk_owner - 1]
    available = len(chunk_owner) if chunks is None else int(chunks.sum())
    fetch = min(available, max(n * 4, 50))
    while fetch:  # widen until `n` contributions, as several chunks may share one
        best: dict[int, tuple[int, float, int]] = {}
        for chunk_id, score in nearest_chunks(segments, vector, fetch, chunks, nprobe):
            number = int(chunk_owner[chunk_id])
            best.setdefault(number, (number, score, chunk_id))
        if len(best) >= n or fetch >= available:
            return list(best.values())[:n]
        fetch = min(available, fetch * 4)
    return []


def nearest_chunks(segments: Sequence[Segment], vector: np.ndarray, n: int,
                   among: np.ndarray | None, nprobe: int) -> list[tuple[int, float]]:
    """(chunk number, similarity) of the `n` nearest chunks of all segments: the best
    candidates of every segment, of which those scored approximately are re-scored
    exactly, RESCORED per result wanted."""
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
        return []
    parts = [(found + segments[i].first_chunk, similarity, np.full(len(found), is_exact),
              np.full(len(found), i)) for i, (found, similarity, is_exact) in searched.items()]
    chunks, scores, exact, owners = (np.concatenate(column) for column in zip(*parts,
                                                                               strict=True))
    pool = np.lexsort((chunks, -scores))[: n * RESCORED]
    chunks, scores, exact, owners = chunks[pool], scores[pool], exact[pool], owners[pool]
    for i in np.unique(owners[~exact]):
        segment, rows = segments[i], np.flatnonzero((owners == i) & ~exact)
        local = chunks[rows] - segment.first_chunk
        scores[rows] = segment.vectors.exact.rows(local) @ np.asarray(vector).reshape(-1)
    best = np.lexsort((chunks, -scores))[:n]
    return list(zip(chunks[best].tolist(), scores[best].tolist(), strict=True))


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


def _scored(segments: Sequence[Segment], tokens: list[str] | dict[str, float], n: int,
            among: np.ndarray | None) -> list[tuple[int, float]]:
    numbers, scores = [], []
    for segment in segments:
        # BM25 documents are a segment's contributions in rowid order: the selection is a
        # weight mask.
        first = segment.first_contribution - 1
        mask = (None if among is None else
                among[first : first + segment.keyword.size].astype(np.float32))
        docs, found = segment.keyword.search(tokens, n, mask)
        numbers.append(docs + segment.first_contribution)
        scores.append(found)
    if not numbers:
        return []
    merged_numbers, merged_scores = np.concatenate(numbers), np.concatenate(scores)
    best = np.lexsort((merged_numbers, -merged_scores))[:n]
    return list(zip(merged_numbers[best].tolist(), merged_scores[best].tolist(), strict=True))
