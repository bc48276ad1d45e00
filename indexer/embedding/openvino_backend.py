"""The OpenVINO backend: the same weights and arithmetic as sentence-transformers, faster on CPUs.

The model's transformer is converted from its torch module (`openvino.convert_model`, no
ONNX step) once, offline, and kept under `<cache>/openvino/` keyed by the model's fingerprint
and OpenVINO's version; pooling (mean over the attention mask) and L2 normalisation are done
here as sentence-transformers does them. Weights stay float32: the vectors equal torch's to
cosine 0.99999 (docs/embedding.md, "Quality with each backend"), which is why the backend is
not part of the model's fingerprint. OpenVINO's inference precision is left at its default:
bfloat16 on a CPU with AVX512_BF16 or AMX, 1.7x float32's speed with vectors equal to
float32's to cosine 0.99996 or more; float32 elsewhere (docs/embedding.md, issue 25).

Many texts are embedded in batches run asynchronously, one infer request for each of the
streams OpenVINO's THROUGHPUT hint makes (a core or so each, all busy); one text, as a query,
runs on one stream. Each thread has its own infer requests, so a server's concurrent queries
never share one.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import tempfile
import threading
import warnings
from collections import deque
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from indexer.embedding.folder import ModelFolder, count_pieces, piece_offsets
from indexer.errors import EmbedderError

BATCH = 16  # texts an inference: 8 and 16 alike, 32 slower on real chunks (bench.embedding)
MODEL_FILE = "model.xml"


class OpenVINOEmbedder(ModelFolder):
    backend = "openvino"
    device = "cpu"

    def __init__(self, model_path: Path, *, threads: int | None = None,
                 cache_dir: Path | None = None):
        super().__init__(model_path)
        self.threads, self.cache_dir = threads, cache_dir
        self._lock = threading.Lock()  # loading, and the tokenizer (not thread-safe)
        self._local = threading.local()
        self._compiled = None

    @functools.cached_property
    def tokenizer(self):
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(str(self.model_path))

    @functools.cached_property
    def max_tokens(self) -> int:
        # sentence-transformers 6 leaves it out of sentence_bert_config.json (a model it
        # saved keeps it in the tokenizer's config), earlier versions put it there
        config = self.model_path / "sentence_bert_config.json"
        settings = json.loads(config.read_text()) if config.is_file() else {}
        return int(settings.get("max_seq_length") or self.tokenizer.model_max_length)

    @functools.cached_property
    def dimension(self) -> int:
        return int(json.loads((self.model_path / "config.json").read_text())["hidden_size"])

    @property
    def compiled(self):
        with self._lock:
            if self._compiled is None:
                import openvino as ov

                config = {"PERFORMANCE_HINT": "THROUGHPUT"}
                if self.threads:
                    config["INFERENCE_NUM_THREADS"] = self.threads
                self._compiled = ov.Core().compile_model(self._converted(), "CPU", config)
            return self._compiled

    def converted_path(self) -> Path | None:
        """Where the converted model is kept (None without a cache folder)."""
        if self.cache_dir is None:
            return None
        from importlib.metadata import version

        key = self.fingerprint.replace(":", "-").replace("/", "-")
        return Path(self.cache_dir) / "openvino" / f"{key}-ov{version('openvino')}" / MODEL_FILE

    def _converted(self):
        """The OpenVINO model: read from the cache, or converted now (and cached)."""
        import openvino as ov

        path = self.converted_path()
        if path is not None and path.is_file():
            return ov.Core().read_model(path)
        model = _convert(self.model_path, self.tokenizer)
        if path is not None:  # written beside, then renamed: a reader never sees half a model
            path.parent.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(dir=path.parent.parent, prefix=".converting-"))
            try:
                ov.save_model(model, staging / MODEL_FILE, compress_to_fp16=False)
                os.replace(staging, path.parent)
            except OSError:  # another process cached it first
                pass
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        return model

    def piece_offsets(self, text: str) -> list[tuple[int, int]]:
        with self._lock:
            return piece_offsets(self.tokenizer, text)

    def count_pieces(self, text: str) -> int:
        with self._lock:
            return count_pieces(self.tokenizer, text)

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return vectors
        order = np.argsort([len(t) for t in texts], kind="stable")  # less padding a batch
        batches = [order[start : start + BATCH] for start in range(0, len(texts), BATCH)]
        requests = self._requests()
        running: deque = deque()  # (request, rows), oldest first

        def collect() -> None:
            request, rows = running.popleft()
            request.wait()
            vectors[rows] = _mean_pooled(request.get_output_tensor(0).data,
                                         request.get_tensor("attention_mask").data)

        # No AsyncInferQueue: its Python callbacks can deadlock OpenVINO's threads against
        # the GIL when the compiled model is freed; waiting here in turn needs no callback.
        for number, rows in enumerate(batches):
            if len(running) == len(requests):
                collect()
            request = requests[number % len(requests)]
            request.start_async(self._inputs([texts[i] for i in rows]))
            running.append((request, rows))
        while running:
            collect()
        return vectors

    def _requests(self) -> list:
        """This thread's infer requests, one for each stream OpenVINO runs in parallel."""
        if getattr(self._local, "requests", None) is None:
            compiled = self.compiled
            count = int(compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
            self._local.requests = [compiled.create_infer_request() for _ in range(count)]
        return self._local.requests

    def _inputs(self, texts: list[str]) -> dict[str, np.ndarray]:
        with self._lock:
            encoded = self.tokenizer(texts, padding=True, truncation=True,
                                     max_length=self.max_tokens, return_tensors="np")
        return {name: encoded[name] for name in self._input_names}

    @functools.cached_property
    def _input_names(self) -> list[str]:
        """The tokenizer outputs the converted model takes (not every model has token types)."""
        names = {name for port in self.compiled.inputs for name in port.get_names()}
        return [name for name in INPUT_NAMES if name in names]


INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")


def _mean_pooled(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """sentence-transformers' mean pooling over real tokens, then L2 normalisation."""
    weights = mask[..., None].astype(np.float32)
    summed = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    return summed / np.maximum(np.linalg.norm(summed, axis=1, keepdims=True), 1e-12)


def _convert(model_path: Path, tokenizer):
    """The model's transformer, converted from torch to OpenVINO (takes a few seconds)."""
    import openvino as ov
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # "Loading weights" noise
    try:
        transformer = AutoModel.from_pretrained(str(model_path)).eval()
    except (OSError, ValueError) as exc:
        raise EmbedderError(f"cannot convert {model_path} for OpenVINO: {exc}") from exc
    example = tokenizer(["a short example", "and another, somewhat longer, example text"],
                        padding=True, return_tensors="pt")

    class LastHiddenState(torch.nn.Module):  # keyword arguments: transformers 5's order varies
        def __init__(self):
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask, token_type_ids=None):
            inputs = {"input_ids": input_ids, "attention_mask": attention_mask}
            if token_type_ids is not None:
                inputs["token_type_ids"] = token_type_ids
            return self.transformer(**inputs).last_hidden_state

    with torch.no_grad(), warnings.catch_warnings():  # shapes stay dynamic: any batch, length
        warnings.simplefilter("ignore")  # the tracer's notes on transformers' Python branches
        return ov.convert_model(LastHiddenState(), example_input={
            name: example[name] for name in INPUT_NAMES if name in example})
