"""One settings object: environment variables prefixed DEBATE_SEARCH_, CLI flags override."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from indexer.embedding import EmbedderSpec

APP_NAME = "debate-search"
DEFAULT_CORPUS_MANIFEST = Path("corpora") / "uk-twfy-parlparse-2009-10.toml"


def checkout_at(folder: Path) -> Path | None:
    """`folder` if it is a checkout of this project (its pyproject.toml names the project
    debate-search), else None."""
    try:
        with open(folder / "pyproject.toml", "rb") as file:
            name = tomllib.load(file).get("project", {}).get("name")
    except (OSError, tomllib.TOMLDecodeError):
        return None
    return folder if name == APP_NAME else None


# The packages sit at the top of the checkout, beside pyproject.toml, so the folder above this
# package is the checkout when running from one (`make install` installs it in editable mode).
# An installed wheel puts the package in site-packages, which holds no pyproject.toml of ours:
# defaults then go to the user's folders, and there is no default corpus.
CHECKOUT = checkout_at(Path(__file__).resolve().parents[1])


def default_data_dir() -> Path:
    """Where indexes and tuned models go: the checkout's var/ (a command means the same index
    from whatever folder it is run), else the user's data folder (platformdirs; on Linux
    $XDG_DATA_HOME/debate-search, ~/.local/share/debate-search)."""
    if CHECKOUT is not None:
        return CHECKOUT / "var"
    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def default_corpus() -> Path | None:
    """The checkout's default corpus manifest; none outside a checkout."""
    return CHECKOUT / DEFAULT_CORPUS_MANIFEST if CHECKOUT is not None else None


def default_cache_dir() -> Path:
    """The user's cache folder (on Linux $XDG_CACHE_HOME/debate-search, ~/.cache/...)."""
    return platformdirs.user_cache_path(APP_NAME, appauthor=False)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DEBATE_SEARCH_")

    data_dir: Path = Field(default_factory=default_data_dir)  # indexes and tuned models
    index_dir: Path = Field(default_factory=lambda fields: fields["data_dir"] / "index")
    corpus: Path | None = Field(default_factory=default_corpus)  # `index` with no PATHS
    cache_dir: Path = Field(default_factory=default_cache_dir)  # downloads, vector cache
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

    @property
    def tuned_model_dir(self) -> Path:
        """Where `tune` writes its model unless told."""
        return self.data_dir / "models" / "tuned"

    def embedder_spec(self, model_path: Path | None = None) -> EmbedderSpec:
        """How to open the model: `model_path`, else the setting's (None: the index's own)."""
        return EmbedderSpec(model_path=model_path or self.model_path, backend=self.backend,
                            device=self.device, cache_dir=self.cache_dir)
