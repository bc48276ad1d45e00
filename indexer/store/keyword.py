"""Keyword retrieval: a BM25 index (bm25s, Snowball-stemmed, English stop words) per segment.

One BM25 document per contribution, in the order of the segment's `contributions` table
(document i is the contribution with rowid i + 1), so filters translate into a weight mask.
Each segment scores with its own term statistics; a small index is one segment.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

KEYWORD_DIR = "bm25"
# Lucene's BM25 with bm25s's defaults; k1/b tuned for BEIR-style collections by Pyserini.
BM25_PARAMS = {"k1": 0.9, "b": 0.4}

logging.getLogger("bm25s").setLevel(logging.WARNING)


@functools.cache
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


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


class KeywordIndex:
    """A saved BM25 index, loaded for querying."""

    def __init__(self, folder: Path):
        self.retriever = bm25s.BM25.load(str(folder)) if folder.is_dir() else None
        self.size = int(self.retriever.scores["num_docs"]) if self.retriever else 0

    def search(self, tokens: list[str], n: int, allowed: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """Document indexes and scores of up to `n` documents with a positive score for the
        query `tokens` (tokenize's), best first. `allowed`, if given, is a 0/1 float mask over
        documents."""
        if not tokens or self.retriever is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        # All documents' scores at once (sparse postings of the query's words), then the
        # best: cheaper than bm25s's retrieve, which schedules even one query on a pool.
        scores = self.retriever.get_scores(tokens)
        if allowed is not None:
            scores = scores * allowed
        n = min(n, self.size)
        top = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
        top = top[scores[top] > 0]
        top = top[np.lexsort((top, -scores[top]))]
        return top, scores[top]
