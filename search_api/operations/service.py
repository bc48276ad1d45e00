"""GET /health and /stats, and `debate-search stats`: the index being served, and what it holds."""

from __future__ import annotations

from typing import Any

from search_api.engine.catalogue import index_stats
from search_api.engine.search_index import SearchIndex


def health(index: SearchIndex) -> dict[str, Any]:
    """Ready to answer: how many contributions the index holds, and which build it is."""
    return {"status": "ok", "contributions": index.contribution_count,
            "build_id": index.manifest.build_id}


def stats(index: SearchIndex) -> dict[str, Any]:
    """What the index holds: counts, attribution coverage, model, corpora, build."""
    return index_stats(index)
