"""Keyword retrieval: a BM25 index (bm25s, Snowball-stemmed, English stop words) per segment.

One BM25 document per contribution, in the order of the segment's `contributions` table
(document i is the contribution with rowid i + 1), so filters translate into a weight mask.
Scores use the whole index's document frequencies (index_wide), whatever segment a document
is in; a small index is one segment.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

KEYWORD_DIR = "bm25"
# Lucene's BM25 with bm25s's defaults; k1/b tuned for BEIR-style collections by Pyserini.
BM25_PARAMS = {"k1": 0.9, "b": 0.4}
# RM3 adds no word that a tenth of the documents hold: the stop list misses "we", "have".
COMMON_SHARE = 0.1
# A query's words held by more than half the documents are not scored (index_wide).
COMMON_QUERY_SHARE = 0.5

logging.getLogger("bm25s").setLevel(logging.WARNING)


_local = threading.local()


def _stemmer() -> Stemmer.Stemmer:
    """This thread's stemmer: PyStemmer's must not be called from two threads at once, and
    request threads analyse queries and snippets at the same time."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    return stemmer


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    """Lower-cased, stemmed word tokens with English stop words removed."""
    return bm25s.tokenize(
        list(texts), stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False
    )


def build_keyword_index(texts: Iterable[str], folder: Path) -> None:
    """Index `texts` (one per contribution, in rowid order) into `folder`; no folder when
    there are none."""
    texts = list(texts)
    if not texts:
        return
    retriever = bm25s.BM25(**BM25_PARAMS)
    tokens = bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), show_progress=False)
    retriever.index(tokens, show_progress=False)
    retriever.save(str(folder))


def keyword_documents(folder: Path) -> int:
    """How many documents the index saved in `folder` holds, read from its parameters alone
    (no index loaded)."""
    return int(json.loads((folder / "params.index.json").read_text())["num_docs"])  # bm25s's


class KeywordIndex:
    """A saved BM25 index, loaded for querying."""

    def __init__(self, folder: Path):
        self.retriever = bm25s.BM25.load(str(folder)) if folder.is_dir() else None
        self.size = int(self.retriever.scores["num_docs"]) if self.retriever else 0

    def document_frequencies(self, tokens: Sequence[str]) -> np.ndarray:
        """How many documents hold each of `tokens` (0 where none does)."""
        if self.retriever is None:
            return np.zeros(len(tokens), dtype=np.int64)
        vocabulary, indptr = self.retriever.vocab_dict, self.retriever.scores["indptr"]
        ids = [vocabulary.get(token) for token in tokens]
        return np.array([0 if i is None else indptr[i + 1] - indptr[i] for i in ids],
                        dtype=np.int64)

    def search(self, weights: Mapping[str, float], n: int, allowed: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """Document indexes and scores of up to `n` documents with a positive score for the
        query, each token's BM25 score times its weight (`weights`), best first. `allowed`,
        if given, is a 0/1 float mask over documents."""
        if self.retriever is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        # Every posting of the query's words summed in one pass (the words' precomputed BM25
        # scores, bm25s's eager index): far cheaper than bm25s's scoring a word at a time.
        vocabulary, scores = self.retriever.vocab_dict, self.retriever.scores
        indptr, indices, data = scores["indptr"], scores["indices"], scores["data"]
        docs, values = [], []
        for token, weight in weights.items():
            i = vocabulary.get(token)
            if i is not None and weight:
                docs.append(indices[indptr[i] : indptr[i + 1]])
                values.append(data[indptr[i] : indptr[i + 1]] * np.float32(weight))
        if not docs:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        summed = np.bincount(np.concatenate(docs), weights=np.concatenate(values),
                             minlength=self.size).astype(np.float32)
        if allowed is not None:
            summed *= allowed
        n = min(n, self.size)
        top = np.argpartition(-summed, n - 1)[:n] if n < len(summed) else np.arange(len(summed))
        top = top[summed[top] > 0]
        top = top[np.lexsort((top, -summed[top]))]
        return top, summed[top]

    def document_share(self, token: str) -> float:
        """The share of documents that hold `token` (0 where none does)."""
        return float(self.document_frequencies([token])[0]) / max(self.size, 1)


def index_wide(indexes: Sequence[KeywordIndex], query: Mapping[str, float]
               ) -> list[dict[str, float]]:
    """The query's token weights for each of `indexes` (an index's segments) such that their
    BM25 scores use the whole index's document frequencies, as Lucene's IndexSearcher
    aggregates its segments' statistics: each segment's scores were precomputed with its
    own idf, so a token's weight is scaled by the index-wide idf over the segment's. (The
    length normalisation keeps each segment's average document length.) Tokens held by
    more than COMMON_QUERY_SHARE of the documents are left out, unless nothing else is
    left: their postings are the longest and their idf the least."""
    tokens = list(query)
    frequencies = [index.document_frequencies(tokens) for index in indexes]
    documents = sum(index.size for index in indexes)
    held = sum(frequencies, np.zeros(len(tokens), dtype=np.int64))
    keep = held <= COMMON_QUERY_SHARE * documents
    if not keep.any():
        keep[:] = True
    idf = _lucene_idf(held, documents)
    return [{token: query[token] * float(idf[i] / _lucene_idf(own[i], index.size))
             for i, token in enumerate(tokens) if keep[i] and own[i]}
            for index, own in zip(indexes, frequencies, strict=True)]


def _lucene_idf(frequency, documents):
    """BM25's idf as Lucene (and bm25s's "lucene" method) compute it."""
    return np.log(1 + (documents - frequency + 0.5) / (frequency + 0.5))


def relevance_model(query_tokens: list[str], feedback: Sequence[tuple[str, float]],
                    terms: int, original_weight: float,
                    common: Callable[[str], bool] = lambda token: False) -> dict[str, float]:
    """RM3 (Abdul-Jaleel et al., 2004, "UMass at TREC 2004"; Lavrenko and Croft's relevance
    model, with Anserini's defaults in mind): the query's words, each weighted 1/len, mixed
    with the `terms` words most probable in the feedback documents (`(text, retrieval
    score)`, their scores normalised to weights, P(w|d) = tf/length), `original_weight`
    going to the query. Words `common` says are everywhere ("we", "have": the stop list
    is short) are not added. The result is a token -> weight query for KeywordIndex.search."""
    expansion: dict[str, float] = {}
    total = sum(max(score, 0.0) for _, score in feedback)
    for tokens, (_, score) in zip(tokenize([text for text, _ in feedback]), feedback,
                                  strict=True):
        if not tokens or total <= 0:
            continue
        for token in tokens:
            expansion[token] = expansion.get(token, 0.0) + max(score, 0.0) / total / len(tokens)
    best = sorted(((t, w) for t, w in expansion.items() if not common(t)),
                  key=lambda item: (-item[1], item[0]))[:terms]
    mass = sum(weight for _, weight in best)
    weights = {t: (1 - original_weight) * w / mass for t, w in best} if mass else {}
    for token in query_tokens:
        weights[token] = weights.get(token, 0.0) + original_weight / len(query_tokens)
    return weights
