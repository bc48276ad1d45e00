"""The `debate-search` command: search (text and JSON), stats, index, one-line errors; over
the tiny index (the Lords' written questions and answers of 26 October 2009: conftest.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from search_api.interfaces.cli import main
from search_api.operations.search import SearchResponse

EMISSIONS = "carbon dioxide emissions of new cars"
WMS_27 = "wms/ministerial2009-10-27a.xml"


def _runner(cache: Path):
    """Invoke the command in-process, as a user would type it, isolated from DEBATE_SEARCH_*
    but for its cache folder, `cache`."""
    env = {name: None for name in os.environ if name.startswith("DEBATE_SEARCH_")}
    env["DEBATE_SEARCH_CACHE_DIR"] = str(cache)

    def invoke(*args: str):
        return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)

    return invoke


@pytest.fixture
def run(session_cache):
    """The command with the session's cache (where the model converted for OpenVINO is kept:
    converting it again would take seconds a command)."""
    return _runner(session_cache)


@pytest.fixture
def run_afresh(tmp_path):
    """The command with a cache of its own, empty."""
    return _runner(tmp_path / "cache")


def test_search_prints_attributed_results(run, tiny_index_dir):
    result = run("search", EMISSIONS, "-k", "3", "--index", tiny_index_dir)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    # Each result is cited as the API and answers cite it, then its best sentence.
    assert lines[0].startswith(
        "1. Lord Adonis (Secretary of State, Department for Transport; Labour, Lord Adonis, of "
        "Camden Town in the London Borough of Camden). House of Lords. 2009-10-26. Vehicles: "
        "Carbon Emissions. uk.org.publicwhip/wrans/2009-10-26a.112.8. "
        "http://www.publications.parliament.uk/")
    assert "For new passenger cars sold in the UK in 2008 the average CO2" in result.stdout
    assert sum(line[:1].isdigit() for line in lines) == 3
    assert "3. " in result.stdout and "4. " not in result.stdout


def test_search_json_is_the_api_response(run, tiny_index_dir, tiny_client):
    options = {"speaker": "Adonis", "party": "Lab", "house": "House of Lords",
               "kind": "answer", "from": "2009-10-26", "to": "2009-10-26"}
    args = [f"--{name}={value}" for name, value in options.items()]
    result = run("search", "emissions of cars", *args, "-k", "3", "--offset", "1",
                 "--json", "--index", tiny_index_dir)
    assert result.exit_code == 0, result.output
    printed = SearchResponse.model_validate_json(result.stdout)
    params = {"q": "emissions of cars", "k": 3, "offset": 1, "speaker": "Adonis",
              "party": "Lab", "house": "House of Lords", "kind": "answer",
              "date_from": "2009-10-26", "date_to": "2009-10-26"}
    response = tiny_client.get("/search", params=params)
    assert response.status_code == 200
    # Scores are computed in two threads with their own thread settings: equal to rounding.
    served, shown = response.json(), json.loads(result.stdout)
    assert _without_scores(shown) == _without_scores(served)
    assert [r["score"] for r in shown["results"]] == pytest.approx(
        [r["score"] for r in served["results"]], abs=1e-5)
    assert printed.count == 3 and printed.offset == 1
    assert {r.speaker.name for r in printed.results} == {"Lord Adonis"}


def test_search_browses_like_the_api(run, tiny_index_dir, tiny_client):
    args = ["search", "vehicles and transport", "--sort", "newest", "--group", "debate",
            "--per-group", "2", "-k", "2", "--facets", "party,date", "--index", tiny_index_dir]
    shown = run(*args, "--json")
    assert shown.exit_code == 0, shown.output
    served = tiny_client.get("/search", params={
        "q": "vehicles and transport", "sort": "newest", "group": "debate", "per_group": 2,
        "k": 2, "facets": "party,date"}).json()
    printed = json.loads(shown.stdout)
    strip = [{k: v for k, v in r.items() if k != "score"} for g in printed["groups"]
             for r in g["results"]]
    assert strip == [{k: v for k, v in r.items() if k != "score"} for g in served["groups"]
                     for r in g["results"]]
    assert {k: v for k, v in printed.items() if k != "groups"} == {
        k: v for k, v in served.items() if k != "groups"}
    text = run(*args)
    assert text.exit_code == 0, text.output
    first = served["groups"][0]
    assert text.stdout.startswith(f"1. {first['debate']['title']} ({first['debate']['house']}, "
                                  f"{first['debate']['date']}): {first['count']} matching")
    assert "   1. " in text.stdout  # its contributions, cited, beneath it
    assert f"\nCounts of the {served['matches']} contributions that match closely:\n" in (
        text.stdout)
    assert "\nparty: " in text.stdout and "\ndate by day: 2009-10-26 " in text.stdout
    wrong = run("search", "x", "--facets", "colour", "--index", tiny_index_dir)
    assert wrong.exit_code == 1
    assert "unknown facet 'colour'; known: party, house" in wrong.output


def _without_scores(response: dict) -> dict:
    return response | {"results": [{k: v for k, v in r.items() if k != "score"}
                                   for r in response["results"]]}


def test_stats(run, tiny_index_dir, tiny_index):
    result = run("stats", "--index", tiny_index_dir)
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    assert stats["contributions"] == tiny_index.contribution_count
    assert stats["chunks"] == tiny_index.chunk_count
    assert stats["by_house"] == {"House of Lords": 62}


@pytest.mark.parametrize(("args", "message"), [
    (["search", EMISSIONS, "--from", "2009-13-01"], "date_from '2009-13-01' is not a date"),
    (["search", EMISSIONS, "-k", "0"], "k must be between 1 and 100, not 0"),
    (["search", " "], "the query is empty"),
    (["stats", "--index", "{missing}"], "no index at {missing}; build one with"),
    (["context", EMISSIONS, "--max-tokens", "0"], "max_tokens must be between 1 and 100000, not 0"),
    (["context", EMISSIONS, "--encoding", "nope"],
     "unknown encoding 'nope'; known: cl100k_base, o200k_base"),
], ids=["bad-date", "k-range", "empty-query", "missing-index", "context-budget",
        "context-encoding"])
def test_library_errors_are_one_line(run, tiny_index_dir, tmp_path, args, message):
    missing = tmp_path / "missing"
    args = [a.format(missing=missing) for a in args]
    if "--index" not in args:
        args += ["--index", str(tiny_index_dir)]
    result = run(*args)
    assert result.exit_code == 1
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(f"Error: {message.format(missing=missing)}")


def test_error_from_the_installed_command(tiny_index_dir):
    # The real entry point, in its own process: exit 1, one line on stderr, no traceback.
    script = Path(sys.executable).parent / "debate-search"
    done = subprocess.run(
        [str(script), "search", EMISSIONS, "--party", "Labor", "--index", str(tiny_index_dir)],
        capture_output=True, text=True, timeout=120,
        env=os.environ | {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"},
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("Error: unknown party 'Labor'; known: ")
    assert "Labour" in line.split("known: ")[1].split(", ")


def test_index_names_an_unknown_format_in_one_line(run, uk_data, tmp_path):
    result = run("index", "--format", "hansard", "--out", tmp_path / "index", uk_data / WMS_27)
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: unknown source format 'hansard'; known: au-hansard-xml, ")
    assert not (tmp_path / "index").exists()


@pytest.mark.slow
def test_index_builds_then_is_up_to_date(run_afresh, uk_data, tmp_path):
    out = tmp_path / "index"
    first = run_afresh("index", "--out", out, "--quiet", uk_data / WMS_27)
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("Indexed 5 contributions as ")
    assert f"-> {out}" in first.stdout
    assert (out / "current").is_dir()

    again = run_afresh("index", "--out", out, "--quiet", uk_data / WMS_27)
    assert again.exit_code == 0, again.output
    assert again.stdout.strip() == f"Index at {out} is up to date; nothing to do."

    # The same file in another folder: nothing embedded again (the machine's vector cache,
    # which only the first build filled).
    elsewhere = run_afresh("index", "--out", tmp_path / "elsewhere", "--json", uk_data / WMS_27)
    assert elsewhere.exit_code == 0, elsewhere.output
    report = json.loads(elsewhere.stdout)
    assert (report["contributions"], report["embedded"]) == (5, 0)
    assert report["embedded_by_kind"] == {"chunks": 0, "sentences": 0}
    assert report["reused"] == report["chunks"] > 0 and report["seconds"]["total"] > 0

    stats = json.loads(run_afresh("stats", "--index", out).stdout)
    assert stats["contributions"] == 5
    assert stats["by_kind"]["statement"]["contributions"] == 5
