"""Batch evaluation: sets, runs, metrics equal to trec_eval's, comparisons, the CLI.

The sets are drawn from the Commons records of the small index (the tiny one holds none), or
built from SciFact: those tests are slow."""

from __future__ import annotations

import dataclasses
import json

import pytest
import pytrec_eval
from click.testing import CliRunner
from data_paths import SCIFACT

from bench import paired
from indexer.pipeline.build import build_index
from indexer.sources import resolve_inputs
from indexer.store.records import SearchFilters
from indexer.text.chunking import ChunkingParams
from search_api.engine.ranking import RetrievalConfig
from search_api.engine.search_index import SearchIndex
from search_api.errors import EvaluationError
from search_api.evaluation import runs, sets
from search_api.interfaces.cli import main


@pytest.fixture(scope="module")
def answers_set(small_index):
    return sets.written_answers_set(small_index)


@pytest.mark.slow
def test_written_answers_set_pairs_questions_with_their_replies(answers_set, small_index):
    assert len(answers_set.queries) > 400  # the Commons written questions of 26 October 2009
    assert answers_set.queries.keys() == answers_set.qrels.keys()
    for question_id, relevant in list(answers_set.qrels.items())[:200]:
        question = small_index.contribution(question_id)
        assert question.kind == "question" and question.house == "House of Commons"
        for answer_id in relevant:
            answer = small_index.contribution(answer_id)
            assert answer.kind == "answer"
            assert answer.debate.id == question.debate.id
    # Several questions can share one reply.
    replies = [a for rel in answers_set.qrels.values() for a in rel]
    assert len(set(replies)) < len(replies)
    # Each question carries its day, so the set splits by day (one here: all dev).
    assert answers_set.dates == dict.fromkeys(answers_set.queries, "2009-10-26")
    assert answers_set.split("dev").queries == answers_set.queries


@pytest.mark.slow
def test_debates_set_judges_speeches_by_the_records_structure(small_index):
    debates = sets.debates_set(small_index)
    titles = {q: t for q, t in debates.queries.items() if q.startswith("title:")}
    oral = {q: t for q, t in debates.queries.items() if not q.startswith("title:")}
    assert len(oral) >= 10 and len(titles) >= 10  # 26 October 2009's Commons
    assert "Tasers" in titles.values()
    assert not {"Topical Questions", "Business of the House"} & set(titles.values())
    replies = dict(small_index.question_answer_links(oral))
    for question_id, text in oral.items():
        question = small_index.contribution(question_id)
        assert (question.kind, question.house, question.text) == ("speech", "House of Commons",
                                                                  text)
        assert "departmental responsibilities" not in text
        judged = debates.qrels[question_id]
        assert judged[replies[question_id]] == 2 and question_id not in judged
        for doc_id, grade in judged.items():
            doc = small_index.contribution(doc_id)
            assert doc.debate.id == question.debate.id and doc.kind == "speech"
            assert grade == 2 or doc.speaker.office  # 1: the section's other ministers
    for query_id in titles:
        judged = debates.qrels[query_id]
        assert len(judged) >= 3 and list(judged.values()).count(2) == 1
        docs = [small_index.contribution(d) for d in judged]
        assert {d.debate.id for d in docs} == {query_id.removeprefix("title:")}
        opening = min(docs, key=lambda d: d.debate.position)
        assert judged[opening.id] == 2
    assert set(debates.dates.values()) == {"2009-10-26"}
    assert debates.filters == SearchFilters(kind="speech", parliament="UK Parliament")


def test_a_set_from_the_record_splits_by_sitting_day():
    days = {"q1": "2009-10-27", "q2": "2009-10-26", "q3": "2009-10-28", "q4": "2009-10-26"}
    evalset = sets.EvalSet("days", {q: q for q in days}, {q: {"d": 1} for q in days},
                           dates=days)
    dev, test = evalset.split("dev"), evalset.split("test")
    assert set(dev.queries) == {"q2", "q4"} and dev.days() == ["2009-10-26"]
    assert set(test.queries) == {"q1", "q3"} and test.days() == ["2009-10-27", "2009-10-28"]
    assert set(test.qrels) == set(test.queries) and test.dates == {q: days[q] for q in test.queries}


