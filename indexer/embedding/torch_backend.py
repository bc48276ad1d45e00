"""The torch backend: a sentence-transformers model on the CPU or a CUDA GPU."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from indexer.embedding.folder import ModelFolder, count_pieces, default_model_path, piece_offsets
from indexer.errors import EmbedderError

CPU_BATCH, GPU_BATCH = 32, 256  # texts a forward pass: a GPU wants big batches


class SentenceTransformerEmbedder(ModelFolder):
    """A sentence-transformers model on torch, loaded lazily, once."""

    backend = "torch"

    def __init__(self, model_path: Path | str | None = None, *, device: str = "cpu",
                 batch_size: int | None = None):
        super().__init__(model_path or default_model_path())
        if device == "cuda":
            import torch

            if not torch.cuda.is_available():
                raise EmbedderError(
                    f"--device cuda: torch {torch.__version__} sees no GPU (a CPU-only build, "
                    "or no CUDA device); install a CUDA build of torch on a GPU host"
                )
        self.device = device
        self.batch_size = batch_size or (GPU_BATCH if device == "cuda" else CPU_BATCH)
        self._lock = threading.Lock()
        self._model = None

    @property
    def model(self):
        with self._lock:
            if self._model is None:
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as transformers_logging

                transformers_logging.disable_progress_bar()  # "Loading weights" noise
                self._model = SentenceTransformer(str(self.model_path), device=self.device)
            return self._model

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length)

    def piece_offsets(self, text: str) -> list[tuple[int, int]]:
        return piece_offsets(self.model.tokenizer, text)

    def count_pieces(self, text: str) -> int:
        return count_pieces(self.model.tokenizer, text)

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
