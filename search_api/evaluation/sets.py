"""Query sets with relevance judgements: BEIR collections, plain files, and sets made from an
index itself (written questions judged against their answers)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from indexer.store.records import SearchFilters
from search_api.engine.search_index import SearchIndex
from search_api.errors import EvaluationError

Qrels = dict[str, dict[str, int]]  # query id -> {document id: relevance}


@dataclass
class EvalSet:
    """Queries with relevance judgements; `filters` restrict the candidate documents.

    `ignore_identical_ids`: BEIR's protocol (its and MTEB's evaluators do this): a retrieved
    document whose id is the query's own is dropped before scoring. On sets whose queries are
    drawn from the corpus (Quora, ArguAna) the query's own text would otherwise rank first and
    deflate every measure, so figures could not be set beside published ones.
    """

    name: str
    queries: dict[str, str]
    qrels: Qrels
    filters: SearchFilters = field(default_factory=SearchFilters)
    ignore_identical_ids: bool = True

    def split(self, part: str) -> EvalSet:
        """A deterministic third ("dev") or two thirds ("test") of the queries, by id hash."""
        if part not in ("dev", "test"):
            raise EvaluationError(f"unknown split {part!r}; known: dev, test")
        keep = {q for q in self.queries if (_bucket(q) == 0) == (part == "dev")}
        return EvalSet(f"{self.name}/{part}", {q: t for q, t in self.queries.items() if q in keep},
                       {q: r for q, r in self.qrels.items() if q in keep}, self.filters,
                       self.ignore_identical_ids)


def _bucket(query_id: str) -> int:
    return int(hashlib.sha256(query_id.encode()).hexdigest(), 16) % 3


def load_queries(path: Path) -> dict[str, str]:
    """BEIR queries.jsonl ({"_id", "text"} per line) or a two-column TSV (id, text)."""
    queries = {}
    with open(path, encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                if path.suffix == ".jsonl":
                    item = json.loads(line)
                    queries[str(item["_id"])] = item["text"]
                else:
                    query_id, text = line.rstrip("\n").split("\t", 1)
                    queries[query_id] = text
            except (ValueError, KeyError) as exc:
                raise EvaluationError(f"{path}:{line_no}: not a query: {exc}") from exc
    return queries


def load_qrels(path: Path) -> Qrels:
    """BEIR qrels TSV (query-id, corpus-id, score; header optional) or TREC qrels."""
    qrels: Qrels = {}
    with open(path, encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            parts = line.split()
            if not parts or (line_no == 1 and parts[0] == "query-id"):
                continue
            if len(parts) == 4:  # TREC: qid iteration docid relevance
                parts = [parts[0], parts[2], parts[3]]
            try:
                query_id, doc_id, relevance = parts[0], parts[1], int(parts[2])
            except (IndexError, ValueError) as exc:
                raise EvaluationError(f"{path}:{line_no}: not a judgement") from exc
            qrels.setdefault(query_id, {})[doc_id] = relevance
    return qrels


def beir_set(folder: Path, split: str = "test") -> EvalSet:
    """A BEIR collection's queries and qrels (judged queries only)."""
    qrels = load_qrels(folder / "qrels" / f"{split}.tsv")
    queries = {q: t for q, t in load_queries(folder / "queries.jsonl").items() if q in qrels}
    return EvalSet(folder.name, queries, qrels)


def query_set(queries_path: Path, qrels_path: Path) -> EvalSet:
    """Queries (jsonl or TSV) with their judgements (BEIR TSV or TREC qrels), judged ones only,
    named after the queries file."""
    qrels = load_qrels(qrels_path)
    queries = {q: t for q, t in load_queries(queries_path).items() if q in qrels}
    return EvalSet(queries_path.stem, queries, qrels)


def written_answers_set(index: SearchIndex) -> EvalSet:
    """UK Commons written questions, each judged against the reply in its section.

    Query = a written question's text; relevant = the answers in the same debate section
    (several questions can share one reply). The candidates are Commons written answers.
    """
    candidates = SearchFilters(kind="answer", house="House of Commons")
    answers: dict[str, list[str]] = {}
    for answer in index.store.records(candidates):
        answers.setdefault(answer.debate.id, []).append(answer.id)
    queries: dict[str, str] = {}
    qrels: Qrels = {}
    for question in index.store.records(SearchFilters(kind="question", house="House of Commons")):
        for answer_id in answers.get(question.debate.id, []):
            queries[question.id] = question.text
            qrels.setdefault(question.id, {})[answer_id] = 1
    return EvalSet("uk-written-answers", queries, qrels, candidates)