@pytest.mark.slow
def test_metrics_equal_trec_eval_including_empty_queries(answers_set, small_index):
    subset = sets.EvalSet("subset", dict(list(answers_set.queries.items())[:60]),
                                {q: answers_set.qrels[q] for q in list(answers_set.queries)[:60]},
                                answers_set.filters)
    run = runs.run_queries(small_index, subset, RetrievalConfig(mode="dense"),
                                 progress=False)
    for query_id in list(run)[:7]:
        run[query_id] = {}  # queries that retrieve nothing
    ours, _ = runs.score_run(run, subset.qrels)

    evaluator = pytrec_eval.RelevanceEvaluator(
        subset.qrels, {"ndcg_cut_10", "recall_10", "recall_100", "map"})
    top10 = {q: dict(sorted(docs.items(), key=lambda d: -d[1])[:10]) for q, docs in run.items()}
    rr = pytrec_eval.RelevanceEvaluator(subset.qrels, {"recip_rank"}).evaluate(
        {q: d for q, d in top10.items() if d})
    theirs = evaluator.evaluate({q: d for q, d in run.items() if d})
    n = len(subset.qrels)  # trec_eval skips empty queries; we count them as 0

    def mean(values, key):
        return sum(v[key] for v in values.values()) / n

    expected = {"nDCG@10": mean(theirs, "ndcg_cut_10"), "R@10": mean(theirs, "recall_10"),
                "R@100": mean(theirs, "recall_100"), "MAP": mean(theirs, "map"),
                "MRR@10": mean(rr, "recip_rank")}
    for name, value in expected.items():
        assert ours[name] == pytest.approx(value, abs=1e-6), name
    assert ours["nDCG@10"] > 0.3  # and the numbers mean something: retrieval works


@pytest.mark.slow
def test_compare_counts_improvements_against_the_baseline(answers_set, small_index):
    subset = dataclasses.replace(answers_set, dates={}).split("dev")
    results = runs.compare(small_index, subset, {
        "keyword": RetrievalConfig(mode="keyword"), "hybrid": RetrievalConfig(mode="hybrid")},
        progress=False)
    base, other = results
    assert base.p_value is None and other.p_value is not None
    ours = [other.per_query[q]["nDCG@10"] for q in subset.qrels]
    theirs = [base.per_query[q]["nDCG@10"] for q in subset.qrels]
    assert other.improved == sum(o > b for o, b in zip(ours, theirs, strict=True))
    assert other.worsened == sum(o < b for o, b in zip(ours, theirs, strict=True))
    table = runs.format_table(subset, results)
    assert "baseline" in table and "nDCG@10" in table


@pytest.mark.slow
def test_undated_splits_are_disjoint_and_deterministic(answers_set):
    """A set without days (a BEIR collection) splits by a hash of the query id."""
    undated = dataclasses.replace(answers_set, dates={})
    dev, test = undated.split("dev"), undated.split("test")
    assert not dev.queries.keys() & test.queries.keys()
    assert dev.queries.keys() | test.queries.keys() == undated.queries.keys()
    assert undated.split("dev").queries == dev.queries
    assert 0.25 < len(dev.queries) / len(undated.queries) < 0.42


def test_config_specs():
    assert runs.parse_config("dense") == ("dense", RetrievalConfig(mode="dense"))
    name, config = runs.parse_config("w7:mode=hybrid,dense_weight=0.7,candidates=50")
    assert (name, config.dense_weight, config.candidates) == ("w7", 0.7, 50)
    with pytest.raises(EvaluationError, match="known: mode, fusion"):
        runs.parse_config("x:weight=1")
    with pytest.raises(EvaluationError, match="unknown preset"):
        runs.parse_config("nonsense")
    with pytest.raises(EvaluationError, match="unknown mode"):
        runs.parse_config("x:mode=semantic")


