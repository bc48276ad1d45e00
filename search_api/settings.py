"""One settings object: environment variables prefixed DEBATE_SEARCH_, CLI flags override."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_cache() -> Path:
    return Path.home() / ".cache" / "debate-search"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DEBATE_SEARCH_")

    index_dir: Path = Path("var/index")
    corpus: Path = Path("corpora/uk-twfy-parlparse-2009-10.toml")  # the default corpus
    cache_dir: Path = _default_cache()  # downloaded corpora when a mirror is absent
    # A local sentence-transformers folder. Building: the model to embed with (default: the
    # packaged MiniLM). Serving: overrides the model path recorded in the index.
    model_path: Path | None = None
    # Threads torch may use per query embedding when serving. One: concurrent requests each
    # get a core instead of fighting over both (bench: p50 236 -> 44 ms on a busy machine).
    torch_threads: int = 1
    host: str = "127.0.0.1"
    port: int = 8000
