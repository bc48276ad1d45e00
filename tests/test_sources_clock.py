"""clock: hours, minutes and seconds as HH:MM:SS."""

from __future__ import annotations

import pytest

from indexer.sources.clock import clock


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ((9, 30), "09:30:00"),
        ((13, 0, 5), "13:00:05"),
        ((0, 0, 0), "00:00:00"),
        ((23, 59, 59), "23:59:59"),
        ((24, 10), None),  # a sitting past midnight printed as 24:10
        ((12, 60), None),
        ((12, 0, 60), None),
    ],
)
def test_clock(parts, expected):
    assert clock(*parts) == expected
