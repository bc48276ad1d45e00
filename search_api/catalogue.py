"""What is in an index: its speakers and its statistics."""

from __future__ import annotations

import json
from dataclasses import dataclass

from search_api.errors import InvalidRequest
from search_api.filters import contains
from search_api.retrieval import SearchIndex

MAX_SPEAKERS = 100


@dataclass(frozen=True)
class SpeakerSummary:
    key: str  # the person id, or "name:<printed name>" where the person is unknown
    person_id: str | None
    name: str
    printed_names: list[str]
    party: str | None
    constituency: str | None
    peerage: str | None
    houses: list[str]
    contributions: int
    by_kind: dict[str, int]


def list_speakers(
    index: SearchIndex, q: str | None = None, limit: int = 20
) -> list[SpeakerSummary]:
    """Speakers whose name (canonical or printed) or person id contains `q`, busiest first."""
    if not 1 <= limit <= MAX_SPEAKERS:
        raise InvalidRequest("limit", f"limit must be between 1 and {MAX_SPEAKERS}, not {limit}")
    sql, args = "SELECT * FROM speakers", []
    if q and q.strip():
        pattern = contains(q)
        sql += (" WHERE name LIKE ? ESCAPE '\\' OR printed_names LIKE ? ESCAPE '\\'"
                " OR person_id = ?")
        args = [pattern, pattern, q.strip()]
    sql += " ORDER BY contributions DESC, name LIMIT ?"
    rows = index.db.execute(sql, [*args, limit])
    return [
        SpeakerSummary(
            key=r["key"], person_id=r["person_id"], name=r["name"],
            printed_names=json.loads(r["printed_names"]), party=r["party"],
            constituency=r["constituency"], peerage=r["peerage"],
            houses=json.loads(r["houses"]), contributions=r["contributions"],
            by_kind=json.loads(r["by_kind"]),
        )
        for r in rows
    ]


def index_stats(index: SearchIndex) -> dict:
    """Counts, coverage of attribution, model and corpora of the index."""
    db = index.db
    by_kind = {}
    for kind, total, named, party in db.execute(
        "SELECT kind, count(*), count(speaker_name), count(party) FROM contributions "
        "GROUP BY kind ORDER BY kind"
    ):
        by_kind[kind] = {
            "contributions": total,
            "with_speaker": named,
            "with_party": party,
            "party_resolved_share": round(party / total, 4) if total else 0.0,
        }
    by_house = dict(db.execute(
        "SELECT house, count(*) FROM contributions GROUP BY house ORDER BY house").fetchall())
    by_parliament = dict(db.execute(
        "SELECT parliament, count(*) FROM contributions GROUP BY parliament ORDER BY parliament"
    ).fetchall())
    by_corpus = {}
    for corpus, total, party in db.execute(
        "SELECT corpus, count(*), count(party) FROM contributions GROUP BY corpus ORDER BY corpus"
    ):
        by_corpus[corpus] = {"contributions": total, "with_party": party,
                             "party_resolved_share": round(party / total, 4) if total else 0.0}
    first, last = db.execute("SELECT min(date), max(date) FROM contributions").fetchone()
    manifest = index.manifest
    return {
        "contributions": index.contribution_count,
        "chunks": int(index.vectors.ntotal),
        "speakers": db.execute("SELECT count(*) FROM speakers").fetchone()[0],
        "by_kind": by_kind,
        "by_house": by_house,
        "by_parliament": by_parliament,
        "by_corpus": by_corpus,
        "parties": list(index.parties),
        "dates": {"from": first, "to": last},
        "import_issues": db.execute("SELECT count(*) FROM issues").fetchone()[0],
        "model": manifest["model"],
        "chunking": manifest["chunking"],
        "corpora": [
            {k: c[k] for k in ("name", "title", "format", "licence")} | {"files": len(c["files"])}
            for c in manifest["corpora"]
        ],
        "build": {"id": manifest["build_id"], "created_at": manifest["created_at"]},
    }
