"""Combining ranked lists from several retrievers into one.

Both take {key: score} per retriever, best = highest, and return [(key, fused score)] best
first. Reciprocal-rank fusion uses ranks only; weighted fusion min-max normalises each list's
scores to [0, 1] over its candidates, then mixes them (a key missing from a list gets 0 there).
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
    rankings: Sequence[Mapping[K, float]], weights: Sequence[float]
) -> list[tuple[K, float]]:
    fused: dict[K, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        if not ranking:
            continue
        low, high = min(ranking.values()), max(ranking.values())
        span = high - low
        for key, score in ranking.items():
            normalised = (score - low) / span if span > 0 else 1.0
            fused[key] = fused.get(key, 0.0) + weight * normalised
    return sorted(fused.items(), key=lambda item: -item[1])
