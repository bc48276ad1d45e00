"""Searching in batches (issue 27): `search --queries` (TREC runs, JSON lines), `eval --run`
and POST /search/batch (a batch's weight under load shedding: test_shedding.py).

On the tiny index: its Lords written questions asked as queries under ids of their own,
each judged against the answer printed with it (the record's own link)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from indexer.store.records import SearchFilters
from search_api.engine.checks import query_text
from search_api.engine.ranking import RetrievalConfig
from search_api.errors import EvaluationError
from search_api.evaluation import runs, sets
from search_api.interfaces.cli import main
from search_api.operations.search import MAX_SEARCHES


@pytest.fixture(scope="module")
def questions(tiny_index):
    """(queries, qrels): each written question (cut to the longest query a search takes)
    under the id `qN`, judged against its answer."""
    links = dict(tiny_index.question_answer_links(r.id for r in tiny_index.records(
        SearchFilters(kind="question"))))
    records = tiny_index.records_by_id(links)
    queries = {f"q{n}": query_text(records[question].text)
               for n, question in enumerate(sorted(links), start=1)}
    qrels = {f"q{n}": {links[question]: 1} for n, question in enumerate(sorted(links), start=1)}
    return queries, qrels


@pytest.fixture
def files(tmp_path, questions):
    queries, qrels = questions
    (tmp_path / "queries.tsv").write_text("".join(f"{q}\t{t}\n" for q, t in queries.items()))
    (tmp_path / "qrels.tsv").write_text("query-id\tcorpus-id\tscore\n" + "".join(
        f"{q}\t{d}\t{r}\n" for q, judged in qrels.items() for d, r in judged.items()))
    return tmp_path


def _cli(*args) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def _refused(*args) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code != 0
    return result.output


def test_a_trec_run_of_search_queries_scores_as_eval_does_in_process(
        files, questions, tiny_index, tiny_index_dir):
    queries, qrels = questions
    assert len(queries) >= 20
    _cli("search", "--index", tiny_index_dir, "--queries", files / "queries.tsv", "-k", 100,
         "--literal", "--out", files / "run.trec")
    lines = (files / "run.trec").read_text().splitlines()
    assert lines[0].split()[1::2] == ["Q0", "1", "hybrid"]  # qid Q0 docid rank score tag
    evalset = sets.EvalSet("questions", queries, qrels, ignore_identical_ids=False)
    [in_process] = runs.compare(tiny_index, evalset, {"hybrid": RetrievalConfig()},
                                progress=False)
    means, per_query = runs.score_run(runs.load_run(files / "run.trec"), qrels)
    assert means == in_process.means and per_query == in_process.per_query
    # A real ranking, not an empty one scoring alike (the question itself ranks first).
    assert means["R@100"] == 1.0 and means["MRR@10"] > 0.4


def test_search_queries_reads_jsonl_and_trec_topics(files, questions, tiny_index_dir):
    queries, _ = questions
    some = dict(list(queries.items())[:3])
    (files / "q.jsonl").write_text("".join(json.dumps({"_id": q, "text": t}) + "\n"
                                           for q, t in some.items()))
    (files / "topics.txt").write_text("".join(
        f"<top>\n<num> Number: {q}\n<title> {t}\n\n<desc> Description:\nnot the query\n</top>\n"
        for q, t in some.items()))
    tsv = "".join(f"{q}\t{t}\n" for q, t in some.items())
    (files / "q.tsv").write_text(tsv)
    outputs = [_cli("search", "--index", tiny_index_dir, "--queries", files / name, "-k", 5,
                    "--tag", "mine") for name in ("q.tsv", "q.jsonl", "topics.txt")]
    assert outputs[0] == outputs[1] == outputs[2]
    assert [line.split()[0] for line in outputs[0].splitlines()] == [q for q in some
                                                                     for _ in range(5)]
    assert {line.split()[5] for line in outputs[0].splitlines()} == {"mine"}


@pytest.mark.parametrize(("content", "name", "message"), [
    ("q1\tfirst\n\nq2\tsecond\n", "q.tsv", "q.tsv:2: an empty line"),
    ("q1\tfirst\nq1\tagain\n", "q.tsv", "q.tsv:2: query id 'q1' again (first on line 1)"),
    ("q1\tfirst\nq2 no tab\n", "q.tsv", "q.tsv:2: not a query (id<TAB>text)"),
    ("q1\t  \n", "q.tsv", "q.tsv:1: query 'q1' has no text"),
    ('{"_id": "a", "text": "x"}\n{"_id": "b"}\n', "q.jsonl", "q.jsonl:2: not a query"),
    ('{"_id": "a", "text": "x"}\n{"_id": "a", "text": "y"}\n', "q.jsonl",
     "q.jsonl:2: query id 'a' again"),
    ("<top>\n<num> Number: 1\n<title> x\n</top>\n<top>\n<num> Number: 1\n<title> y\n</top>\n",
     "t.txt", "t.txt:5: query id '1' again (first on line 1)"),
    ("<top>\n<num> Number: 1\n<title> x\n", "t.txt", "t.txt:1: the topic opened here has no"),
    ("<top>\n<num> Number: 1\n</top>\n", "t.txt", "t.txt:3: the topic opened on line 1 has "
                                                  "no <title>"),
    ("<top>\n<num> Number: 1\n<title> x\n</top>\nstray\n", "t.txt", "t.txt:5: 'stray' outside"),
])
def test_malformed_query_files_are_refused_naming_the_line(tmp_path, tiny_index_dir, content,
                                                          name, message):
    (tmp_path / name).write_text(content)
    with pytest.raises(EvaluationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        sets.load_queries(tmp_path / name)
    assert message in _refused("search", "--index", tiny_index_dir, "--queries",
                               tmp_path / name)


def test_a_query_a_search_refuses_is_named_by_its_id(tmp_path, tiny_index_dir):
    (tmp_path / "q.tsv").write_text(f"ok\tpensions\nlong\t{'word ' * 120}\n")
    output = _refused("search", "--index", tiny_index_dir, "--queries", tmp_path / "q.tsv")
    assert "query 'long': the query is 599 characters long" in output
    assert "only with --queries" in _refused("search", "--index", tiny_index_dir, "x",
                                             "--format", "jsonl")
    assert "--format jsonl" in _refused("search", "--index", tiny_index_dir, "--queries",
                                        tmp_path / "q.tsv", "--group", "debate")


def test_jsonl_lines_are_the_search_responses(files, questions, tiny_index_dir, tiny_client):
    queries, _ = questions
    _cli("search", "--index", tiny_index_dir, "--queries", files / "queries.tsv", "-k", 5,
         "--party", "Conservative", "--format", "jsonl", "--out", files / "out.jsonl")
    lines = [json.loads(line) for line in (files / "out.jsonl").read_text().splitlines()]
    assert [line.pop("query_id") for line in lines] == list(queries)
    for line, text in zip(lines, queries.values(), strict=True):
        single = tiny_client.get("/search", params={"q": text, "k": 5, "party": "Conservative"})
        assert line == single.json()


def test_eval_run_reproduces_evals_own_figures(files, tiny_index_dir):
    common = ("--qrels", files / "qrels.tsv", "--keep-identical-ids")
    _cli("eval", "--index", tiny_index_dir, "--queries", files / "queries.tsv", *common,
         "--config", "dense", "--config", "hybrid", "--out", files / "ours")
    _cli("eval", "--run", files / "ours" / "queries.dense.run",
         "--run", files / "ours" / "queries.hybrid.run", *common, "--out", files / "again")
    ours = json.loads((files / "ours" / "queries.metrics.json").read_text())
    again = json.loads((files / "again" / "qrels.metrics.json").read_text())
    assert [r["config"] for r in again] == ["queries.dense", "queries.hybrid"]
    for mine, theirs in zip(ours, again, strict=True):
        assert mine["metrics"] == theirs["metrics"]
        assert (mine["p_value"], mine["improved"], mine["worsened"]) == (
            theirs["p_value"], theirs["improved"], theirs["worsened"])
    assert "--run takes --qrels" in _refused("eval", "--run", files / "ours" /
                                             "queries.dense.run", "--config", "dense",
                                             "--qrels", files / "qrels.tsv")


def test_a_malformed_run_is_refused_naming_the_line(tmp_path):
    (tmp_path / "r.run").write_text("q1 Q0 d1 1 0.5 x\nq1 Q0 d2 2 high x\n")
    with pytest.raises(EvaluationError, match=r"r.run:2: score 'high' is not a number"):
        runs.load_run(tmp_path / "r.run")
    (tmp_path / "r.run").write_text("q1 Q0 d1 1 0.5 x\nq1 Q0 d1 2 0.4 x\n")
    with pytest.raises(EvaluationError, match=r"r.run:2: d1 again for query q1"):
        runs.load_run(tmp_path / "r.run")


def test_search_batch_answers_as_single_searches_in_order(tiny_client):
    searches = [{"q": "pensions", "k": 3}, {"q": "Afghanistan", "k": 2, "mode": "dense"},
                {"q": "health", "party": "Labour", "facets": ["house"]},
                {"q": "pensions", "k": 3, "offset": 3}]
    response = tiny_client.post("/search/batch", json={"searches": searches})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert results == [tiny_client.post("/search", json=s).json() for s in searches]
    assert [r["query"] for r in results] == [s["q"] for s in searches]


@pytest.mark.parametrize(("body", "field", "message"), [
    ({"searches": [{"q": "pensions"}, {"q": "x", "k": 0}]}, "searches[1].k",
     "searches[1]: k must be between 1 and 100, not 0"),
    ({"searches": [{"q": "x"}, {"q": "x"}, {"q": "x", "party": "Labor"}]}, "searches[2].party",
     "searches[2]: unknown party 'Labor'"),
    ({"searches": [{"q": "x"}, {"q": "x", "k": "many"}]}, "searches[1].k", "searches[1].k: "),
    ({"searches": [{"q": "x", "colour": "red"}]}, "searches[0].colour", "unknown parameter"),
    ({"searches": []}, "searches", "send 1 to 100 searches, not 0"),
    ({"searches": [{"q": "x"}] * (MAX_SEARCHES + 1)}, "searches",
     "send 1 to 100 searches, not 101"),
])
def test_a_bad_batch_is_refused_naming_the_search(tiny_client, body, field, message):
    response = tiny_client.post("/search/batch", json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("invalid_parameter", field)
    assert message in error["message"]


def test_the_batch_route_is_in_the_openapi_document(tiny_client):
    operation = tiny_client.get("/openapi.json").json()["paths"]["/search/batch"]["post"]
    schema = tiny_client.get("/openapi.json").json()["components"]["schemas"]
    searches = schema["SearchBatchRequest"]["properties"]["searches"]
    assert (searches["minItems"], searches["maxItems"]) == (1, MAX_SEARCHES)
    assert "400" in operation["responses"] and "503" in operation["responses"]
