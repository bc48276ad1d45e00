"""OpenVINO's levers for embedding throughput, and int8 models: `python -m bench.embedding`.

Measures what docs/embedding.md ("Levers and int8", issue 25) reports, on real texts of the
default corpus (chunk texts as a build makes them, sentences, and bench.queries' 100 queries):

- levers: chunk texts/s of the OpenVINO model compiled with other settings (inference
  precision, batch size, streams, padding), each embedded as a build embeds them (calls of
  256 length-sorted texts, batches on asynchronous infer requests, as openvino_backend.py
  does). The variants run in a new random order each round on the same texts; the table
  gives the median over rounds of texts/s and of CPU milliseconds a text (all of this
  process's threads), since other work on a shared machine comes in bursts.
- cosine: each variant's vectors against float32's on held-out chunk texts, sentences and
  the queries (mean, 1st percentile, min).
- int8 (with --int8, needs `nncf==3.4.0`, not a project dependency): NNCF static int8 of
  the converted model, calibrated on 300 chunk texts and 100 sentences that the cosine
  section does not use, in a few forms, then measured as variants above; kept under
  var/bench/int8/.

Results go to bench-results/embedding.json, the tables beside it.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import deque
from pathlib import Path

import numpy as np

from bench import DEFAULT_CORPUS, RESULTS, ROOT
from bench.report import CpuWatch, machine_info, table, write_json, write_results
from indexer.embedding import EmbedderSpec
from indexer.embedding.openvino_backend import BATCH, INPUT_NAMES, _mean_pooled
from indexer.pipeline.workers import FilePreparer
from indexer.pipeline.writing import EMBED_BATCH
from indexer.sources import resolve_inputs
from indexer.text.chunking import ChunkingParams
from indexer.text.sentences import sentence_spans
from search_api.settings import Settings

INT8_DIR = ROOT / "var" / "bench" / "int8"
CALIBRATION = (300, 100)  # chunk texts, sentences: the first of each shuffled list
THROUGHPUT, LATENCY = {"PERFORMANCE_HINT": "THROUGHPUT"}, {"PERFORMANCE_HINT": "LATENCY"}
F32 = {"INFERENCE_PRECISION_HINT": "f32"}


def corpus_texts(seed: int = 42) -> tuple[list[str], list[str]]:
    """Every distinct chunk text and sentence of the default corpus, each list shuffled."""
    inputs = resolve_inputs([DEFAULT_CORPUS], Settings().cache_dir, progress=False)
    preparer = FilePreparer(EmbedderSpec().open(), ChunkingParams())
    chunks: dict[str, None] = {}
    sentences: dict[str, None] = {}
    for corpus in inputs:
        for path in corpus.files:
            prepared = preparer.prepare(corpus, path)
            chunks.update(dict.fromkeys(c.embed_text for own in prepared.chunks for c in own))
            sentences.update(dict.fromkeys(c.text[start:end] for c in prepared.contributions
                                           for start, end in sentence_spans(c.text)))
    lists = list(chunks), list(sentences)
    for items in lists:
        random.Random(seed).shuffle(items)
    return lists


class Variant:
    """The converted model compiled one way, embedding as openvino_backend.py does."""

    def __init__(self, label: str, model: Path, tokenizer, config: dict, batch: int = BATCH,
                 requests: int | None = None, pad_to: int | None = None):
        import openvino as ov

        self.label, self.tokenizer, self.batch, self.pad_to = label, tokenizer, batch, pad_to
        self.compiled = ov.Core().compile_model(model, "CPU", config)
        count = requests or int(self.compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
        self.requests = [self.compiled.create_infer_request() for _ in range(count)]
        names = {name for port in self.compiled.inputs for name in port.get_names()}
        self.names = [name for name in INPUT_NAMES if name in names]

    def settings(self) -> str:
        get = self.compiled.get_property
        return (f"{get('INFERENCE_PRECISION_HINT')}, {get('NUM_STREAMS')} stream(s), "
                f"{get('INFERENCE_NUM_THREADS')} threads in all, batch {self.batch}, "
                f"{len(self.requests)} request(s)")

    def _inputs(self, texts: list[str]) -> dict[str, np.ndarray]:
        padding = ({"padding": "max_length", "max_length": self.pad_to} if self.pad_to
                   else {"padding": True, "max_length": 256})
        encoded = self.tokenizer(texts, truncation=True, return_tensors="np", **padding)
        return {name: encoded[name] for name in self.names}

    def embed(self, texts: list[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), 384), dtype=np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")
        running: deque = deque()

        def collect() -> None:
            request, rows = running.popleft()
            request.wait()
            vectors[rows] = _mean_pooled(request.get_output_tensor(0).data,
                                         request.get_tensor("attention_mask").data)

        for number, start in enumerate(range(0, len(texts), self.batch)):
            rows = order[start : start + self.batch]
            if len(running) == len(self.requests):
                collect()
            request = self.requests[number % len(self.requests)]
            request.start_async(self._inputs([texts[i] for i in rows]))
            running.append((request, rows))
        while running:
            collect()
        return vectors

    def embed_as_a_build(self, texts: list[str]) -> np.ndarray:
        ordered = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = np.zeros((len(texts), 384), dtype=np.float32)
        for start in range(0, len(texts), EMBED_BATCH):
            rows = ordered[start : start + EMBED_BATCH]
            vectors[rows] = self.embed([texts[i] for i in rows])
        return vectors


def levers(variants: list[Variant], texts: list[str], rounds: int) -> dict:
    for variant in variants:
        variant.embed(texts[:32])  # compiled for these shapes before timing
    rate: dict[str, list[float]] = {v.label: [] for v in variants}
    cpu: dict[str, list[float]] = {v.label: [] for v in variants}
    shuffle = random.Random(0).shuffle
    for _ in range(rounds):
        order = list(variants)
        shuffle(order)
        for variant in order:
            wall, used = time.perf_counter(), time.process_time()
            variant.embed_as_a_build(texts)
            rate[variant.label].append(len(texts) / (time.perf_counter() - wall))
            cpu[variant.label].append((time.process_time() - used) * 1000 / len(texts))
    first = variants[0].label
    return {v.label: {"settings": v.settings(),
                      "texts_per_s": float(np.median(rate[v.label])),
                      "best_round_texts_per_s": float(np.max(rate[v.label])),
                      "cpu_ms_per_text": float(np.median(cpu[v.label])),
                      "cpu_ratio": float(np.median(cpu[v.label]) / np.median(cpu[first]))}
            for v in variants}


def cosines(reference: Variant, variants: list[Variant], sets: dict[str, list[str]]) -> dict:
    results: dict[str, dict] = {v.label: {} for v in variants}
    for name, texts in sets.items():
        expected = reference.embed_as_a_build(texts)
        for variant in variants:
            cosine = (variant.embed_as_a_build(texts) * expected).sum(axis=1)
            results[variant.label][name] = {
                "texts": len(texts), "mean": float(cosine.mean()),
                "p01": float(np.percentile(cosine, 1)), "min": float(cosine.min())}
    return results


def int8_models(source: Path, tokenizer, calibration: list[str]) -> dict[str, Path]:
    """NNCF int8 forms of the converted model (each made once, then read from disk)."""
    import nncf
    import openvino as ov

    ffn_down = nncf.IgnoredScope(patterns=[r".*layer\.\d+\.output\.dense/.*"])
    forms = {
        "int8": {},
        "int8, no SmoothQuant": {"advanced_parameters": nncf.AdvancedQuantizationParameters(
            smooth_quant_alpha=-1)},
        "int8, FFN output layers float": {"ignored_scope": ffn_down},
        "int8 weights only": None,
    }

    def item(text: str) -> dict[str, np.ndarray]:
        encoded = tokenizer([text], truncation=True, max_length=256, return_tensors="np")
        return {name: encoded[name] for name in INPUT_NAMES}

    paths = {}
    for label, options in forms.items():
        path = INT8_DIR / label.replace(" ", "-").replace(",", "") / "model.xml"
        if not path.is_file():
            model = ov.Core().read_model(source)
            if options is None:
                model = nncf.compress_weights(model, mode=nncf.CompressWeightsMode.INT8_ASYM)
            else:
                model = nncf.quantize(model, nncf.Dataset(calibration, item),
                                      model_type=nncf.ModelType.TRANSFORMER,
                                      subset_size=len(calibration), **options)
            path.parent.mkdir(parents=True, exist_ok=True)
            ov.save_model(model, path, compress_to_fp16=False)
        paths[label] = path
    return paths


def render(results: dict) -> str:
    parts = []
    if "levers" in results:
        parts.append(table(
            f"Embedding {results['lever_texts']} real chunk texts, {results['rounds']} rounds "
            "(medians; CPU relative to the first row)",
            ["variant", "settings", "texts/s", "best round", "CPU ms a text", "CPU x"],
            [[label, r["settings"], r["texts_per_s"], r["best_round_texts_per_s"],
              r["cpu_ms_per_text"], f"{r['cpu_ratio']:.2f}"]
             for label, r in results["levers"].items()]))
    if "cosine" in results:
        rows = []
        for label, sets in results["cosine"].items():
            rows.append([label] + [f"{s['mean']:.5f} / {s['min']:.5f}" for s in sets.values()])
        names = next(iter(results["cosine"].values()))
        parts.append(table("Cosine to float32 (mean / min)",
                           ["variant"] + [f"{n} ({s['texts']})" for n, s in names.items()],
                           rows))
    return "\n\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.embedding", description=__doc__)
    parser.add_argument("--texts", type=int, default=128, help="chunk texts timed [128]")
    parser.add_argument("--rounds", type=int, default=8, help="rounds of every variant [8]")
    parser.add_argument("--held-out", type=int, default=1000,
                        help="chunk texts and sentences the cosine section compares [1000]")
    parser.add_argument("--index", type=Path, default=ROOT / "var" / "index",
                        help="the index whose 100 bench queries are compared [var/index]")
    parser.add_argument("--queries", type=Path,
                        help="compare these queries (one a line) instead of an index's")
    parser.add_argument("--int8", action="store_true", help="also NNCF int8 models")
    parser.add_argument("--out", type=Path, default=RESULTS / "embedding.json")
    args = parser.parse_args()
    from bench.queries import build_query_set

    embedder = EmbedderSpec(cache_dir=Settings().cache_dir).open()
    embedder.embed(["converted and cached"])
    model, tokenizer = embedder.converted_path(), embedder.tokenizer
    chunks, sentences = corpus_texts()
    calibration = chunks[: CALIBRATION[0]] + sentences[: CALIBRATION[1]]
    skip = max(CALIBRATION) + 700  # held-out texts: none used to calibrate, none timed
    held_out = {"chunk texts": chunks[skip : skip + args.held_out],
                "sentences": sentences[skip : skip + args.held_out],
                "queries": (args.queries.read_text().splitlines() if args.queries
                            else build_query_set(args.index, 100))}

    def variant(label: str, config: dict, path: Path = model, **kw) -> Variant:
        return Variant(label, path, tokenizer, config, **kw)

    variants = [
        variant("as served", THROUGHPUT),
        variant("batch 8", THROUGHPUT, batch=8),
        variant("batch 32", THROUGHPUT, batch=32),
        variant("LATENCY hint", LATENCY, requests=1),
        variant("padded to 256 pieces", THROUGHPUT, pad_to=256),
        variant("float32", THROUGHPUT | F32),
        variant("float32, batch 8", THROUGHPUT | F32, batch=8),
    ]
    if args.int8:
        for label, path in int8_models(model, tokenizer, calibration).items():
            variants.append(variant(label, THROUGHPUT | F32, path))
    results: dict = {"machine": machine_info(), "lever_texts": args.texts,
                     "rounds": args.rounds}
    with CpuWatch() as watch:
        timed = chunks[CALIBRATION[0] : CALIBRATION[0] + args.texts]
        results["levers"] = levers(variants, timed, args.rounds)
        write_json(args.out, results)
        reference = variant("float32 reference", THROUGHPUT | F32)
        compared = [v for v in variants if v.label == "as served" or "int8" in v.label]
        results["cosine"] = cosines(reference, compared, held_out)
    results["machine"]["other_processes_cpu_share"] = watch.share
    write_results(args.out, results, render(results))


if __name__ == "__main__":
    main()
