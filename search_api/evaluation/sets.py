"""Query sets with relevance judgements: BEIR collections, plain files, and sets made from an
index itself (written questions judged against their answers)."""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
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
    # Sitting date of each query, where the set is made from a record: such a set is split by
    # day, so that what is tuned or trained on dev days never saw a test day.
    dates: dict[str, str] = field(default_factory=dict)

    def split(self, part: str) -> EvalSet:
        """The "dev" or "test" queries: with dates, dev is the first sitting day and test the
        others; without, dev is a deterministic third of the queries (by id hash)."""
        if part not in ("dev", "test"):
            raise EvaluationError(f"unknown split {part!r}; known: dev, test")
        if self.dates:
            first = min(self.dates.values())
            keep = {q for q in self.queries if (self.dates[q] == first) == (part == "dev")}
        else:
            keep = {q for q in self.queries if (_bucket(q) == 0) == (part == "dev")}

        def kept(values: dict) -> dict:
            return {q: v for q, v in values.items() if q in keep}

        return EvalSet(f"{self.name}/{part}", kept(self.queries), kept(self.qrels), self.filters,
                       self.ignore_identical_ids, kept(self.dates))

    def days(self) -> list[str]:
        """The sitting days its queries come from."""
        return sorted(set(self.dates.values()))


def _bucket(query_id: str) -> int:
    return int(hashlib.sha256(query_id.encode()).hexdigest(), 16) % 3


