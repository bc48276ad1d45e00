"""Runs and their scores: retrieval configurations run over a query set, measured, compared.

Metrics come from ir-measures (on pytrec-eval-terrier, trec_eval's engine); none are computed
here. A query that retrieves nothing counts as 0 for every measure (trec_eval itself would
skip it and report a higher mean).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ir_measures
from ir_measures import AP, RR, R, nDCG
from scipy import stats
from tqdm import tqdm

from search_api.engine.batch import embed_queries
from search_api.engine.ranking import RetrievalConfig, searched_text
from search_api.engine.search_index import SearchIndex
from search_api.errors import EvaluationError, InvalidRequest
from search_api.evaluation.sets import EvalSet, Qrels

MEASURES = {"nDCG@10": nDCG @ 10, "MRR@10": RR @ 10, "R@10": R @ 10, "R@100": R @ 100,
            "MAP": AP}
PRIMARY = "nDCG@10"
RUN_DEPTH = 100

Run = dict[str, dict[str, float]]  # query id -> {document id: score}


def parse_config(spec: str) -> tuple[str, RetrievalConfig]:
    """A named configuration from "name" (a preset) or "name:key=value,key=value".

    Presets: dense, keyword, hybrid (the default pipeline), rrf, plain-hybrid. Keys:
    RetrievalConfig's fields (mode, fusion, dense_weight, rrf_k, candidates, strip_framing,
    feedback_docs, feedback_weight, ...).
    """
    name, _, settings = spec.partition(":")
    base = PRESETS.get(name, RetrievalConfig())
    if not settings:
        if name not in PRESETS:
            raise EvaluationError(f"unknown preset {name!r}; known: {', '.join(PRESETS)} "
                                  "(or give name:key=value,...)")
        return name, base
    # Field name -> its value, parsed to the type the field names; which field is a run-time
    # string, so no static type relates a key to its value's type.
    values: dict[str, Any] = {}
    types = {f.name: f.type for f in dataclasses.fields(RetrievalConfig)}
    for item in settings.split(","):
        key, _, value = item.partition("=")
        if key not in types:
            raise EvaluationError(f"unknown setting {key!r}; known: {', '.join(types)}")
        kind = str(types[key])
        if kind == "bool":
            values[key] = value.strip().lower() in ("1", "true", "yes", "on")
            continue
        try:
            values[key] = {"float": float, "int": int}.get(kind, str)(value)
        except ValueError:
            raise EvaluationError(f"{spec}: {key} takes a {kind}, not {value!r}") from None
    try:
        return name, dataclasses.replace(base, **values)
    except InvalidRequest as exc:  # a value RetrievalConfig refuses
        raise EvaluationError(f"{spec}: {exc}") from exc


PRESETS = {
    "dense": RetrievalConfig(mode="dense"),
    "keyword": RetrievalConfig(mode="keyword"),
    "hybrid": RetrievalConfig(),
    "rrf": RetrievalConfig(mode="hybrid", fusion="rrf"),
    # The default before question framing was stripped and feedback added (README).
    "plain-hybrid": RetrievalConfig(strip_framing=False, feedback_docs=0),
}


def run_queries(index: SearchIndex, evalset: EvalSet, config: RetrievalConfig,
                *, progress: bool = True, depth: int = RUN_DEPTH) -> Run:
    """The top `depth` documents of every query under `config` (not the query's own id,
    one more being fetched in its place, where the set follows BEIR's protocol)."""
    ids, texts = list(evalset.queries), list(evalset.queries.values())
    # Embedded together, each exactly as one search embeds it (engine/batch.py).
    vectors = (embed_queries(index.embedder, [searched_text(t, config) for t in texts])
               if config.mode != "keyword" else [None] * len(ids))
    skip_own = evalset.ignore_identical_ids
    run: Run = {}
    for query_id, text, vector in tqdm(zip(ids, texts, vectors, strict=True), total=len(ids),
                                       desc=f"{evalset.name}", unit="query",
                                       disable=not progress):
        ranked = index.rank(text, depth + skip_own, evalset.filters, config, vector)
        run[query_id] = dict([(doc, score) for doc, score in ranked
                              if not (skip_own and doc == query_id)][:depth])
    return run


def load_run(path: Path) -> Run:
    """A TREC run (`qid Q0 docid rank score tag` a line, trec_eval's format; ours, written by
    `search --queries` or `eval --out`, or another system's). As trec_eval does, the score
    orders a query's documents, not the rank. EvaluationError names a line that is not one."""
    run: Run = {}
    lines: dict[tuple[str, str], int] = {}
    with open(path, encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            parts = line.split()
            if not parts:
                continue
            where = f"{path}:{line_no}"
            if len(parts) != 6:
                raise EvaluationError(f"{where}: {len(parts)} columns, not a line of a TREC run "
                                      "(qid Q0 docid rank score tag)")
            query_id, _, doc_id, _, score, _ = parts
            try:
                value = float(score)
            except ValueError:
                raise EvaluationError(f"{where}: score {score!r} is not a number") from None
            if (query_id, doc_id) in lines:
                raise EvaluationError(f"{where}: {doc_id} again for query {query_id} (first on "
                                      f"line {lines[query_id, doc_id]})")
            lines[query_id, doc_id] = line_no
            run.setdefault(query_id, {})[doc_id] = value
    return run


def trec_lines(query_id: str, ranked: Sequence[tuple[str, float]], tag: str,
               first_rank: int = 1) -> list[str]:
    """A query's documents, best first, as the lines of a TREC run."""
    return [f"{query_id} Q0 {doc_id} {rank} {score:.6f} {tag}\n"
            for rank, (doc_id, score) in enumerate(ranked, start=first_rank)]


def score_run(run: Run, qrels: Qrels) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """(mean of each measure over all judged queries, per-query values)."""
    measures = list(MEASURES.values())
    names = {m: name for name, m in MEASURES.items()}
    per_query: dict[str, dict[str, float]] = {q: dict.fromkeys(MEASURES, 0.0) for q in qrels}
    for metric in ir_measures.iter_calc(measures, qrels, run):
        if metric.query_id in per_query:
            per_query[metric.query_id][names[metric.measure]] = metric.value
    n = len(per_query) or 1
    means = {name: sum(values[name] for values in per_query.values()) / n for name in MEASURES}
    return means, per_query


@dataclass
class ConfigResult:
    name: str
    config: RetrievalConfig | None  # None: a run read from a file
    means: dict[str, float]
    per_query: dict[str, dict[str, float]]
    run: Run
    p_value: float | None = None  # paired t-test on nDCG@10 against the baseline
    improved: int = 0  # queries whose nDCG@10 rose against the baseline
    worsened: int = 0


def compare(index: SearchIndex, evalset: EvalSet, configs: Mapping[str, RetrievalConfig],
            *, progress: bool = True) -> list[ConfigResult]:
    """Every config run and scored; the first is the baseline the others are tested against."""
    return compare_pipelines(evalset, {name: (index, config) for name, config in configs.items()},
                             progress=progress)


def compare_pipelines(evalset: EvalSet,
                      pipelines: Mapping[str, tuple[SearchIndex, RetrievalConfig]],
                      *, progress: bool = True) -> list[ConfigResult]:
    """`compare` where each config searches an index of its own (the same records embedded
    by another model, say); the first is the baseline."""
    return _compared(evalset, [(name, config, run_queries(index, evalset, config,
                                                          progress=progress))
                               for name, (index, config) in pipelines.items()])


def compare_runs(evalset: EvalSet, named_runs: Mapping[str, Run]) -> list[ConfigResult]:
    """`compare` of runs already made (TREC run files: ours, or another system's), scored as
    our own are: a document with the query's own id dropped where the set says so (BEIR's
    protocol), each query's best RUN_DEPTH kept (a deeper run would gain MAP and R@100 from
    depth alone); the first is the baseline."""
    skip_own = evalset.ignore_identical_ids
    return _compared(evalset, [(name, None, {
        query_id: dict(sorted(((doc, score) for doc, score in docs.items()
                               if not (skip_own and doc == query_id)),
                              key=lambda item: -item[1])[:RUN_DEPTH])
        for query_id, docs in run.items()}) for name, run in named_runs.items()])


def _compared(evalset: EvalSet, runs: Sequence[tuple[str, RetrievalConfig | None, Run]]
              ) -> list[ConfigResult]:
    """The runs scored, each tested against the first."""
    results = []
    for name, config, run in runs:
        means, per_query = score_run(run, evalset.qrels)
        results.append(ConfigResult(name, config, means, per_query, run))
    baseline = results[0]
    for result in results[1:]:
        ours = [result.per_query[q][PRIMARY] for q in evalset.qrels]
        base = [baseline.per_query[q][PRIMARY] for q in evalset.qrels]
        result.improved = sum(o > b for o, b in zip(ours, base, strict=True))
        result.worsened = sum(o < b for o, b in zip(ours, base, strict=True))
        if result.improved or result.worsened:
            result.p_value = float(stats.ttest_rel(ours, base).pvalue)
    return results


def tune(index: SearchIndex, dev: EvalSet, candidates: Mapping[str, RetrievalConfig],
         *, progress: bool = True) -> tuple[str, RetrievalConfig]:
    """The candidate with the best nDCG@10 on `dev`."""
    scored = compare(index, dev, candidates, progress=progress)
    best = max(scored, key=lambda r: r.means[PRIMARY])
    return best.name, candidates[best.name]


def format_table(evalset: EvalSet, results: Sequence[ConfigResult],
                 extra: Callable[[ConfigResult], str] | None = None,
                 extra_title: str = "") -> str:
    """A plain-text side-by-side table, the first row being the baseline; `extra` adds a
    last column (titled `extra_title`)."""
    width = max([28] + [len(r.name) + 2 for r in results])
    head = f"{'config':<{width}}" + "".join(f"{m:>9}" for m in MEASURES) + f"{'p':>9}{'+/-':>10}"
    if extra_title:
        head += f"  {extra_title}"
    protocol = ("a document with the query's own id is not counted (BEIR's protocol)"
                if evalset.ignore_identical_ids else "a document with the query's own id counts")
    lines = [f"{evalset.name}: {len(evalset.qrels)} queries; {protocol}", head, "-" * len(head)]
    for r in results:
        p = f"{r.p_value:.3g}" if r.p_value is not None else "-"
        delta = f"{r.improved}/{r.worsened}" if r is not results[0] else "baseline"
        line = f"{r.name:<{width}}" + "".join(f"{r.means[m]:>9.4f}" for m in MEASURES)
        lines.append(line + f"{p:>9}{delta:>10}" + (f"  {extra(r)}" if extra else ""))
    return "\n".join(lines)


def write_outputs(folder: Path, evalset: EvalSet, results: Sequence[ConfigResult]) -> None:
    """TREC run files, per-query JSON and the metrics table as JSON, one set per config."""
    folder.mkdir(parents=True, exist_ok=True)
    slug = evalset.name.replace("/", "-")
    for r in results:
        with open(folder / f"{slug}.{r.name}.run", "w") as handle:
            for query_id, docs in r.run.items():
                ranked = sorted(docs.items(), key=lambda item: -item[1])
                handle.writelines(trec_lines(query_id, ranked, r.name))
        (folder / f"{slug}.{r.name}.per-query.json").write_text(json.dumps(r.per_query, indent=1))
    summary = [{"config": r.name, "ignore_identical_ids": evalset.ignore_identical_ids,
                "settings": dataclasses.asdict(r.config) if r.config else None,
                "metrics": r.means,
                "p_value": r.p_value, "improved": r.improved, "worsened": r.worsened}
               for r in results]
    (folder / f"{slug}.metrics.json").write_text(json.dumps(summary, indent=2))
