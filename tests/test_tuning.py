"""`debate-search tune`: the model adapted on the record's own pairs, and taken by `index`."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from click.testing import CliRunner

from indexer.embedding import EmbedderSpec
from indexer.embedding.folder import ModelFolder
from indexer.store.records import SearchFilters
from search_api.evaluation import sets, tuning
from search_api.interfaces.cli import main
from tests.data_paths import SHARED_DATA

pytestmark = pytest.mark.slow
DAY = "2009-10-26"


def test_pairs_come_from_the_days_given_with_hard_negatives_from_bm25(small_index):
    queries = tuning.record_queries(small_index, DAY)
    records = {r.id: r for r in small_index.records(SearchFilters())}
    links = set(small_index.question_answer_links(records))
    asked = {r.text: r.id for r in records.values() if r.date == DAY}
    origins = Counter()
    for query in queries:
        origins[query.origin] += len(query.positives)
        for doc in query.positives:
            positive = records[doc]
            assert positive.date == DAY and positive.kind == query.kind
            if query.origin == "question":  # the answers linked to it
                assert any((q, doc) in links for q in records if records[q].text == query.text)
            else:  # a debate's title and its speeches
                assert query.text in (positive.debate.minor_heading,
                                      positive.debate.major_heading)
                assert len(positive.text) >= sets.MIN_SPEECH_CHARS
    assert origins["question"] > 400 and origins["title"] > 100
    assert "Tasers" in {q.text for q in queries if q.origin == "title"}
    assert all(q.text in asked for q in queries if q.origin == "question")
    for query in queries[::20]:
        negative = records[tuning.hard_negative(small_index, query)]
        assert negative.id not in query.positives and negative.kind == query.kind
        assert negative.debate.id not in {records[p].debate.id for p in query.positives}
    paired = [q for q in queries if tuning.hard_negative(small_index, q)]  # most have one
    assert len(tuning.training_triples(small_index, {DAY})) == sum(len(q.positives)
                                                                   for q in paired)
    assert tuning.training_triples(small_index, {"2009-10-27"}) == []  # no pairs that day


def test_tune_writes_a_model_folder_that_index_takes(small_index, small_index_dir, tmp_path):
    runner = CliRunner()
    out = tmp_path / "models" / "tuned"
    args = ["tune", "--index", str(small_index_dir), "--out", str(out), "--day", DAY,
            "--batch-size", "4", "--max-steps", "2"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert f"from {DAY}" in result.output and str(out) in result.output
    provenance = json.loads((out / "tuning.json").read_text())
    assert provenance["days"] == [DAY] and provenance["params"]["max_steps"] == 2
    assert provenance["base_model"]["fingerprint"] == small_index.embedder.fingerprint
    assert ModelFolder(out).fingerprint != small_index.embedder.fingerprint

    assert runner.invoke(main, args).exit_code == 0  # replaced whole, nothing left beside it
    assert sorted(p.name for p in out.parent.iterdir()) == ["tuned"]

    index_dir = tmp_path / "index"
    statements = SHARED_DATA / "uk-twfy-parlparse-2009-10" / "wms" / "ministerial2009-10-27a.xml"
    built = runner.invoke(main, ["index", str(statements),
                                 "--out", str(index_dir), "--model", str(out), "--quiet"])
    assert built.exit_code == 0, built.output
    found = runner.invoke(main, ["search", "--index", str(index_dir), "--json", "statement"])
    assert found.exit_code == 0, found.output
    assert json.loads(found.output)["results"]
    tuned = EmbedderSpec(model_path=out).open()  # the faster backend takes what tune writes
    assert (tuned.backend, tuned.max_tokens) == ("openvino", 256)
    assert tuned.embed(["Territorial Army"]).shape == (1, small_index.embedder.dimension)


def test_tune_without_pairs_on_those_days_says_so(small_index_dir, tmp_path):
    result = CliRunner().invoke(main, ["tune", "--index", str(small_index_dir), "--out",
                                       str(tmp_path / "m"), "--day", "1999-01-01"])
    assert result.exit_code == 1
    assert "only 0 training pairs on 1999-01-01" in result.output
    assert not (tmp_path / "m").exists()
