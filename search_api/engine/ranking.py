"""Ranking a query's candidates: dense, keyword or hybrid retrieval, filtered, with the levers
RetrievalConfig switches (fusion, dense feedback, RM3, re-scoring).

Dense retrieval ranks chunks by cosine similarity and keeps each contribution's best chunk;
keyword retrieval ranks whole contributions with BM25; hybrid fuses the two candidate lists
(fusion.py). Filters are applied inside both retrievers, so a selective filter never empties
a page that has matches.
"""

from __future__ import annotations

import contextvars
import dataclasses
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from indexer.embedding import Embedder
from indexer.store.reader import IndexReader
from indexer.store.records import ChunkSpan, ContributionRecord, KeywordFeedback
from indexer.store.retrieval import NearestChunks
from indexer.store.vectors import NPROBE
from search_api.engine.fusion import reciprocal_rank_fusion, weighted_fusion
from search_api.engine.rescoring import rerank_with_cross_encoder, rescore_by_sentences
from search_api.engine.snippets import best_chunks_by_words
from search_api.engine.stages import stage
from search_api.engine.understanding import GOVERNMENT_BOOST, question_subject
from search_api.errors import InvalidRequest

MODES = ("hybrid", "dense", "keyword")


class _Beside:
    """Runs a hybrid search's BM25 half in a thread beside the rest of it (the query's
    embedding and the dense search: the model and FAISS compute without the GIL, and neither
    needs the other's result) while a core is idle, that is while fewer searches are ranking
    in this process than there are cores; on a busy machine in the search's own thread, where
    the hand-off would cost the searches waiting for a core more than it saves this one
    (`python -m bench`, 4 clients on 2 cores: p95 57 ms always beside, 47 ms in line)."""

    def __init__(self, cores: int):
        self._cores = cores
        self._pool = ThreadPoolExecutor(max_workers=cores, thread_name_prefix="keyword-search")
        self._lock = threading.Lock()
        self._ranking = 0  # searches ranking now

    def __enter__(self) -> None:
        with self._lock:
            self._ranking += 1

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._ranking -= 1

    def run(self, work: Callable[[], list[Candidate]]) -> Future[list[Candidate]]:
        """`work`'s result: worked out beside the caller if a core is idle, else at once."""
        with self._lock:
            idle = self._ranking < self._cores
        if idle:
            return self._pool.submit(contextvars.copy_context().run, work)
        done: Future[list[Candidate]] = Future()
        done.set_result(work())
        return done


_BESIDE = _Beside(os.cpu_count() or 1)
FUSIONS = ("weighted", "rrf")
DENSE_SCORES = ("minmax", "cosine")


@dataclass(frozen=True)
class RetrievalConfig:
    """How to rank; the defaults are the best measured (docs/quality.md, "The default
    ranking, before and after")."""

    mode: str = "hybrid"  # hybrid | dense | keyword
    fusion: str = "weighted"  # weighted | rrf (hybrid only)
    dense_weight: float = 0.7  # weighted fusion: dense share, keyword gets the rest
    # Weighted fusion: the dense candidates' scores min-max normalised like the keyword
    # ones, or kept as cosine similarities above the lowest candidate's ("cosine"), so a
    # query whose candidates lie close together in meaning leaves more to its keyword
    # matches (fusion.py).
    dense_scores: str = "minmax"
    rrf_k: int = 60
    candidates: int = 100  # per retriever before fusion (at least offset + k)
    rescore_sentences: bool = False  # re-score the top `rescore_depth` by their best sentence
    cross_encoder: str | None = None  # a local CrossEncoder folder to re-rank the top with
    rescore_depth: int = 20
    nprobe: int = NPROBE  # lists an approximate vector index visits (large indexes only)
    # Search the question's subject, without its framing ("What steps is the Government
    # taking to ..."): understanding.question_subject.
    strip_framing: bool = True
    # Hybrid only: dense pseudo-relevance feedback (Rocchio), the query's vector moved towards
    # the mean of its best `feedback_docs` chunks, weighted `feedback_weight` (the query's is
    # 1), before the dense half is searched again. Dense mode keeps plain cosine scores.
    feedback_docs: int = 10
    feedback_weight: float = 0.5
    # RM3 expansion of the keyword query from its best `keyword_feedback_docs` matches (0:
    # off), `keyword_feedback_terms` words added, the query's own keeping
    # `keyword_original_weight` (indexer/store/keyword.py, relevance_model).
    keyword_feedback_docs: int = 0
    keyword_feedback_terms: int = 10
    keyword_original_weight: float = 0.5

    def __post_init__(self):
        if self.mode not in MODES:
            raise InvalidRequest("mode", f"unknown mode {self.mode!r}; known: {', '.join(MODES)}")
        if self.fusion not in FUSIONS:
            raise InvalidRequest("fusion",
                                 f"unknown fusion {self.fusion!r}; known: {', '.join(FUSIONS)}")
        if self.dense_scores not in DENSE_SCORES:
            raise InvalidRequest("dense_scores", f"unknown dense scores {self.dense_scores!r}; "
                                 f"known: {', '.join(DENSE_SCORES)}")


