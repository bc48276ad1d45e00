"""Keyword retrieval: a BM25 index (bm25s, Snowball-stemmed, English stop words) per build.

One BM25 document per contribution, in the order of the `contributions` table (document i is
the contribution with rowid i + 1), so filters translate into a weight mask.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
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


def build_keyword_index(texts: Sequence[str], folder: Path) -> None:
    """Index `texts` (one per contribution, in rowid order) into `folder`."""
    retriever = bm25s.BM25(**BM25_PARAMS)
    tokens = bm25s.tokenize(list(texts), stopwords="en", stemmer=_stemmer(),
                            show_progress=False)
    retriever.index(tokens, show_progress=False)
    retriever.save(str(folder))


class KeywordIndex:
    """A saved BM25 index, loaded for querying."""

    def __init__(self, folder: Path):
        self.retriever = bm25s.BM25.load(str(folder))
        self.size = int(self.retriever.scores["num_docs"])

    def search(
        self, query: str, n: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Up to `n` (document index, score) pairs with a positive score, best first.

        `allowed`, if given, is a 0/1 float mask over documents.
        """
        tokens = tokenize([query])
        if not tokens[0]:
            return []
        n = min(n, self.size)
        docs, scores = self.retriever.retrieve(
            tokens, k=n, show_progress=False, weight_mask=allowed, n_threads=1
        )
        return [(int(d), float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]
