"""The in-memory filter columns (indexer/store/facets.py), shared by every request thread."""

from __future__ import annotations

import threading

import numpy as np

from indexer.store.facets import Column


def test_substring_filters_are_right_when_many_threads_ask_at_once():
    # More distinct substrings than the column remembers (256), asked by 16 threads at once:
    # what one thread remembers must never be lost to another's forgetting mid-request.
    names = [f"Member {i:04d} of Somewhere{i % 37}" for i in range(2_000)]
    column = Column(names * 2)
    needles = [f"{i:04d}" for i in range(0, 2_000, 3)] + [f"where{i}" for i in range(37)]
    expected = {n: np.array([n.lower() in v.lower() for v in names * 2]) for n in needles}
    failures: list[BaseException] = []
    start = threading.Barrier(16)

    def ask(offset: int) -> None:
        start.wait()
        try:
            for needle in needles[offset:] + needles[:offset]:
                found = column.containing(needle)
                if not np.array_equal(found, expected[needle]):
                    raise AssertionError(f"{needle!r}: wrong contributions")
        except BaseException as exc:  # noqa: BLE001 - reported below, with its thread's own
            failures.append(exc)

    threads = [threading.Thread(target=ask, args=(i * 41,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures[:3]
