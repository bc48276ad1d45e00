"""One settings object: environment variables prefixed DEBATE_SEARCH_, CLI flags override."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from indexer.embedding import EmbedderSpec

# The checkout (`make install` installs it in editable mode): default paths lie in it, so a
# command means the same index and corpus from whatever folder it is run.
PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _default_cache() -> Path:
    return Path.home() / ".cache" / "debate-search"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DEBATE_SEARCH_")

    index_dir: Path = PROJECT_ROOT / "var" / "index"
    corpus: Path = PROJECT_ROOT / "corpora" / "uk-twfy-parlparse-2009-10.toml"  # the default
    cache_dir: Path = _default_cache()  # downloaded corpora when a mirror is absent
    # A local sentence-transformers folder. Building: the model to embed with (default: the
    # packaged MiniLM). Serving: overrides the model path recorded in the index.
    model_path: Path | None = None
    # What runs the model (building and serving): auto is OpenVINO on a CPU, torch on a GPU.
    backend: Literal["auto", "torch", "openvino"] = "auto"
    device: Literal["cpu", "cuda"] = "cpu"
    # Threads torch may use per query embedding when serving (OpenVINO runs each query on one
    # of its streams, a core or so each). One: concurrent requests each get a core instead of
    # fighting over both (bench: p50 236 -> 44 ms on a busy machine).
    torch_threads: int = 1
    # Searches (/search, /answer, /context) the server takes at once: `search_workers` run
    # (default: one per core), the rest of `max_in_flight` wait their turn, more are refused
    # at once with 503 and Retry-After (interfaces/http/shedding.py). 12 on 2 cores: 8
    # clients are never refused, and at 64 the accepted keep p95 under a second (bench.load).
    max_in_flight: int = 12
    search_workers: int = Field(default_factory=lambda: os.cpu_count() or 1)
    host: str = "127.0.0.1"
    port: int = 8000

    def embedder_spec(self, model_path: Path | None = None) -> EmbedderSpec:
        """How to open the model: `model_path`, else the setting's (None: the index's own)."""
        return EmbedderSpec(model_path=model_path or self.model_path, backend=self.backend,
                            device=self.device, cache_dir=self.cache_dir)
