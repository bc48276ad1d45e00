"""GET /health and /stats, and `debate-search stats`: the index being served, and what it holds."""

from __future__ import annotations

from typing import Any

from indexer.pipeline.background import BuildProgress
from search_api.engine.catalogue import index_stats
from search_api.engine.search_index import SearchIndex


def health(index: SearchIndex, building: BuildProgress | None = None) -> dict[str, Any]:
    """Ready to answer: how many contributions the index holds, and which build it is; where
    the server builds its index (`serve --build`), how many of its source files are in while
    it runs (`building`, else null), and why it stopped if it failed (`build_error`)."""
    stopped = building is not None and building.error is not None
    return {"status": "ok", "contributions": index.contribution_count,
            "build_id": index.manifest.build_id,
            "building": None if building is None or stopped else
            {"done": building.done, "total": building.total},
            "build_error": building.error if building is not None else None}


def stats(index: SearchIndex) -> dict[str, Any]:
    """What the index holds: counts, attribution coverage, model, corpora, build."""
    return index_stats(index)
