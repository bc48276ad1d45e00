"""Calibrating the answerable threshold (search_api.answering.answers.ANSWERABLE_THRESHOLD).

A probe is a question with the ids that must not count as its answer; its score is the best
dense retrieval score of anything else. The threshold that best separates answerable probes
(written questions of the index, without their own record) from unanswerable ones (SciFact
claims) is the one with the best balanced accuracy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from indexer.store.records import SearchFilters
from search_api.answering.answers import DECISION_RETRIEVAL
from search_api.engine.checks import query_text
from search_api.engine.search_index import SearchIndex


@dataclass(frozen=True)
class Probe:
    """A question for calibration; `exclude` ids (its own record) do not count as answers."""

    text: str
    exclude: frozenset[str] = frozenset()


@dataclass
class Calibration:
    threshold: float
    precision: float  # of "answerable": answerable questions among those the decision answers
    recall: float  # answerable questions the decision answers
    accuracy: float
    answerable: int
    unanswerable: int
    answerable_scores: list[float] = field(default_factory=list)
    unanswerable_scores: list[float] = field(default_factory=list)


def written_question_probes(index: SearchIndex, limit: int) -> list[Probe]:
    """Up to `limit` written questions of the index, spread evenly, as answerable probes.

    Each excludes its own record; copies of its text are ignored by `top_score` too, so a
    question only counts as answerable through what else the index holds (its answer).
    """
    questions = list(index.records(SearchFilters(kind="question")))
    step = max(1, len(questions) // limit) if limit else 1
    return [Probe(query_text(q.text), frozenset([q.id])) for q in questions[::step][:limit]]


def top_score(index: SearchIndex, probe: Probe, k: int = 5) -> float:
    """The best retrieval score of `probe`, ignoring its excluded ids and copies of its text."""
    for hit in index.search(probe.text, k=k, config=DECISION_RETRIEVAL, understand=False).hits:
        if (hit.contribution.id not in probe.exclude
                and query_text(hit.contribution.text) != probe.text):
            return hit.score
    return 0.0


def decision_quality(answerable: Sequence[float], unanswerable: Sequence[float],
                     threshold: float) -> tuple[float, float, float]:
    """(precision, recall, accuracy) of "answerable" when scores >= threshold are answered."""
    tp = sum(s >= threshold for s in answerable)
    fp = sum(s >= threshold for s in unanswerable)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / len(answerable) if answerable else 0.0
    correct = tp + sum(s < threshold for s in unanswerable)
    accuracy = correct / (len(answerable) + len(unanswerable))
    return precision, recall, accuracy


def best_threshold(answerable: Sequence[float], unanswerable: Sequence[float]) -> float:
    """The threshold with the best balanced accuracy (mean of the two recalls); lowest on ties."""
    candidates = sorted({round(s, 3) for s in [*answerable, *unanswerable]})

    def balanced(t: float) -> float:
        hit = np.mean([s >= t for s in answerable]) if answerable else 0.0
        miss = np.mean([s < t for s in unanswerable]) if unanswerable else 0.0
        return float(hit + miss) / 2

    return max(candidates, key=lambda t: (balanced(t), -t)) if candidates else 0.0


def calibrate_threshold(index: SearchIndex, answerable: Sequence[Probe],
                        unanswerable: Sequence[Probe], threshold: float | None = None
                        ) -> Calibration:
    """Score both sets; pick the threshold (or use `threshold`) and measure the decision."""
    a = [top_score(index, p) for p in answerable]
    u = [top_score(index, p) for p in unanswerable]
    chosen = best_threshold(a, u) if threshold is None else threshold
    precision, recall, accuracy = decision_quality(a, u, chosen)
    return Calibration(chosen, precision, recall, accuracy, len(a), len(u), a, u)