def load_queries(path: Path) -> dict[str, str]:
    """Queries by id, in the file's order, from BEIR's queries.jsonl ({"_id", "text"} a line),
    a two-column TSV (id, text) or TREC topics (`<top> <num> Number: 301 <title> ... </top>`,
    the title being the query, as Pyserini's `--topics` reads them). EvaluationError names the
    line that is not a query: an empty line, a query without text, an id given twice."""
    with open(path, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    first = next((line.strip() for line in lines if line.strip()), "")
    if first.lower().startswith("<top>"):
        return _trec_topics(path, lines)
    jsonl = path.suffix == ".jsonl" or first.startswith("{")
    expected = 'a JSON object with "_id" and "text"' if jsonl else "id<TAB>text"
    queries: dict[str, str] = {}
    seen: dict[str, int] = {}
    for line_no, line in enumerate(lines, start=1):
        where = f"{path}:{line_no}"
        if not line.strip():
            raise EvaluationError(f"{where}: an empty line; each line is one query "
                                  f"({expected})")
        try:
            if jsonl:
                item = json.loads(line)
                query_id, text = str(item["_id"]), item["text"]
                if not isinstance(text, str):
                    raise ValueError(f"text is {type(text).__name__}, not a string")
            else:
                query_id, text = line.split("\t", 1)
        except (ValueError, KeyError, TypeError) as exc:
            raise EvaluationError(f"{where}: not a query ({expected}): {exc}") from exc
        _add_query(queries, seen, query_id.strip(), text, where, line_no)
    return queries


def _add_query(queries: dict[str, str], seen: dict[str, int], query_id: str, text: str,
               where: str, line_no: int) -> None:
    if not query_id:
        raise EvaluationError(f"{where}: a query without an id")
    if query_id in seen:
        raise EvaluationError(f"{where}: query id {query_id!r} again (first on line "
                              f"{seen[query_id]})")
    if not text.strip():
        raise EvaluationError(f"{where}: query {query_id!r} has no text")
    queries[query_id], seen[query_id] = text.strip(), line_no


def _trec_topics(path: Path, lines: list[str]) -> dict[str, str]:
    """TREC topics: each `<top>` ... `</top>` one query, its `<num>` the id and its `<title>`
    (which may run over several lines, up to the next tag) the text. Not XML (the tags are
    not closed), so read line by line, as trec_eval's tools and Pyserini do."""
    queries: dict[str, str] = {}
    seen: dict[str, int] = {}
    opened: int | None = None  # the line of the open topic's <top>
    number = title = None
    field = None  # the tag whose text a line without one continues
    for line_no, line in enumerate(lines, start=1):
        where, text = f"{path}:{line_no}", line.strip()
        tag, _, rest = text.partition(">") if text.startswith("<") else ("", "", text)
        tag = tag.lower() + ">" if tag else ""
        if tag == "<top>":
            if opened is not None:
                raise EvaluationError(f"{where}: <top> inside the topic opened on line {opened}"
                                      "; close it with </top> first")
            opened, number, title, field = line_no, None, None, None
            continue
        if opened is None:
            if text:
                raise EvaluationError(f"{where}: {text[:40]!r} outside a <top> ... </top> topic")
            continue
        if tag == "</top>":
            if number is None or not (title or "").strip():
                missing = "<num>" if number is None else "<title>"
                raise EvaluationError(f"{where}: the topic opened on line {opened} has no "
                                      f"{missing}")
            _add_query(queries, seen, number, title or "", f"{path}:{opened}", opened)
            opened = None
        elif tag == "<num>":
            number = rest.strip().removeprefix("Number:").strip()
            if not number:
                raise EvaluationError(f"{where}: <num> without a topic number")
            field = None
        elif tag == "<title>":
            title, field = rest.strip().removeprefix("Topic:").strip(), "title"
        elif tag:
            field = None  # <desc>, <narr> and others: not the query
        elif field == "title" and text:
            title = f"{title} {text}".strip()
    if opened is not None:
        raise EvaluationError(f"{path}:{opened}: the topic opened here has no </top>")
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
    Queries carry their day: the set splits by day, like the debates set, so that a model
    tuned on the first day (search_api/evaluation/tuning.py) never saw a test question.
    """
    candidates = SearchFilters(kind="answer", house="House of Commons")
    answers: dict[str, list[str]] = {}
    for answer in index.records(candidates):
        answers.setdefault(answer.debate.id, []).append(answer.id)
    queries: dict[str, str] = {}
    qrels: Qrels = {}
    dates: dict[str, str] = {}
    for question in index.records(SearchFilters(kind="question", house="House of Commons")):
        for answer_id in answers.get(question.debate.id, []):
            queries[question.id] = question.text
            qrels.setdefault(question.id, {})[answer_id] = 1
            dates[question.id] = question.date
    return EvalSet("uk-written-answers", queries, qrels, candidates, dates=dates)


# Debate headings that name a procedure, not a subject: no use as a topical query.
PROCEDURAL_TITLE = re.compile(
    r"^(topical questions|oral answers|business|points? of order|clause|new clause|schedule|"
    r"amendment|orders of the day|delegated legislation|petition|deferred division|"
    r"prayers|speaker's statement|adjournment|sittings of the house|"
    r"business before questions|preamble|title)\b", re.IGNORECASE)
DEBATE_HOUSES = ("House of Commons", "Westminster Hall")
# Questions that name no subject ("If he will make a statement on his departmental
# responsibilities", the Prime Minister's engagements): their replies range over anything.
OPEN_QUESTION = re.compile(r"departmental responsibilities|official engagements", re.IGNORECASE)
MIN_SPEECH_CHARS = 200  # shorter speeches ("Will he give way?") say little about the subject


def debates_set(index: SearchIndex) -> EvalSet:
    """UK Commons and Westminster Hall debate speech, judged by the record's own structure.

    Two kinds of query, both from the record and neither written-question text:
    - an oral question (the opening of a Commons question section, linked to its reply by
      indexer/text/qa_links.py): the minister's reply is relevance 2; the section's other
      ministerial speeches of MIN_SPEECH_CHARS or more (answers to supplementaries on the same
      question) are 1. The question's own record is a candidate, dropped by BEIR's protocol.
      Questions that name no subject (OPEN_QUESTION) are left out.
    - a debate's subject title (its minor heading, else its major one; procedural headings
      such as "Clause 3" or "Topical Questions" left out) with three or more speeches of
      MIN_SPEECH_CHARS: the speech that opens the debate, stating its subject, is 2; the
      debate's other such speeches are 1.
    The candidates are the UK Parliament's speeches (Lords and committee speeches too: they
    compete, unjudged). Queries carry their sitting day: the set splits by day.
    """
    candidates = SearchFilters(kind="speech", parliament="UK Parliament")
    sections: dict[str, list] = defaultdict(list)
    for house in DEBATE_HOUSES:
        for record in index.records(SearchFilters(kind="speech", house=house)):
            sections[record.debate.id].append(record)
    queries: dict[str, str] = {}
    qrels: Qrels = {}
    dates: dict[str, str] = {}
    links = index.question_answer_links(r.id for s in sections.values() for r in s)
    replies = defaultdict(list)
    for question_id, answer_id in links:
        replies[question_id].append(answer_id)
    for records in sections.values():
        records.sort(key=lambda r: r.debate.position)
        for question in records:
            if question.id not in replies or OPEN_QUESTION.search(question.text):
                continue
            judged = {r.id: 1 for r in records if r.speaker.office and not r.speaker.chair
                      and r.id != question.id and len(r.text) >= MIN_SPEECH_CHARS}
            judged.update(dict.fromkeys(replies[question.id], 2))
            queries[question.id] = question.text
            qrels[question.id] = judged
            dates[question.id] = question.date
        speeches = [r for r in records if len(r.text) >= MIN_SPEECH_CHARS]
        title = records[0].debate.minor_heading or records[0].debate.major_heading or ""
        if len(speeches) < 3 or not title.strip() or PROCEDURAL_TITLE.match(title.strip()):
            continue
        query_id = f"title:{records[0].debate.id}"
        queries[query_id] = title.strip()
        qrels[query_id] = {r.id: 2 if i == 0 else 1 for i, r in enumerate(speeches)}
        dates[query_id] = records[0].date
    return EvalSet("uk-debates", queries, qrels, candidates, dates=dates)


# Sets made from an index itself, by the name `debate-search eval --set` takes.
NAMED_SETS = {"uk-written-answers": written_answers_set, "uk-debates": debates_set}
