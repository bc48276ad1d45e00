"""Debates as plain text (format "text"), on the real Hansard web page copied as text in
../shared/data/hansard-web-2025-02-24, and on small texts written here."""

from __future__ import annotations

import shutil
from dataclasses import replace
from types import SimpleNamespace

import pytest
from data_paths import CORPORA, SHARED_DATA

from indexer.contribution import Kind, Speaker
from indexer.corpus import load_manifest, materialize, sha256_file
from indexer.errors import CorpusError
from indexer.sources import FORMATS, CorpusParser, plain_text, resolve_inputs
from indexer.sources.plain_text import list_source_files, parse_file
from indexer.sources.speaker_lines import speaker_line
from indexer.text.chunking import ChunkingParams
from search_api.engine.citations import NO_SPEAKER, describe_speaker

DATA = SHARED_DATA / "hansard-web-2025-02-24"
PAGE = DATA / "sexual-exploitation-and-trafficking-2025-02-24.txt"
MANIFEST = CORPORA / "hansard-web-2025-02-24.toml"
DEBATE = "text/sexual-exploitation-and-trafficking-2025-02-24"
QUESTION = "trafficking of women for sexual exploitation"


@pytest.fixture(scope="module")
def parsed():
    if not PAGE.is_file():
        pytest.fail(f"real Hansard web text not found at {PAGE}")
    return parse_file(PAGE, None, "t", DATA)


def test_registered():
    assert FORMATS["text"] is plain_text


def test_the_page_s_header_gives_title_and_date(parsed):
    found, issues = parsed
    assert issues == []
    for c in found:
        assert (c.date, c.debate_title, c.major_heading, c.minor_heading) == (
            "2025-02-24", "Sexual Exploitation and Trafficking",
            "Sexual Exploitation and Trafficking", None)
        assert (c.kind, c.debate_id, c.source_file) == (Kind.SPEECH, DEBATE, PAGE.name)
        assert (c.house, c.parliament) == ("", "")  # the page names neither: see the manifest
    text = "\n".join(c.text for c in found)
    assert "Skip to main content" not in text and "Volume 762" not in text


def test_each_paragraph_is_a_contribution_with_the_speaker_unknown(parsed):
    found, _ = parsed
    paragraphs = [p for p in PAGE.read_text(encoding="utf-8").split("\n\n")[3:]]
    assert len(paragraphs) == 9 and len(found) == 8  # the quotation joins its introduction
    assert [c.id for c in found] == [f"{DEBATE}/{n}" for n in range(1, 9)]
    assert [c.position for c in found] == list(range(1, 9))
    assert all(c.speaker == Speaker(name=None) for c in found)
    assert found[0].text.startswith("The trafficking of women and girls for sexual exploitation")
    assert found[-1].text == paragraphs[-1].strip()


def test_a_quotation_stays_with_the_paragraph_that_introduces_it(parsed):
    found, _ = parsed
    fiona = found[5]
    assert fiona.text.startswith("Fiona from Bradford was failed")
    quoted = "In Fiona\u2019s own words:\n\n\u201cThe Government can\u2019t just leave it"
    assert quoted in fiona.text
    assert found[6].text.startswith("Will the Home Secretary reconsider")


def test_ids_are_stable(parsed, tmp_path):
    again = parse_file(PAGE, None, "t", DATA)
    assert again == parsed
    shutil.copy(PAGE, tmp_path / PAGE.name)
    moved, _ = parse_file(tmp_path / PAGE.name, None, "t", tmp_path)
    assert [c.id for c in moved] == [c.id for c in parsed[0]]
    nested = tmp_path / "2025" / PAGE.name
    nested.parent.mkdir()
    shutil.copy(PAGE, nested)
    assert parse_file(nested, None, "t", tmp_path)[0][0].id == f"text/2025/{PAGE.stem}/1"