@dataclass(frozen=True)
class Candidate:
    number: int  # the contribution's number in the index (IndexReader)
    score: float
    chunk_id: int | None  # the best chunk, where the retriever knows it


def searched_text(query: str, config: RetrievalConfig) -> str:
    """What retrieval searches for: the query, or its subject where the framing is stripped."""
    return question_subject(query) if config.strip_framing else query


class Ranker:
    """Ranks one build's contributions for a query, embedded by `embedder`."""

    def __init__(self, store: IndexReader, embedder: Embedder):
        self._store, self._embedder = store, embedder
        self._last_query = threading.local()

    def query_vector(self, query: str) -> np.ndarray:
        """The query's vector, shape (1, dimension), read-only. The last query's vector is
        kept per thread, so one request embeds its query once (/answer searches, may search
        again without query understanding, then scores sentences against it) and no request
        is answered from another's work (benchmarks time every embedding)."""
        last = self._last_query
        if getattr(last, "query", None) != query:
            with stage("embed"):
                last.vector = self._embedder.embed([query])
            last.vector.setflags(write=False)
            last.query = query
        return last.vector

    def rank(self, query: str, wanted: int, allowed: np.ndarray | None,
             config: RetrievalConfig, vector: np.ndarray | None = None) -> list[Candidate]:
        """The best `wanted` (or more) candidates among those `allowed` selects (all if None);
        `vector`, where given, is the vector of `searched_text(query, config)`."""
        with _BESIDE:
            return self._rank(query, wanted, allowed, config, vector)

    def _rank(self, query: str, wanted: int, allowed: np.ndarray | None,
              config: RetrievalConfig, vector: np.ndarray | None) -> list[Candidate]:
        n = max(config.candidates, wanted)
        query = searched_text(query, config)
        if config.mode == "keyword":
            return self.keyword(query, n, allowed, config)
        if config.mode == "hybrid":
            keyword = _BESIDE.run(lambda: self.keyword(query, n, allowed, config))
        if vector is None:
            vector = self.query_vector(query)
        with stage("dense"):
            nearest = self._store.nearest_chunks(vector, n, allowed, config.nprobe)
            ranked = dense_candidates(nearest, n)
            if config.mode == "hybrid" and config.feedback_docs:
                # The moved query re-scores what the first search found rather than search
                # again: as good on every evaluation set, at half the cost (benchmarks.md,
                # "Where a query's time goes").
                vector = with_feedback(vector, nearest, config)
                ranked = dense_candidates(nearest.rescored(vector), n)
        if config.mode == "hybrid":
            matched = keyword.result()
            with stage("fuse"):
                ranked = fused(ranked, matched, config)
        if config.rescore_sentences or config.cross_encoder:
            ranked = self._rescore(query, vector, ranked, config)
        return ranked

    def boost_office_holders(self, ranked: list[Candidate]) -> list[Candidate]:
        """Contributions of office-holders (not from the chair) favoured, for queries asking
        what the Government said."""
        holders = self._store.office_holders([c.number for c in ranked])
        boosted = [dataclasses.replace(c, score=c.score + GOVERNMENT_BOOST)
                   if c.number in holders else c for c in ranked]
        return sorted(boosted, key=lambda c: -c.score)

    def best_chunks(self, candidates: Sequence[Candidate],
                    records: Mapping[int, ContributionRecord], query: str) -> list[ChunkSpan]:
        """Each candidate's best chunk: the retriever's, else the one sharing most words with
        `query` (`records`: the candidates' by number)."""
        by_words = [c for c in candidates if c.chunk_id is None]
        spans = self._store.chunks_of([c.number for c in by_words])
        chosen = dict(zip((c.number for c in by_words), best_chunks_by_words(
            query, [(records[c.number].text, spans[c.number]) for c in by_words]),
            strict=True))
        known = self._store.chunks([c.chunk_id for c in candidates if c.chunk_id is not None])
        return [chosen[c.number] if c.chunk_id is None else known[c.chunk_id]
                for c in candidates]

    def _rescore(self, query: str, vector: np.ndarray, ranked: list[Candidate],
                 config: RetrievalConfig) -> list[Candidate]:
        """Re-score the top `rescore_depth` candidates by their best passage."""
        top, rest = ranked[: config.rescore_depth], ranked[config.rescore_depth :]
        passages = self._passages(top, query)
        scores = [c.score for c in top]
        if config.rescore_sentences:
            scores = rescore_by_sentences(self._embedder, vector, passages, scores)
        if config.cross_encoder:
            scores = rerank_with_cross_encoder(config.cross_encoder, query, passages)
        top = [dataclasses.replace(c, score=s) for c, s in zip(top, scores, strict=True)]
        top.sort(key=lambda c: -c.score)
        floor = min(c.score for c in top) if top else 0.0
        # Keep the re-scored block above the rest, whatever scale the re-scorer uses.
        return top + [dataclasses.replace(c, score=min(c.score, floor)) for c in rest]

    def _passages(self, candidates: Sequence[Candidate], query: str) -> list[str]:
        """Each candidate's best chunk text (by meaning where known, else by words)."""
        records = self._store.contributions([c.number for c in candidates])
        return [records[c.number].text[chunk.start : chunk.end] for c, chunk
                in zip(candidates, self.best_chunks(candidates, records, query), strict=True)]

    def keyword(self, query: str, n: int, allowed: np.ndarray | None,
                 config: RetrievalConfig) -> list[Candidate]:
        feedback = (KeywordFeedback(config.keyword_feedback_docs, config.keyword_feedback_terms,
                                    config.keyword_original_weight)
                    if config.keyword_feedback_docs else None)
        with stage("keyword"):
            return [Candidate(number, score, None) for number, score
                    in self._store.keyword_matches(query, n, allowed, feedback)]


