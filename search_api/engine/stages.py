"""Where a query's time goes: the milliseconds of each stage of a search, recorded while a
search runs, for benchmarks (bench/latency.py, bench/scale.py) and the HTTP Server-Timing
header.

    with recording() as times:      # the search, or the whole HTTP request around it
        with stage("dense"):
            ...
    times  ->  {"embed": 12.1, "dense": 3.4, ...}

Stages a search does not reach are absent. Where two stages run at once (the query is
embedded while the keyword index is searched), each counts its own time, and "other" (what
no stage covers) is the search's wall time less their sum, never below zero.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

STAGES = ("embed", "dense", "keyword", "fuse", "fetch", "snippets", "links", "other")

_current: ContextVar[dict[str, float] | None] = ContextVar("search_stages", default=None)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Count the time of the block as stage `name` of the search being recorded (none: the
    block runs untimed)."""
    record = _current.get()
    if record is None:
        yield
        return
    started = time.perf_counter()
    try:
        yield
    finally:
        record[name] = record.get(name, 0.0) + (time.perf_counter() - started) * 1000


@contextmanager
def recording() -> Iterator[dict[str, float]]:
    """Record the stages of the searches in the block (in this context, and threads started
    with a copy of it) into the dict it yields, its uncovered time as "other". Inside
    another recording, it adds to that one's dict."""
    record = _current.get()
    token = None
    if record is None:
        record = {}
        token = _current.set(record)
    covered_before = sum(record.values())
    started = time.perf_counter()
    try:
        yield record
    finally:
        wall = (time.perf_counter() - started) * 1000
        covered = sum(record.values()) - covered_before  # an inner recording's "other" too
        record["other"] = record.get("other", 0.0) + max(wall - covered, 0.0)
        if token is not None:
            _current.reset(token)


def server_timing(record: dict[str, float]) -> str:
    """The Server-Timing header value of a record: `embed;dur=12.1, dense;dur=3.4, ...`."""
    return ", ".join(f"{name};dur={record[name]:.2f}" for name in STAGES if name in record)


def parse_server_timing(header: str) -> dict[str, float]:
    """A Server-Timing header value back into stage milliseconds (what benchmarks read)."""
    stages = {}
    for part in header.split(","):
        name, _, duration = part.strip().partition(";dur=")
        if name and duration:
            stages[name] = float(duration)
    return stages
