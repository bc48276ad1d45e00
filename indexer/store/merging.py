"""When segments are merged, as Lucene's tiered merge policy decides it.

An update writes what changed into new segments; left alone, an index would become many small
segments, each searched on every query. So when anything changes, segments of fewer than
`merge_below` chunks are written again together with the new files, and `merge_factor`
segments of one size tier (a power of ten of chunks) are merged into one; no segment grows
past `segment_chunks`, which bounds a build's memory. A small index is thus always one
segment, in its files' order: the same as a build from scratch of the same inputs.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from indexer.store.manifest import SegmentEntry


@dataclass(frozen=True)
class MergePolicy:
    segment_chunks: int = 100_000  # the most chunks a build writes into one segment
    merge_below: int = 10_000  # chunks: smaller segments are merged with whatever is added
    merge_factor: int = 10  # this many segments of one size tier are merged into one

    def merged(self, segments: Iterable[SegmentEntry]) -> set[str]:
        """The ids of the segments an update merges: the small ones, and full size tiers."""
        chosen: set[str] = set()
        tiers: dict[int, list[str]] = defaultdict(list)
        for s in segments:
            if s.chunks < self.merge_below:
                chosen.add(s.id)
            elif s.chunks < self.segment_chunks // 2:
                tiers[int(math.log10(s.chunks / max(self.merge_below, 1)))].append(s.id)
        for ids in tiers.values():
            if len(ids) >= self.merge_factor:
                chosen.update(ids)
        return chosen


MERGE_POLICY = MergePolicy()  # the default