TRANSCRIPT = """\
House of Commons
Home Department
Sexual Exploitation and Trafficking
Volume 762: debated on Monday 24 February 2025

Tonia Antoniazzi (Gower) (Lab)

What steps she is taking to tackle the trafficking of women and girls.

The Parliamentary Under-Secretary of State for the Home Department (Jess Phillips)

The trafficking of women and girls is a horrific crime.

As the report said:

\u201cNo one should be sold.\u201d

Madam Deputy Speaker (Judith Cummins)

Order.

Lord Hanson of Flint (Lab)

A word from the Lords.

Rupert Lowe:
A question from a transcript,
wrapped over two lines.

Mr Speaker

Order, order.
"""


def test_speaker_lines_open_turns(tmp_path):
    path = tmp_path / "qs.txt"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    found, issues = parse_file(path, None, "t", tmp_path)
    assert issues == []
    assert [c.id for c in found] == [f"text/qs/{n}" for n in range(1, 7)]
    assert {(c.house, c.date, c.debate_title, c.minor_heading) for c in found} == {(
        "House of Commons", "2025-02-24", "Home Department — Sexual Exploitation and Trafficking",
        "Sexual Exploitation and Trafficking")}
    member, minister, chair, peer, transcript, speaker = found
    assert member.speaker == Speaker(name="Tonia Antoniazzi", constituency="Gower",
                                     party="Labour", party_code="Lab")
    assert minister.speaker == Speaker(
        name="Jess Phillips", office="The Parliamentary Under-Secretary of State for the Home "
        "Department", office_source="record")
    # a turn is every paragraph up to the next speaker line, the quotation included
    assert minister.text == ("The trafficking of women and girls is a horrific crime.\n\n"
                             "As the report said:\n\n\u201cNo one should be sold.\u201d")
    assert chair.speaker == Speaker(name="Judith Cummins", office="Madam Deputy Speaker",
                                    office_source="record", chair=True)
    assert peer.speaker == Speaker(name="Lord Hanson of Flint", party="Labour", party_code="Lab")
    assert transcript.speaker == Speaker(name="Rupert Lowe")
    assert transcript.text == "A question from a transcript, wrapped over two lines."
    assert speaker.speaker == Speaker(name="Mr Speaker", office="Mr Speaker",
                                      office_source="record", chair=True)


