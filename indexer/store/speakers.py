"""A build's speakers: each segment's speaker rows (writer.py) added up across segments."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterable

from indexer.store.records import SpeakerSummary

# What a speaker's latest row says of them: who they were when last heard.
_LATEST_FIELDS = ("person_id", "name", "party", "constituency", "peerage", "latest_date")


def merged_speakers(rows: Iterable[sqlite3.Row]) -> list[SpeakerSummary]:
    """One summary per speaker key of `rows` (several segments' rows of a speaker add up),
    busiest first."""
    merged: dict[str, dict] = {}
    for r in rows:
        m = merged.get(r["key"])
        if m is None:
            merged[r["key"]] = m = {**dict(r), "printed_names": set(), "houses": set(),
                                    "by_kind": Counter(), "contributions": 0}
        elif r["latest_date"] > m["latest_date"]:
            m.update({k: r[k] for k in _LATEST_FIELDS})
        m["printed_names"].update(json.loads(r["printed_names"]))
        m["houses"].update(json.loads(r["houses"]))
        m["by_kind"].update(json.loads(r["by_kind"]))
        m["contributions"] += r["contributions"]
    ordered = sorted(merged.values(), key=lambda m: (-m["contributions"], m["name"]))
    return [
        SpeakerSummary(
            key=m["key"], person_id=m["person_id"], name=m["name"],
            printed_names=sorted(m["printed_names"]), party=m["party"],
            constituency=m["constituency"], peerage=m["peerage"],
            houses=sorted(m["houses"]), contributions=m["contributions"],
            by_kind=dict(m["by_kind"]),
        )
        for m in ordered
    ]
