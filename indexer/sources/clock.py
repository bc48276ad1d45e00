"""Times of day as every format gives them: HH:MM:SS."""

from __future__ import annotations


def clock(hours: int, minutes: int, seconds: int = 0) -> str | None:
    """The time as HH:MM:SS, or None when the parts are no time of day (a sitting past
    midnight printed as 24:10, a minute 60)."""
    if hours > 23 or minutes > 59 or seconds > 59:
        return None
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}"