def test_qrels_and_queries_formats(tmp_path):
    (tmp_path / "q.tsv").write_text("q1\tpolice tasers\nq2\trail travel\n")
    (tmp_path / "beir.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t2\n")
    (tmp_path / "trec.txt").write_text("q1 0 d1 1\nq2 0 d2 2\n")
    assert sets.load_queries(tmp_path / "q.tsv") == {"q1": "police tasers",
                                                           "q2": "rail travel"}
    expected = {"q1": {"d1": 1}, "q2": {"d2": 2}}
    assert sets.load_qrels(tmp_path / "beir.tsv") == expected
    assert sets.load_qrels(tmp_path / "trec.txt") == expected
    (tmp_path / "bad.tsv").write_text("q1 d1 relevant\n")
    with pytest.raises(EvaluationError, match="bad.tsv:1"):
        sets.load_qrels(tmp_path / "bad.tsv")


@pytest.fixture(scope="module")
def scifact_sample(tmp_path_factory):
    """A real slice of SciFact in BEIR layout: 40 judged claims and a corpus around them."""
    qrels = sets.load_qrels(SCIFACT / "qrels" / "test.tsv")
    chosen = dict(list(qrels.items())[:40])
    wanted = {d for rel in chosen.values() for d in rel}
    folder = tmp_path_factory.mktemp("scifact-sample")
    lines = (SCIFACT / "corpus.jsonl").read_text().splitlines()
    keep = [line for line in lines if json.loads(line)["_id"] in wanted] + lines[:150]
    (folder / "corpus.jsonl").write_text("\n".join(dict.fromkeys(keep)) + "\n")
    queries = [line for line in (SCIFACT / "queries.jsonl").read_text().splitlines()
               if json.loads(line)["_id"] in chosen]
    (folder / "queries.jsonl").write_text("\n".join(queries) + "\n")
    (folder / "qrels").mkdir()
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + "".join(
        f"{q}\t{d}\t{r}\n" for q, rel in chosen.items() for d, r in rel.items()))
    return folder


@pytest.mark.slow
def test_beir_collection_indexes_and_evaluates(scifact_sample, tmp_path, embedder):
    inputs = resolve_inputs([scifact_sample], tmp_path / "cache", progress=False)
    assert inputs[0].format == "beir-jsonl"
    build_index(inputs, tmp_path / "index", embedder, ChunkingParams(context=True),
                progress=False)
    index = SearchIndex(tmp_path / "index", embedder=embedder)
    evalset = sets.beir_set(scifact_sample)
    assert len(evalset.queries) == 40
    [result] = runs.compare(index, evalset, {"hybrid": RetrievalConfig()}, progress=False)
    assert result.means["R@100"] > 0.9  # a small corpus: nearly everything is found
    assert result.means["nDCG@10"] > 0.6


