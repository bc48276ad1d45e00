"""Second-stage re-scoring of the top candidates; both are off by default (see README).

- Sentence re-scoring: embed each sentence of a candidate's best passage with the same
  embedder and mix the best sentence's similarity into the score. A long speech that makes
  the point in one sentence then ranks like a short one that makes it throughout.
- Cross-encoder re-ranking: a sentence-transformers CrossEncoder loaded from a local folder
  (no such model ships on PyPI, so there is no default) scores (query, passage) pairs.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from indexer.embedding import Embedder
from indexer.errors import EmbedderError
from indexer.text.sentences import sentence_spans

SENTENCE_WEIGHT = 0.5  # share of the best sentence's similarity in the re-scored score


def rescore_by_sentences(
    embedder: Embedder, query_vector: np.ndarray, passages: Sequence[str],
    scores: Sequence[float], weight: float = SENTENCE_WEIGHT,
) -> list[float]:
    """(1 - weight) * score + weight * (best sentence's cosine similarity to the query)."""
    sentences, owners = [], []
    for i, passage in enumerate(passages):
        for start, end in sentence_spans(passage) or [(0, len(passage))]:
            sentences.append(passage[start:end])
            owners.append(i)
    if not sentences:
        return list(scores)
    similarity = embedder.embed(sentences) @ query_vector.reshape(-1)
    best = np.full(len(passages), -1.0)
    np.maximum.at(best, np.array(owners), similarity)
    return [(1 - weight) * s + weight * float(b) for s, b in zip(scores, best, strict=True)]


@functools.cache
def load_cross_encoder(path: str):
    """A CrossEncoder from a local folder, loaded once per process."""
    folder = Path(path)
    if not (folder / "config.json").is_file():
        raise EmbedderError(f"no cross-encoder model in {folder} (config.json missing)")
    from sentence_transformers import CrossEncoder

    return CrossEncoder(str(folder), device="cpu")


def rerank_with_cross_encoder(path: str, query: str, passages: Sequence[str]) -> list[float]:
    """The cross-encoder's score of each (query, passage) pair."""
    model = load_cross_encoder(path)
    return [float(s) for s in model.predict([(query, p) for p in passages],
                                            show_progress_bar=False)]
