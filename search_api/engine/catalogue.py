"""What is in an index: its speakers and its statistics."""

from __future__ import annotations

from dataclasses import asdict

from indexer.store.records import Coverage, SpeakerSummary
from search_api.engine.search_index import SearchIndex
from search_api.errors import InvalidRequest

MAX_SPEAKERS = 100


def list_speakers(
    index: SearchIndex, q: str | None = None, limit: int = 20
) -> list[SpeakerSummary]:
    """Speakers whose name (canonical or printed) or person id contains `q`, busiest first."""
    if not 1 <= limit <= MAX_SPEAKERS:
        raise InvalidRequest("limit", f"limit must be between 1 and {MAX_SPEAKERS}, not {limit}")
    return index.speakers(q, limit)


def index_stats(index: SearchIndex) -> dict:
    """Counts, coverage of attribution, model and corpora of the index."""
    counts = index.counts()
    manifest = index.manifest
    return {
        "contributions": counts.contributions,
        "chunks": counts.chunks,
        "speakers": counts.speakers,
        "by_kind": {kind: asdict(c) | {"party_resolved_share": _share(c)}
                    for kind, c in counts.by_kind.items()},
        "by_house": counts.by_house,
        "by_parliament": counts.by_parliament,
        "by_corpus": {corpus: {"contributions": c.contributions, "with_party": c.with_party,
                               "party_resolved_share": _share(c)}
                      for corpus, c in counts.by_corpus.items()},
        "parties": list(index.values.parties),
        "dates": {"from": counts.first_date, "to": counts.last_date},
        "import_issues": counts.import_issues,
        "model": asdict(manifest.model),
        "query_embedder": {"backend": index.embedder.backend, "device": index.embedder.device},
        "chunking": manifest.chunking,
        "corpora": [{"name": c.name, "title": c.title, "format": c.format, "licence": c.licence,
                     "files": len(c.files)} for c in manifest.corpora],
        "build": {"id": manifest.build_id, "created_at": manifest.created_at},
    }


def _share(coverage: Coverage) -> float:
    total = coverage.contributions
    return round(coverage.with_party / total, 4) if total else 0.0
