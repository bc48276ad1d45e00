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
    host: str = "127.0.0.1"
    port: int = 8000
