"""Combining ranked lists from several retrievers into one.

Both take {key: score} per retriever, best = highest, and return [(key, fused score)] best
first. Reciprocal-rank fusion uses ranks only; weighted fusion min-max normalises each list's
scores to [0, 1] over its candidates, then mixes them (a key missing from a list gets 0 there).
A list may instead keep its own units, only shifted so that its lowest candidate is 0: a
list of cosine similarities then weighs what its candidates' similarities say, however close
together they lie, where min-max would stretch any spread to the whole of [0, 1].
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def reciprocal_rank_fusion(
    rankings: Sequence[Mapping[K, float]], k: int = 60
) -> list[tuple[K, float]]:
    fused: dict[K, float] = {}
    for ranking in rankings:
        ordered = sorted(ranking.items(), key=lambda item: -item[1])
        for rank, (key, _) in enumerate(ordered, start=1):
            fused[key] = fused.get(key, 0.0) + 1.0 / (k + rank)
    return sorted(fused.items(), key=lambda item: -item[1])


def weighted_fusion(
    rankings: Sequence[Mapping[K, float]], weights: Sequence[float],
    stretched: Sequence[bool] | None = None,
) -> list[tuple[K, float]]:
    """`stretched[i]` False: list i is shifted to start at 0, not min-max normalised (by
    default every list is)."""
    fused: dict[K, float] = {}
    stretched = stretched or [True] * len(rankings)
    for ranking, weight, stretch in zip(rankings, weights, stretched, strict=True):
        for key, score in normalised(ranking, stretch).items():
            fused[key] = fused.get(key, 0.0) + weight * score
    return sorted(fused.items(), key=lambda item: -item[1])


def normalised(ranking: Mapping[K, float], stretch: bool = True) -> dict[K, float]:
    """Scores less the lowest, divided by their span where `stretch` (all 1 where they are
    equal)."""
    if not ranking:
        return {}
    low, high = min(ranking.values()), max(ranking.values())
    span = high - low
    if not stretch:
        return {key: score - low for key, score in ranking.items()}
    return {key: (score - low) / span if span > 0 else 1.0 for key, score in ranking.items()}
