"""Answers judged by people: quote precision and the answerable decision on user-style questions.

    python -m bench.quotes [--sets uk ca] [--index DIR]

Two sets of questions as people ask them, each over its own corpus (QUESTION_SETS): the UK
set over the default corpus (its index: the settings', or --index), and the Canadian set
over the House of Commons of Canada corpus (indexed once into var/bench/).

bench/answer_questions.jsonl holds 93 questions put as a journalist or citizen would put
them, over the default corpus (26-29 October 2009): 63 as sentences ("a..", "u..") and 30 as
a few keywords ("s.."). 62 the record answers, each with every contribution found to answer
it and the sentences in it that do (character spans, as the answers quote them: no record
text is copied here); 31 it does not answer (later events, absent topics, near misses), each
checked by keyword searches over the whole corpus. They were judged by reading the record,
not from this system's output.

Measured, with the answers as /answer gives them:
- quote precision: of all quotes given for answerable questions, the share that are judged
  answering sentences (micro), and per question (macro);
- answered: answerable questions with at least one judged quote; from the answer: with at
  least one quote from a judged contribution;
- the decision: precision and recall of "answerable" at ANSWERABLE_THRESHOLD, and the
  threshold these questions would choose (best balanced accuracy, two-fold: fitted on one
  half, reported on the other);
- retrieval: the answerable questions as an evaluation set (every judged contribution
  relevant), the default ranking against the one before it, on the test two thirds (split
  by question id, as a set without days splits) and on all.

bench/answer_questions_ca.jsonl holds 54 more, judged the same way over three sitting days
of the Canadian House of Commons (2014, 2023, 2024): 36 answerable (30 as sentences, 6 as
keywords), 18 not (later events, absent topics, and 10 near misses such as what the clean
fuel rules cost an Alberta family, when only other provinces' figures were given). Nothing
was tuned on them: they check what was tuned on the UK set.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from bench import RESULTS, ROOT, calibration
from bench.report import table, write_json
from search_api.answering.answers import ANSWERABLE_THRESHOLD, answer_question
from search_api.evaluation import runs, sets
from search_api.settings import Settings

QUESTIONS = Path(__file__).parent / "answer_questions.jsonl"


@dataclass(frozen=True)
class QuestionSet:
    name: str
    questions: Path
    corpus: Path | None  # its manifest; None: the default corpus, the settings' index


QUESTION_SETS = {
    "uk": QuestionSet("uk-user-questions", QUESTIONS, None),
    "ca": QuestionSet("ca-user-questions", Path(__file__).parent / "answer_questions_ca.jsonl",
                      ROOT / "corpora" / "ca-house-of-commons-2014-2024.toml"),
}


@dataclass(frozen=True)
class JudgedQuestion:
    id: str
    question: str
    answerable: bool
    sentences: frozenset[tuple[str, int, int]]  # (contribution id, start, end) that answer

    @property
    def contributions(self) -> set[str]:
        return {cid for cid, _, _ in self.sentences}


def load_questions(path: Path = QUESTIONS) -> list[JudgedQuestion]:
    questions = []
    for line in path.read_text().splitlines():
        if line.strip():
            item = json.loads(line)
            questions.append(JudgedQuestion(item["id"], item["question"], item["answerable"],
                                            frozenset((a["contribution"], s, e)
                                                      for a in item["answers"]
                                                      for s, e in a["sentences"])))
    return questions


def retrieval_set(questions: list[JudgedQuestion], name: str = "uk-user-questions"
                  ) -> sets.EvalSet:
    """The answerable questions, each judged against the contributions that answer it."""
    answerable = [q for q in questions if q.answerable]
    return sets.EvalSet(name, {q.id: q.question for q in answerable},
                        {q.id: dict.fromkeys(q.contributions, 1) for q in answerable})


def judge(index, questions: list[JudgedQuestion]) -> dict:
    """Every question answered as /answer does, and its quotes judged."""
    per_question = []
    for q in questions:
        answer = answer_question(index, q.question)
        quotes = [(c.contribution.id, quote.start, quote.end)
                  for c in answer.contributions for quote in c.quotes]
        per_question.append({
            "id": q.id, "answerable": q.answerable, "said_answerable": answer.answerable,
            "top_score": answer.top_score, "quotes": len(quotes),
            "judged_quotes": sum(quote in q.sentences for quote in quotes),
            "from_judged_contributions": sum(cid in q.contributions for cid, _, _ in quotes),
        })
    answered = [r for r in per_question if r["answerable"] and r["quotes"]]
    quoted = sum(r["quotes"] for r in answered)
    scores = {True: [], False: []}
    for r in per_question:
        scores[r["answerable"]].append(r["top_score"] or 0.0)
    return {
        "questions": len(questions),
        "answerable": len(scores[True]), "unanswerable": len(scores[False]),
        "quote_precision": sum(r["judged_quotes"] for r in answered) / quoted if quoted else 0.0,
        "quote_precision_by_question": (sum(r["judged_quotes"] / r["quotes"] for r in answered)
                                        / len(answered) if answered else 0.0),
        "contribution_precision": (sum(r["from_judged_contributions"] for r in answered)
                                   / quoted if quoted else 0.0),
        "answered_with_a_judged_quote": sum(r["judged_quotes"] > 0 for r in answered),
        "answered_from_a_judged_contribution": sum(r["from_judged_contributions"] > 0
                                                   for r in answered),
        "decision": decision(scores[True], scores[False]),
        "per_question": per_question,
    }


def decision(answerable: list[float], unanswerable: list[float]) -> dict:
    """The constant threshold's quality, and a two-fold fitted threshold's."""
    result = {}
    precision, recall, accuracy = calibration.decision_quality(answerable, unanswerable,
                                                               ANSWERABLE_THRESHOLD)
    result["constant"] = {"threshold": ANSWERABLE_THRESHOLD, "precision": precision,
                          "recall": recall, "accuracy": accuracy,
                          "unanswerable_recall": _below(unanswerable, ANSWERABLE_THRESHOLD)}
    folds = []
    for fit, test in ((0, 1), (1, 0)):
        threshold = calibration.best_threshold(answerable[fit::2], unanswerable[fit::2])
        precision, recall, accuracy = calibration.decision_quality(
            answerable[test::2], unanswerable[test::2], threshold)
        folds.append({"threshold": threshold, "precision": precision, "recall": recall,
                      "accuracy": accuracy,
                      "unanswerable_recall": _below(unanswerable[test::2], threshold)})
    result["two_fold"] = folds
    result["fitted_on_all"] = calibration.best_threshold(answerable, unanswerable)
    return result


def _below(scores: list[float], threshold: float) -> float:
    return sum(s < threshold for s in scores) / len(scores) if scores else 0.0


def render(results: dict) -> str:
    quotes = table(
        f"Quotes ({results['answerable']} answerable user-style questions, judged sentences)",
        ["quote precision", "by question", "from judged contributions",
         "answered with a judged quote", "answered from a judged contribution"],
        [[results["quote_precision"], results["quote_precision_by_question"],
          results["contribution_precision"],
          f"{results['answered_with_a_judged_quote']} / {results['answerable']}",
          f"{results['answered_from_a_judged_contribution']} / {results['answerable']}"]])
    d = results["decision"]
    rows = [["constant", d["constant"]["threshold"], d["constant"]["precision"],
             d["constant"]["recall"], d["constant"]["unanswerable_recall"],
             d["constant"]["accuracy"]]]
    rows += [[f"fitted on half {i + 1}, on the other", f["threshold"], f["precision"],
              f["recall"], f["unanswerable_recall"], f["accuracy"]]
             for i, f in enumerate(d["two_fold"])]
    decision_table = table(
        f"Answerable decision ({results['answerable']} answerable, {results['unanswerable']} "
        f"unanswerable user-style questions; fitted on all: {d['fitted_on_all']:.2f})",
        ["", "threshold", "precision", "recall", "unanswerable recall", "accuracy"], rows)
    return quotes + "\n\n" + decision_table


def open_index(question_set: QuestionSet, index_dir: Path | None):
    """The index a set's questions are asked of: the default corpus's (`index_dir`, else the
    settings'), or the set's corpus built into var/bench/ (reused while unchanged)."""
    from bench.quality import WORK, bench_index
    from search_api.engine.search_index import SearchIndex

    settings = Settings()
    if question_set.corpus is None:
        return SearchIndex(index_dir or settings.index_dir, spec=settings.embedder_spec())
    folder = WORK / question_set.corpus.stem
    return bench_index(question_set.corpus, folder, settings.embedder_spec().open())[0]


def run_set(question_set: QuestionSet, index) -> dict:
    """The set's answers judged, and its answerable questions as a retrieval set."""
    questions = load_questions(question_set.questions)
    results = judge(index, questions)
    print(render(results))
    results["retrieval"] = {}
    evalset = retrieval_set(questions, question_set.name)
    for part in (evalset.split("test"), evalset):
        compared = runs.compare(index, part, {name: runs.PRESETS[name]
                                              for name in ("plain-hybrid", "hybrid")})
        print("\n" + runs.format_table(part, compared))
        results["retrieval"][part.name] = {
            r.name: {"metrics": r.means, "p_value": r.p_value, "improved": r.improved,
                     "worsened": r.worsened} for r in compared}
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quotes", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", nargs="+", choices=list(QUESTION_SETS),
                        default=list(QUESTION_SETS))
    parser.add_argument("--index", type=Path, default=None,
                        help="an index of the default corpus, for the UK set "
                             "[default: the settings' index]")
    parser.add_argument("--out", type=Path, default=RESULTS / "quotes.json")
    args = parser.parse_args(argv)
    results = {}
    for key in args.sets:
        question_set = QUESTION_SETS[key]
        print(f"\n== {question_set.name} ({question_set.questions.name})\n")
        results[question_set.name] = run_set(question_set, open_index(question_set, args.index))
    write_json(args.out, results)
    print(f"Written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
