"""Australian House of Representatives Hansard XML on the real sitting days in
../shared/data/au-house-hansard-xml-2021-2022."""

from __future__ import annotations

import csv
from xml.etree import ElementTree as ET

import pytest
from data_paths import CORPORA, SHARED_DATA

from indexer.contribution import Kind, Speaker
from indexer.corpus import load_manifest, materialize, sha256_file
from indexer.sources import FORMATS, au_hansard_xml
from indexer.sources.au_hansard_xml import list_source_files, load_lookups, parse_file

DATA = SHARED_DATA / "au-house-hansard-xml-2021-2022"
MANIFEST = CORPORA / "au-house-of-representatives-2021-2022.toml"
DAYS = ("2021_10_19.xml", "2022_08_02.xml")
CONTRIBUTIONS = ("speech", "question", "answer")


@pytest.fixture(scope="module")
def parties():
    if not DATA.is_dir():
        pytest.fail(f"real Australian data not found at {DATA}")
    return load_lookups(DATA, "lookup")


@pytest.fixture(scope="module")
def parsed(parties):
    return {day: parse_file(DATA / "xml" / day, parties, "au-test", DATA) for day in DAYS}


@pytest.fixture(scope="module")
def by_id(parsed):
    return {c.id: c for found, _ in parsed.values() for c in found}


def _element(contribution_id: str) -> int:
    return int(contribution_id.rsplit("/", 1)[1].split(".")[0])


def test_registered():
    assert FORMATS["au-hansard-xml"] is au_hansard_xml


@pytest.mark.parametrize(("day", "elements"), [("2021_10_19.xml", 155), ("2022_08_02.xml", 159)])
def test_every_speech_question_and_answer_is_imported(parsed, day, elements):
    found, issues = parsed[day]
    assert issues == []
    tree = ET.parse(DATA / "xml" / day)
    assert sum(1 for el in tree.iter() if el.tag in CONTRIBUTIONS) == elements
    assert {_element(c.id) for c in found} == set(range(1, elements + 1))


