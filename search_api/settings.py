"""One settings object: environment variables prefixed DEBATE_SEARCH_, CLI flags override."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

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
    # Threads torch may use per query embedding when serving. One: concurrent requests each
    # get a core instead of fighting over both (bench: p50 236 -> 44 ms on a busy machine).
    torch_threads: int = 1
    host: str = "127.0.0.1"
    port: int = 8000