def test_paragraphs_before_the_first_speaker_line_are_unattributed(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("Title\nDate: 2025-02-24\nWords no one is named for.\nJess Phillips:\n"
                    "Her words.\n", encoding="utf-8")  # no blank lines: a paragraph a line
    found, issues = parse_file(path, None, "t", tmp_path)
    assert issues == []
    assert [(c.speaker.name, c.text) for c in found] == [
        (None, "Words no one is named for."), ("Jess Phillips", "Her words.")]
    assert found[0].debate_title == "Title" and found[0].date == "2025-02-24"


@pytest.mark.parametrize(("line", "expected"), [
    ("Jess Phillips (Birmingham Yardley) (Lab)",
     Speaker(name="Jess Phillips", constituency="Birmingham Yardley", party="Labour",
             party_code="Lab")),
    ("Rupert Lowe (Great Yarmouth) (Reform)",
     Speaker(name="Rupert Lowe", constituency="Great Yarmouth", party="Reform UK",
             party_code="Reform")),
    ("Chris Hazzard (South Down) (SF)",
     Speaker(name="Chris Hazzard", constituency="South Down", party="Sinn Féin", party_code="SF")),
    ("Ann Other (Somewhere) (Xyz)",  # an unknown code after a constituency names itself
     Speaker(name="Ann Other", constituency="Somewhere", party="Xyz", party_code="Xyz")),
    ("The Minister of State, Home Office (Lord Hanson of Flint) (Lab)",
     Speaker(name="Lord Hanson of Flint", party="Labour", party_code="Lab",
             office="The Minister of State, Home Office", office_source="record")),
    ("The Chair of the Home Affairs Committee (Dame Karen Bradley)",  # not the chair
     Speaker(name="Dame Karen Bradley", office="The Chair of the Home Affairs Committee",
             office_source="record")),
    ("Jess Phillips (Birmingham Yardley):",
     Speaker(name="Jess Phillips", constituency="Birmingham Yardley")),
    ("Hon. Members:", Speaker(name="Hon. Members")),
    # words, headings and procedure are not speaker lines
    ("In Fiona\u2019s own words:", None),
    ("Topical Questions", None),
    ("Crime and Policing Bill (Money)", None),
    ("Several hon. Members rose\u2014", None),
    ("The Lord Bishop of St Albans", None),
    ("Volume 762: debated on Monday 24 February 2025", None),
    ("Will the Minister (as she said) reply?", None),
    ("", None),
])
def test_speaker_line(line, expected):
    assert speaker_line(line) == expected


@pytest.mark.parametrize(("content", "line", "message"), [
    (b"", None, "no text; skipped"),
    (b"\n  \n", None, "no text; skipped"),
    (b"Skip to main content\n\nA Title\n\nSome words.\n", 1, "no sitting date: expected"),
    (b"A Title\nVolume 762: debated on Monday 31 February 2025\n\nWords.\n", 2,
     "cannot read the sitting date 'Monday 31 February 2025'; skipped"),
    (b"A Title\n\nDate: 2025-02-24\n", 3, "no paragraphs after the header; skipped"),
    (b"A Title\nDate: 2025-02-24\n\xff\xfe\x00garbage\x9c", 3, "not UTF-8 text (byte 0xff)"),
    (b"A Title\n\x00\x01\x02\x03", 2, "not text (a NUL byte); skipped"),
])
def test_malformed_files_are_issues_naming_file_and_line(tmp_path, content, line, message):
    path = tmp_path / "sub" / "bad.txt"
    path.parent.mkdir()
    path.write_bytes(content)
    found, issues = parse_file(path, None, "t", tmp_path)
    assert found == []
    [issue] = issues
    assert (issue.file, issue.line) == ("sub/bad.txt", line)
    assert message in issue.message
    assert str(issue).startswith("sub/bad.txt:" if line is None else f"sub/bad.txt:{line}: ")


def test_a_speaker_line_with_no_words_is_an_issue(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("T\nDate: 2025-02-24\n\nJess Phillips:\n\nMr Speaker\n\nOrder.\n\n"
                    "Jess Phillips:\n", encoding="utf-8")
    found, issues = parse_file(path, None, "t", tmp_path)
    assert [(c.speaker.name, c.text) for c in found] == [("Mr Speaker", "Order.")]
    assert [(i.line, i.message) for i in issues] == [(4, "speaker line with no words"),
                                                     (10, "speaker line with no words")]


def test_plain_paths_in_the_text_format(tmp_path):
    [single] = resolve_inputs([PAGE], tmp_path, progress=False, plain_format="text")
    assert (single.format, single.root, single.files) == ("text", DATA.resolve(),
                                                          (PAGE.resolve(),))
    [folder] = resolve_inputs([DATA], tmp_path, progress=False, plain_format="text")
    assert folder.files == (PAGE.resolve(),)  # SOURCES.md is not a source
    assert list_source_files(DATA) == [PAGE]


def test_manifest_states_house_and_parliament(tmp_path):
    manifest = load_manifest(MANIFEST)
    assert (manifest.format, manifest.mirror) == ("text", DATA.resolve())
    assert manifest.defaults == {"parliament": "UK Parliament", "house": "House of Commons"}
    assert manifest.licence.name == "Open Parliament Licence v3.0"
    corpus = materialize(manifest, tmp_path, progress=False)
    assert (corpus.issues, corpus.files) == ((), (PAGE.resolve(),))
    assert sha256_file(PAGE) == manifest.files[0].sha256
    found, issues = CorpusParser(corpus).parse(PAGE)
    assert issues == [] and len(found) == 8
    assert {(c.corpus, c.parliament, c.house) for c in found} == {
        ("hansard-web-2025-02-24", "UK Parliament", "House of Commons")}


def test_a_house_the_file_names_is_kept(tmp_path):
    (tmp_path / "lords.txt").write_text("House of Lords\nT\nDate: 2025-02-24\n\nWords.\n")
    corpus = materialize(load_manifest(MANIFEST), tmp_path, progress=False)
    found, _ = CorpusParser(corpus).parse(tmp_path / "lords.txt")
    assert (found[0].house, found[0].parliament) == ("House of Lords", "UK Parliament")


@pytest.mark.parametrize(("table", "message"), [
    ("[defaults]\nspeaker = 'Jess Phillips'",
     "unknown key 'speaker' in \\[defaults\\]; known: parliament, house"),
    ("[defaults]\nhouse = ''", "\\[defaults\\] house must be a name, not ''"),
    ("defaults = 'Commons'", "\\[defaults\\] must be a table"),
])
def test_bad_defaults_are_clear_errors(tmp_path, table, message):
    path = tmp_path / "bad.toml"
    path.write_text(f"name = 'x'\nformat = 'text'\nfiles = []\n{table}\n[licence]\nname = 'OGL'\n")
    with pytest.raises(CorpusError, match=message):
        load_manifest(path)


def test_the_manifest_s_defaults_are_part_of_the_fingerprint(tmp_path):
    from indexer.pipeline.build import input_fingerprint
    from indexer.pipeline.updates import lookups_digest

    manifest = load_manifest(MANIFEST)
    stated = materialize(manifest, tmp_path, progress=False)
    unstated = materialize(replace(manifest, defaults={}), tmp_path, progress=False)
    model = SimpleNamespace(fingerprint="model")
    with_defaults, without = (input_fingerprint([c], model, ChunkingParams())
                              for c in (stated, unstated))
    assert with_defaults["corpora"][0]["defaults"] == manifest.defaults
    assert "defaults" not in without["corpora"][0]
    assert with_defaults["digest"] != without["digest"]
    assert lookups_digest(stated, {}) != lookups_digest(unstated, {})


def test_an_unknown_speaker_is_described_as_not_recorded():
    assert describe_speaker(Speaker(name=None)) == NO_SPEAKER
    assert "speaker not recorded in the source" in NO_SPEAKER


# End to end: the manifest indexed with the real model -------------------------------------


@pytest.fixture(scope="module")
def text_index(embedder, session_cache, tmp_path_factory):
    from indexer.pipeline.build import build_index

    out = tmp_path_factory.mktemp("text-index")
    inputs = resolve_inputs([MANIFEST], session_cache, progress=False)
    report = build_index(inputs, out, embedder, progress=False, cache_dir=session_cache)
    assert report.contributions == 8 and not report.issues
    return out


@pytest.mark.slow
def test_the_question_finds_the_page_with_the_speaker_shown_unrecorded(text_index, embedder,
                                                                     torch_threads):
    from fastapi.testclient import TestClient

    from search_api.engine.search_index import SearchIndex
    from search_api.interfaces.http.app import create_app
    from search_api.operations import answers
    from search_api.settings import Settings

    index = SearchIndex(text_index, embedder=embedder)
    results = index.search(QUESTION, k=3)
    top = results.hits[0].contribution
    assert top.id == f"{DEBATE}/1"
    assert (top.speaker.name, top.house, top.date) == (None, "House of Commons", "2025-02-24")

    answer = answers.answer(index, answers.AnswerRequest(q=QUESTION))
    assert answer.answerable
    assert f"{NO_SPEAKER}:" in answer.text
    assert all(p.speaker.name is None and len(p.contributions) == 1 for p in answer.speakers)
    assert answer.speakers[0].contributions[0].citation.speaker is None

    settings = Settings(index_dir=text_index, torch_threads=torch_threads)
    with TestClient(create_app(settings)) as client:
        body = client.get("/search", params={"q": QUESTION, "k": 3}).json()
        first = body["results"][0]
        assert first["id"] == f"{DEBATE}/1" and first["speaker"]["name"] is None
        assert first["citation"].startswith(f"{NO_SPEAKER}. House of Commons. 2025-02-24. "
                                            "Sexual Exploitation and Trafficking.")
        page = client.get(f"/contributions/{DEBATE}/1").json()
        assert page["speaker"]["name"] is None and page["citation"].startswith(NO_SPEAKER)
        assert NO_SPEAKER in client.get("/answer", params={"q": QUESTION}).json()["text"]
        script = client.get("/static/app.js").text
        assert 'const NO_SPEAKER = "Speaker not recorded in the source"' in script
