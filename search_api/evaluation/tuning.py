"""Adapting the embedding model to a corpus: `debate-search tune`.

The training pairs are the record's own structure, the pairs the record-made evaluation sets
judge (sets.NAMED_SETS): a written question and its answer, an oral question and the
minister's reply, a debate's title and the speech that opens it (the best-judged documents of
each query). Each pair gets one hard negative from BM25, as DPR does (Karpukhin et al., 2020,
"Dense Passage Retrieval for Open-Domain Question Answering"): the best keyword match that is
neither judged nor from the query's own debate, since a speech of the same debate is often
relevant without being judged. The loss is sentence-transformers' MultipleNegativesRankingLoss
(the other pairs of a batch are negatives too; Henderson et al., 2017), batches never holding
one text twice (several written questions share one reply).

Only the days given are used: a model tuned to be measured must not see the evaluation's test
days (EvalSet.split keeps the first day for dev). The model is written whole, atomically, as a
sentence-transformers folder that `debate-search index --model` takes, with `tuning.json`
saying what it was tuned on.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Collection
from dataclasses import asdict, dataclass
from pathlib import Path

from indexer.chunking import context_line_of
from indexer.store.records import ContributionRecord
from search_api.engine.search_index import RetrievalConfig, SearchIndex
from search_api.errors import EvaluationError
from search_api.evaluation.sets import NAMED_SETS, EvalSet

KEYWORD = RetrievalConfig(mode="keyword")
NEGATIVE_DEPTH = 30  # BM25 results searched for a hard negative


@dataclass(frozen=True)
class TuningParams:
    """Training settings; the defaults are those measured (README, "Retrieval quality")."""

    epochs: int = 1
    batch_size: int = 32
    learning_rate: float = 2e-5
    warmup_ratio: float = 0.1
    seed: int = 12
    max_steps: int | None = None  # stop sooner than `epochs` would (a large record)


@dataclass(frozen=True)
class Triple:
    query: str
    positive: str  # the text of a best-judged document, as it is embedded
    negative: str  # a BM25 match that is not judged relevant


@dataclass
class TuningReport:
    model_dir: Path
    days: list[str]
    triples: int
    seconds: float

    def summary(self) -> str:
        return (f"Tuned on {self.triples:,} pairs from {', '.join(self.days)} in "
                f"{self.seconds:.0f} s; model written to {self.model_dir}")


def record_days(index: SearchIndex) -> list[str]:
    """The sitting days of the record-made sets' queries."""
    return sorted({d for make in NAMED_SETS.values() for d in make(index).dates.values()})


def training_triples(index: SearchIndex, days: Collection[str]) -> list[Triple]:
    """(query, best-judged document, hard negative) for every query of the record-made sets
    asked on one of `days`."""
    triples = []
    for make in NAMED_SETS.values():
        evalset = make(index)
        asked = [q for q in evalset.queries if evalset.dates.get(q) in days]
        triples += _triples(index, evalset, asked)
    return triples


def _triples(index: SearchIndex, evalset: EvalSet, asked: list[str]) -> list[Triple]:
    wanted = {d for q in asked for d in evalset.qrels[q]}
    negatives = {q: _hard_negative(index, evalset, q) for q in asked}
    records = index.store.contributions_by_id(wanted | {n for n in negatives.values() if n})
    triples = []
    for query_id in asked:
        judged = evalset.qrels[query_id]
        best = max(judged.values())
        negative = negatives[query_id]
        if negative is None:
            continue
        for doc_id, relevance in judged.items():
            if relevance == best and doc_id != query_id:
                triples.append(Triple(evalset.queries[query_id], embedded_text(records[doc_id]),
                                      embedded_text(records[negative])))
    return triples


def _hard_negative(index: SearchIndex, evalset: EvalSet, query_id: str) -> str | None:
    judged = evalset.qrels[query_id]
    ranked = [doc for doc, _ in index.rank(evalset.queries[query_id], NEGATIVE_DEPTH,
                                           evalset.filters, KEYWORD)
              if doc not in judged and doc != query_id]
    debates = index.store.contributions_by_id(ranked + [next(iter(judged))])
    own_debate = debates[next(iter(judged))].debate.id
    return next((doc for doc in ranked if debates[doc].debate.id != own_debate), None)


def embedded_text(record: ContributionRecord) -> str:
    """A contribution as the index embeds its first chunk: after its context line (the
    model truncates what is longer than it reads)."""
    s = record.speaker
    return f"{context_line_of(record.debate.title, s.name, s.office, s.party)}\n{record.text}"


def tune(index: SearchIndex, out: Path, days: Collection[str],
         params: TuningParams = TuningParams(), *, progress: bool = True) -> TuningReport:
    """Fine-tune the index's model on its record's pairs from `days`; write it to `out`."""
    start = time.perf_counter()
    triples = training_triples(index, set(days))
    if len(triples) < params.batch_size:
        raise EvaluationError(
            f"only {len(triples)} training pairs on {', '.join(sorted(days)) or 'no day'}; "
            f"tuning needs at least a batch ({params.batch_size}): give more days")
    model = _train(Path(index.embedder.model_path), triples, params, progress)
    _save_atomically(model, out, {
        "base_model": index.manifest["model"], "index_build": index.manifest.get("build_id"),
        "days": sorted(days), "triples": len(triples), "params": asdict(params),
        "pairs_from": sorted(NAMED_SETS)})
    return TuningReport(out, sorted(days), len(triples), time.perf_counter() - start)


def _train(base: Path, triples: list[Triple], params: TuningParams, progress: bool):
    from datasets import Dataset
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.losses import MultipleNegativesRankingLoss
    from sentence_transformers.training_args import BatchSamplers

    model = SentenceTransformer(str(base), device="cpu")
    data = Dataset.from_dict({"anchor": [t.query for t in triples],
                              "positive": [t.positive for t in triples],
                              "negative": [t.negative for t in triples]})
    with tempfile.TemporaryDirectory() as scratch:
        args = SentenceTransformerTrainingArguments(
            output_dir=scratch, num_train_epochs=params.epochs,
            per_device_train_batch_size=params.batch_size, learning_rate=params.learning_rate,
            # a float below 1 is a share of the steps (transformers 5 names it so)
            warmup_steps=params.warmup_ratio, max_steps=params.max_steps or -1,
            seed=params.seed, data_seed=params.seed,
            batch_sampler=BatchSamplers.NO_DUPLICATES, save_strategy="no", report_to="none",
            logging_strategy="no", disable_tqdm=not progress, use_cpu=True)
        SentenceTransformerTrainer(model=model, args=args, train_dataset=data,
                                   loss=MultipleNegativesRankingLoss(model)).train()
    return model


def _save_atomically(model, out: Path, provenance: dict) -> None:
    """The whole model in `out`, or `out` as it was: written beside it, then renamed."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        model.save(str(partial))
        (partial / "tuning.json").write_text(json.dumps(provenance, indent=2))
        old = out.with_name(f".{out.name}.old")
        if out.exists():
            os.replace(out, old)
        os.replace(partial, out)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
