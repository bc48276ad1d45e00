"""Adapting the embedding model to a corpus: `debate-search tune`.

The training pairs are the record's own structure on the days given: a question and each
answer linked to it (indexer/qa_links.py: written questions, Commons and Lords oral
questions), and a debate's subject title and its speeches (titles and lengths chosen as the
debates evaluation set chooses them, sets.debates_set). Each query gets one hard negative
from BM25, as DPR does (Karpukhin et al., 2020, "Dense Passage Retrieval for Open-Domain
Question Answering"): the best keyword match of the same kind that is neither a positive nor
from a positive's debate, since a speech of the same debate is often relevant too. The loss
is sentence-transformers' MultipleNegativesRankingLoss (the other pairs of a batch are
negatives too; Henderson et al., 2017), batches never holding one text twice (several written
questions share one reply).

A model tuned to be measured must not see the evaluation's test days (the record-made sets
keep their first day for dev: EvalSet.split). The model is written whole, atomically, as a
sentence-transformers folder that `debate-search index --model` takes, with `tuning.json`
saying what it was tuned on.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Collection
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from indexer.embedding.folder import ModelFolder
from indexer.store.records import ContributionRecord, SearchFilters
from indexer.text.chunking import context_line_of
from search_api.engine.ranking import RetrievalConfig
from search_api.engine.search_index import SearchIndex
from search_api.errors import EvaluationError
from search_api.evaluation.sets import MIN_SPEECH_CHARS, OPEN_QUESTION, PROCEDURAL_TITLE

if TYPE_CHECKING:  # for annotations only: _train imports it where it trains
    from sentence_transformers import SentenceTransformer

KEYWORD = RetrievalConfig(mode="keyword")
NEGATIVE_DEPTH = 30  # BM25 results searched for a hard negative
TITLE_PAIRS = 20  # a long debate must not outweigh the rest


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
    positive: str  # a document the record pairs with the query, as it is embedded
    negative: str  # a BM25 match that is not paired with it


@dataclass
class TuningReport:
    model_dir: Path
    days: list[str]
    triples: int
    seconds: float

    def summary(self) -> str:
        return (f"Tuned on {self.triples:,} pairs from {', '.join(self.days)} in "
                f"{self.seconds:.0f} s; model written to {self.model_dir}")


@dataclass(frozen=True)
class RecordQuery:
    """A query the record makes, with the contributions it pairs with it."""

    text: str
    positives: list[str]  # contribution ids
    kind: str  # the positives' kind: the hard negative is one too
    origin: str  # "question" (its answers) or "title" (its debate's speeches)


def record_days(index: SearchIndex) -> list[str]:
    """Every sitting day the index holds."""
    return index.dates()


def training_triples(index: SearchIndex, days: Collection[str]) -> list[Triple]:
    """(query, document, hard negative) for every pair the record makes on one of `days`;
    a query's documents share its negative."""
    queries = [q for day in sorted(days) for q in record_queries(index, day)]
    wanted = {d for q in queries for d in q.positives}
    negatives = [hard_negative(index, q) for q in queries]
    records = index.records_by_id(wanted | {n for n in negatives if n})
    return [Triple(q.text, embedded_text(records[doc]), embedded_text(records[negative]))
            for q, negative in zip(queries, negatives, strict=True) if negative
            for doc in q.positives]


def record_queries(index: SearchIndex, day: str) -> list[RecordQuery]:
    """A day's pairs: each question linked to its answers (indexer/qa_links.py: written,
    oral, Lords oral), and each subject title with its debate's speeches of MIN_SPEECH_CHARS
    or more (the first TITLE_PAIRS of them, so a long debate does not outweigh the rest)."""
    records = {r.id: r for r in index.records(SearchFilters(date_from=day, date_to=day))}
    answers: dict[str, list[str]] = defaultdict(list)
    for question_id, answer_id in index.question_answer_links(records):
        if question_id in records and answer_id in records:
            answers[question_id].append(answer_id)
    queries = [RecordQuery(records[q].text, ids, records[ids[0]].kind, "question")
               for q, ids in answers.items() if not OPEN_QUESTION.search(records[q].text)]
    sections: dict[str, list[ContributionRecord]] = defaultdict(list)
    for r in records.values():
        if r.kind == "speech" and r.id not in answers:
            sections[r.debate.id].append(r)
    for section in sections.values():
        section.sort(key=lambda r: r.debate.position)
        title = (section[0].debate.minor_heading or section[0].debate.major_heading or "").strip()
        speeches = [r.id for r in section if len(r.text) >= MIN_SPEECH_CHARS]
        if len(speeches) >= 3 and title and not PROCEDURAL_TITLE.match(title):
            queries.append(RecordQuery(title, speeches[:TITLE_PAIRS], "speech", "title"))
    return queries


def hard_negative(index: SearchIndex, query: RecordQuery) -> str | None:
    """The best BM25 match of the positives' kind that is neither a positive nor from a
    positive's debate."""
    ranked = [doc for doc, _ in index.rank(query.text, NEGATIVE_DEPTH,
                                           SearchFilters(kind=query.kind), KEYWORD)]
    records = index.records_by_id(ranked + query.positives)
    debates = {records[p].debate.id for p in query.positives}
    return next((doc for doc in ranked
                 if doc not in query.positives and records[doc].debate.id not in debates), None)


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
    if not isinstance(index.embedder, ModelFolder):
        raise EvaluationError(f"tuning needs a model read from a folder; the index's embedder "
                              f"{index.embedder.name!r} has none")
    model = _train(index.embedder.model_path, triples, params, progress)
    _save_atomically(model, out, {
        "base_model": asdict(index.manifest.model), "index_build": index.build_id,
        "days": sorted(days), "triples": len(triples), "params": asdict(params)})
    return TuningReport(out, sorted(days), len(triples), time.perf_counter() - start)


def _train(base: Path, triples: list[Triple], params: TuningParams, progress: bool
           ) -> SentenceTransformer:
    # Training needs the [tune] extra (datasets, accelerate); nothing else imports them.
    try:
        import accelerate  # noqa: F401  (transformers' Trainer needs it)
        from datasets import Dataset
        from sentence_transformers import (
            SentenceTransformer,
            SentenceTransformerTrainer,
            SentenceTransformerTrainingArguments,
        )
        from sentence_transformers.sentence_transformer.losses import (
            MultipleNegativesRankingLoss,
        )
        from sentence_transformers.sentence_transformer.training_args import BatchSamplers
    except ModuleNotFoundError as exc:
        raise EvaluationError(f"tuning needs the '{exc.name}' package, which is not "
                              "installed: pip install 'debate-search[tune]'") from exc

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


def _save_atomically(model: SentenceTransformer, out: Path, provenance: dict[str, object]
                     ) -> None:
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