def dense_candidates(nearest: NearestChunks, n: int) -> list[Candidate]:
    """The `n` contributions with the nearest chunks, each with its best chunk."""
    return [Candidate(number, score, chunk_id)
            for number, score, chunk_id in nearest.contributions(n)]


def with_feedback(vector: np.ndarray, nearest: NearestChunks, config: RetrievalConfig
                  ) -> np.ndarray:
    """Rocchio's pseudo-relevance feedback, dense: the query moved towards the mean of the
    best chunks of its best `feedback_docs` contributions (taken as relevant), normalised."""
    top = nearest.best(config.feedback_docs)
    if not len(top):
        return vector
    moved = vector.reshape(-1) + config.feedback_weight * nearest.vectors[top].mean(axis=0)
    return (moved / np.linalg.norm(moved)).astype(np.float32).reshape(1, -1)


def fused(dense: list[Candidate], keyword: list[Candidate], config: RetrievalConfig
          ) -> list[Candidate]:
    """Hybrid retrieval's one list of the dense and keyword candidates (fusion.py), each with
    the best chunk dense retrieval found for it."""
    chunk_of = {c.number: c.chunk_id for c in dense}
    lists = [{c.number: c.score for c in dense}, {c.number: c.score for c in keyword}]
    if config.fusion == "rrf":
        scores = reciprocal_rank_fusion(lists, k=config.rrf_k)
    else:
        scores = weighted_fusion(lists, [config.dense_weight, 1 - config.dense_weight],
                                 stretched=[config.dense_scores == "minmax", True])
    return [Candidate(number, score, chunk_of.get(number)) for number, score in scores]