@pytest.mark.slow
def test_eval_command_writes_runs_and_metrics(small_index_dir, tmp_path):
    runner = CliRunner()
    out = tmp_path / "eval"
    result = runner.invoke(main, ["eval", "--index", str(small_index_dir), "--set",
                                  "uk-written-answers", "--split", "dev", "--config", "dense",
                                  "--config", "hybrid", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "uk-written-answers/dev" in result.output and "baseline" in result.output
    run_lines = (out / "uk-written-answers-dev.hybrid.run").read_text().splitlines()
    qid, q0, doc, rank, score, tag = run_lines[0].split()
    assert (q0, rank, tag) == ("Q0", "1", "hybrid") and doc.startswith("uk.org.publicwhip/")
    metrics = json.loads((out / "uk-written-answers-dev.metrics.json").read_text())
    assert [m["config"] for m in metrics] == ["dense", "hybrid"]
    assert set(metrics[0]["metrics"]) == set(runs.MEASURES)


@pytest.fixture(scope="module")
def self_retrieval_set(tmp_path_factory, embedder):
    """A BEIR set whose queries are drawn from its corpus, as Quora's are: 8 real SciFact
    abstracts asked as queries under their own ids, each judged against a document holding
    the second half of the same abstract."""
    folder = tmp_path_factory.mktemp("self-retrieval")
    docs = [json.loads(line) for line in
            (SCIFACT / "corpus.jsonl").read_text().splitlines()[:22]]
    asked = docs[:8]
    halves = [{"_id": f"{d['_id']}-b", "title": "", "text": d["text"][len(d["text"]) // 2:]}
              for d in asked]
    (folder / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs + halves))
    (folder / "queries.jsonl").write_text("".join(
        json.dumps({"_id": d["_id"], "text": d["text"][:400]}) + "\n" for d in asked))
    (folder / "qrels").mkdir()
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + "".join(
        f"{d['_id']}\t{d['_id']}-b\t1\n" for d in asked))
    inputs = resolve_inputs([folder], folder / "cache", progress=False)
    build_index(inputs, folder / "index", embedder, ChunkingParams(context=True),
                progress=False)
    return folder


@pytest.mark.slow
def test_beir_protocol_drops_the_querys_own_document_unless_asked(self_retrieval_set):
    folder = self_retrieval_set
    outputs, per_query = {}, {}
    for name, flags in (("protocol", []), ("kept", ["--keep-identical-ids"])):
        result = CliRunner().invoke(main, [
            "eval", "--index", str(folder / "index"), "--beir", str(folder),
            "--config", "dense", "--out", str(folder / name), *flags])
        assert result.exit_code == 0, result.output
        outputs[name] = result.output
        runs_of = {}
        for line in (folder / name / f"{folder.name}.dense.run").read_text().splitlines():
            query_id, _, doc, rank, _, _ = line.split()
            runs_of.setdefault(query_id, []).append(doc)
        per_query[name] = json.loads(
            (folder / name / f"{folder.name}.dense.per-query.json").read_text())
        assert len(runs_of) == 8 and all(len(docs) == 29 + (name == "kept")
                                         for docs in runs_of.values())
        if name == "protocol":
            assert all(query_id not in docs for query_id, docs in runs_of.items())
        else:  # the query's own text is its nearest document
            assert sum(docs[0] == query_id for query_id, docs in runs_of.items()) >= 6
    assert "not counted (BEIR's protocol)" in outputs["protocol"]
    assert "own id counts" in outputs["kept"]
    # Dropping a document that is not relevant can only lift a relevant one.
    for query_id, kept in per_query["kept"].items():
        assert per_query["protocol"][query_id]["nDCG@10"] >= kept["nDCG@10"]
    assert (sum(q["nDCG@10"] for q in per_query["protocol"].values())
            > sum(q["nDCG@10"] for q in per_query["kept"].values()))


def test_paired_comparison_flags_a_run_that_lost_more_than_allowed(tmp_path):
    before, after = tmp_path / "before", tmp_path / "after"
    before.mkdir(), after.mkdir()
    old = {"q1": {"nDCG@10": 0.5}, "q2": {"nDCG@10": 1.0}, "q3": {"nDCG@10": 0.0}}
    kept = {"q1": {"nDCG@10": 0.6}, "q2": {"nDCG@10": 1.0}, "q3": {"nDCG@10": 0.0}}
    lost = {"q1": {"nDCG@10": 0.5}, "q2": {"nDCG@10": 0.9}}  # q3 unanswered: counts 0
    for folder, results in ((before, {"uk.hybrid": old, "uk.dense": old}),
                            (after, {"uk.hybrid": kept, "uk.dense": lost})):
        for name, per_query in results.items():
            (folder / f"{name}.per-query.json").write_text(json.dumps(per_query))
    rows = {r["run"]: r for r in paired.compare(before, after)}
    assert rows["uk.hybrid"]["difference"] == pytest.approx(0.1 / 3)
    assert (rows["uk.hybrid"]["rose"], rows["uk.hybrid"]["fell"]) == (1, 0)
    assert rows["uk.dense"]["difference"] == pytest.approx(-0.1 / 3)
    assert paired.main([str(before), str(after)]) == 1
    assert paired.main([str(before), str(after), "--tolerance", "0.05"]) == 0