def test_first_day_matches_the_authors_own_parse(parsed):
    """hansard-proj's parsed-csv has one row per speech/question/answer of 19 October 2021,
    with the talker's name, name.id, electorate and party code."""
    with open(DATA / "parsed-csv" / "2021-10-19-main.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    firsts = [c for c in parsed["2021_10_19.xml"][0] if c.id.endswith(".1")]
    assert len(rows) == len(firsts) == 155
    for row, c in zip(rows, firsts, strict=True):
        assert row["name"].startswith(c.speaker.name)
        assert (row["name.id"], row["electorate"], row["party"]) == (
            c.speaker.person_id.rsplit("/", 1)[1], c.speaker.constituency, c.speaker.party_code)
    assert sum(r["fedchamb_flag"] == "1" for r in rows) == sum(
        c.house == "Federation Chamber" for c in firsts) == 34


@pytest.mark.parametrize("day", DAYS)
def test_interjections_and_continuations_are_their_own_contributions(parsed, day):
    """One interjection per <interjection> talker with a name.id, plus the unnamed
    "An honourable member:" turns; one more speech turn per <continue> talker."""
    found, _ = parsed[day]
    tree = ET.parse(DATA / "xml" / day)
    elements = [el for el in tree.iter() if el.tag in CONTRIBUTIONS]
    named = sum(1 for el in elements for stub in el if stub.tag == "interjection"
                and (stub.findtext("talk.start/talker/name.id") or "").strip())
    unnamed = sum(1 for p in tree.iter("p")
                  if any(s.get("class") == "HPS-GeneralInterjecting" for s in p.iter("span")))
    continues = sum(1 for el in elements for stub in el if stub.tag == "continue")
    assert sum(c.kind == Kind.INTERJECTION for c in found) == named + unnamed
    assert sum(c.kind == Kind.SPEECH and not c.id.endswith(".1") for c in found) == continues


def test_a_minister_in_the_chamber(by_id):
    c = by_id["aph.gov.au/reps/2021-10-19/1.1"]
    assert c.speaker == Speaker(
        name="Wood, Jason MP", person_id="aph.gov.au/phid/E0F",
        party="Liberal Party of Australia", party_code="LP", constituency="La Trobe",
        office="Assistant Minister for Customs, Community Safety and Multicultural Affairs",
        office_source="record", chair=False)
    assert (c.parliament, c.house, c.date, c.time, c.column, c.kind) == (
        "Parliament of Australia", "House of Representatives", "2021-10-19", "12:01:00", "9565",
        Kind.SPEECH)
    assert (c.debate_title, c.debate_id, c.position) == (
        "MINISTRY — Presentation", "aph.gov.au/reps/2021-10-19/d1.1", 1)
    assert c.text.startswith("I table the second Morrison ministry list.")


def test_question_time_answer_with_the_speaker_interjecting(by_id, parsed):
    answer = [by_id[f"aph.gov.au/reps/2021-10-19/35.{n}"] for n in range(1, 9)]
    assert [c.kind for c in answer] == [Kind.SPEECH, Kind.INTERJECTION, Kind.SPEECH, Kind.SPEECH,
                                        Kind.INTERJECTION, Kind.SPEECH, Kind.INTERJECTION,
                                        Kind.SPEECH]
    pm, chair = answer[0].speaker, answer[1].speaker
    assert (pm.name, pm.person_id, pm.party, pm.constituency, pm.office) == (
        "Morrison, Scott MP", "aph.gov.au/phid/E3L", "Liberal Party of Australia", "Cook",
        "Prime Minister")
    assert chair == Speaker(
        name="Smith, Tony MP", person_id="aph.gov.au/phid/00APG",
        party="Liberal Party of Australia", party_code="LP", constituency="Casey",
        office="The SPEAKER", office_source="record", chair=True)
    assert answer[0].text == "If you have the right plan, it's a positive impact."
    assert answer[1].text == "Members on my left!"
    assert answer[2].speaker == pm and answer[2].text.startswith("If you have the right plan—")
    assert answer[0].debate_title == "QUESTIONS WITHOUT NOTICE — Climate Change"
    assert [c.position for c in answer] == list(range(answer[0].position,
                                                      answer[0].position + 8))
    # stage directions are nobody's words
    day = parsed["2021_10_19.xml"][0]
    assert not any("interjecting—" in c.text for c in day)


def test_party_codes_named_through_the_lookup_and_aph_codes(by_id):
    katter = by_id["aph.gov.au/reps/2021-10-19/44.1"].speaker
    assert (katter.name, katter.party_code, katter.party) == (
        "Katter, Bob MP", "KAP", "Katters Australian Party")  # as party_lookup.csv spells it
    dutton = by_id["aph.gov.au/reps/2021-10-19/38.2"].speaker
    assert (dutton.party_code, dutton.party, dutton.constituency) == (
        "LNP", "Liberal National Party of Queensland", "Dickson")


def test_unnamed_office_and_members(by_id):
    office = by_id["aph.gov.au/reps/2022-08-02/21.3"].speaker  # name.id 10000
    assert office == Speaker(name="DEPUTY SPEAKER, The", office="The DEPUTY SPEAKER",
                             office_source="record", chair=True)
    heckle = by_id["aph.gov.au/reps/2022-08-02/98.2"]
    assert (heckle.kind, heckle.speaker, heckle.text) == (
        Kind.INTERJECTION, Speaker(name="An honourable member", chair=False), "Rorts?")


def test_every_speaker_name_is_printed_in_the_source(parsed):
    for day, (found, _) in parsed.items():
        tree = ET.parse(DATA / "xml" / day)
        talkers = {" ".join((n.text or "").split()) for n in tree.iter("name")}
        body = " ".join(" ".join(p.itertext()) for p in tree.iter("p"))
        for c in found:
            name = c.speaker.name
            assert any(name in t for t in talkers) or (c.speaker.person_id is None
                                                         and name.split()[-1] in body), name


def test_ids_unique(parsed):
    ids = [c.id for found, _ in parsed.values() for c in found]
    assert len(ids) == len(set(ids)) == 509


def test_truncated_file_keeps_what_came_before(tmp_path, parties, parsed):
    source = DATA / "xml" / "2022_08_02.xml"
    data = source.read_bytes()
    broken = tmp_path / "xml" / source.name
    broken.parent.mkdir()
    broken.write_bytes(data[: len(data) // 2])
    found, issues = parse_file(broken, parties, "t", tmp_path)
    whole = parsed[source.name][0]
    assert len(issues) == 1 and "not well-formed" in issues[0].message
    assert issues[0].file == "xml/2022_08_02.xml" and issues[0].line > 1000
    assert 50 < len(found) < len(whole)
    assert [c.id for c in found] == [c.id for c in whole[: len(found)]]


def test_plain_paths():
    assert list_source_files(DATA / "xml") == [DATA / "xml" / d for d in DAYS]
    assert au_hansard_xml.find_tree_root(DATA / "xml" / DAYS[0]) == DATA.resolve()
    assert au_hansard_xml.lookup_files(DATA, "lookup") == [DATA / "lookup" / "party_lookup.csv"]


def test_manifest_materializes_from_the_mirror(tmp_path):
    manifest = load_manifest(MANIFEST)
    corpus = materialize(manifest, tmp_path, progress=False)
    assert (manifest.format, manifest.members, corpus.issues) == ("au-hansard-xml", "lookup", ())
    assert corpus.files == tuple(DATA.resolve() / "xml" / d for d in DAYS)  # lookup/ left out
    for entry in manifest.files:
        assert sha256_file(corpus.root / entry.path) == entry.sha256
    assert "not state" in manifest.licence.notes
