"""Canadian House of Commons Hansard XML on the real sittings in
../shared/data/ca-house-of-commons-hansard-xml."""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

import pytest
from data_paths import CORPORA, SHARED_DATA

from indexer.contribution import Kind, Speaker
from indexer.corpus import load_manifest, materialize, sha256_file
from indexer.sources import FORMATS, ca_hansard_xml
from indexer.sources.ca_hansard_xml import list_source_files, parse_file, read_label

DATA = SHARED_DATA / "ca-house-of-commons-hansard-xml"
MANIFEST = CORPORA / "ca-house-of-commons-2014-2024.toml"
FILES = ("44-1-200-en.xml", "44-1-303-en.xml", "HAN102-E.xml")
PREFIX = "ourcommons.ca/intervention/"


@pytest.fixture(scope="module")
def parsed():
    if not DATA.is_dir():
        pytest.fail(f"real Canadian data not found at {DATA}")
    return {name: parse_file(DATA / name, None, "ca-test", DATA) for name in FILES}


@pytest.fixture(scope="module")
def by_id(parsed):
    return {c.id: c for found, _ in parsed.values() for c in found}


def test_registered():
    assert FORMATS["ca-hansard-xml"] is ca_hansard_xml


@pytest.mark.parametrize(("name", "interventions", "labels"),
                         # SOURCES.md counts 379 in HAN102-E: lines, not elements
                         [("44-1-200-en.xml", 321, 15), ("44-1-303-en.xml", 194, 12),
                          ("HAN102-E.xml", 413, 87)])
def test_one_contribution_per_intervention_and_per_labelled_turn(parsed, name, interventions,
                                                                 labels):
    found, issues = parsed[name]
    assert issues == []
    expected = [el.get("id") for el in ET.parse(DATA / name).getroot().iter("Intervention")]
    assert len(expected) == interventions
    assert [c.id.removeprefix(PREFIX) for c in found if "/para/" not in c.id] == expected
    # turns printed inside an intervention, counted on the raw text with a regex
    raw = (DATA / name).read_text(encoding="utf-8-sig")
    printed = re.findall(r"<ParaText[^>]*>\s*<B>[^<]+?(?::\s*</B>|</B>\s*(?:<B>)?:)", raw)
    assert len(printed) == labels == sum("/para/" in c.id for c in found)


def test_ids_unique_and_files_relative(parsed):
    ids = [c.id for found, _ in parsed.values() for c in found]
    assert len(ids) == len(set(ids)) == 1042
    assert {c.source_file for found, _ in parsed.values() for c in found} == set(FILES)


def test_member_with_riding_and_party(by_id):
    c = by_id[PREFIX + "12693094"]
    assert c.speaker == Speaker(
        name="Mr. Mark Gerretsen", member_id="ourcommons.ca/affiliation/278514",
        party="Liberal", party_code="Lib.", constituency="Kingston and the Islands", chair=False)
    assert (c.parliament, c.house, c.date, c.time, c.kind) == (
        "Parliament of Canada", "House of Commons", "2024-04-19", "10:00:00", Kind.SPEECH)
    assert (c.major_heading, c.minor_heading) == (
        "Government Orders", "National Council for Reconciliation Act")
    assert c.debate_id == "ourcommons.ca/subject/12693090"
    assert c.text.startswith("Madam Speaker, I will be splitting my time with the member for")


def test_office_holder_and_bare_name_later(by_id, parsed):
    c = by_id[PREFIX + "8418232"]  # HAN102-E, 12 June 2014
    assert (c.speaker.name, c.speaker.office, c.speaker.office_source) == (
        "Mr. Tom Lukiwski",
        "Parliamentary Secretary to the Leader of the Government in the House of Commons",
        "record")
    assert (c.speaker.party, c.speaker.constituency, c.date) == ("Conservative", None, "2014-06-12")
    # the same DbId printed later as the bare name keeps the office and party printed for it
    later = [x for x in parsed["HAN102-E.xml"][0] if x.speaker.member_id == c.speaker.member_id]
    assert len(later) > 1 and {x.speaker.party for x in later} == {"Conservative"}
    assert {x.speaker.office for x in later} == {c.speaker.office}


def test_chair_takes_no_party(by_id):
    # DbId 278278 is printed as "Mr. Gabriel Ste-Marie (Joliette, BQ)" too: in the chair, the
    # label is the office and the name
    c = by_id[PREFIX + "12693728"]
    assert c.speaker == Speaker(
        name="Mr. Gabriel Ste-Marie", member_id="ourcommons.ca/affiliation/278278",
        office="The Acting Speaker", office_source="record", chair=True)
    speaker = by_id[PREFIX + "8418225"]
    assert (speaker.speaker.name, speaker.speaker.office, speaker.speaker.chair) == (
        "The Speaker", "The Speaker", True)


def test_turns_printed_inside_an_intervention(by_id):
    # in the Speaker's intervention: a member answers, the House agrees
    yes = by_id[PREFIX + "8418546/para/3819168"]
    assert (yes.kind, yes.speaker.name, yes.text) == (
        Kind.INTERJECTION, "Mr. Royal Galipeau", "Yes, Mr. Speaker.")
    agreed = by_id[PREFIX + "8418546/para/3790244"]
    assert agreed.speaker == Speaker(name="Some hon. members", chair=False)
    assert (agreed.kind, agreed.text) == (Kind.INTERJECTION, "Agreed.")
    back = by_id[PREFIX + "8418546/para/3790243"]
    assert (back.kind, back.speaker.name, back.speaker.chair) == (Kind.SPEECH, "The Speaker", True)
    assert [by_id[PREFIX + "8418546"].position + n for n in (1, 2, 3)] == [
        yes.position, back.position, agreed.position]
    # a member heckled in their own speech takes the floor back: their speech, their seat
    resumed = by_id[PREFIX + "12693211/para/8336519"]
    assert (resumed.kind, resumed.speaker.name, resumed.speaker.party,
            resumed.speaker.constituency) == (
        Kind.SPEECH, "Mr. Todd Doherty", "Conservative", "Cariboo—Prince George")
    assert by_id[PREFIX + "12693211/para/8336518"].text == "Oh, oh!"
    # a bold label names the one member printed so in the sitting
    welcome = by_id[PREFIX + "12693208/para/8336488"]
    assert (welcome.speaker.name, welcome.speaker.party, welcome.speaker.member_id) == (
        "Mr. Kevin Lamoureux", "Liberal", "ourcommons.ca/affiliation/278257")


def test_every_speaker_name_is_printed_in_its_element(parsed):
    for name, (found, _) in parsed.items():
        root = ET.parse(DATA / name).getroot()
        printed = {el.get("id"): "".join(el.find("PersonSpeaking").itertext())
                   for el in root.iter("Intervention")}
        printed |= {el.get("id"): "".join(el.itertext()) for el in root.iter("ParaText")}
        for c in found:
            element_id = c.id.rsplit("/", 1)[1]
            assert c.speaker.name and c.speaker.name in " ".join(printed[element_id].split())


def test_label_reading():
    assert read_label("Hon. Lynne Yelich (Minister of State (Foreign Affairs and Consular), "
                      "CPC)") == ca_hansard_xml.Label(
        "Hon. Lynne Yelich", "Minister of State (Foreign Affairs and Consular)", "CPC")
    assert read_label("The Acting CHAIR (during the vote)").name == (
        "The Acting CHAIR (during the vote)")
    assert read_label("Some hon. members:") == ca_hansard_xml.Label("Some hon. members")


def test_truncated_file_keeps_what_came_before(tmp_path, parsed):
    source = DATA / "44-1-200-en.xml"
    data = source.read_bytes()
    broken = tmp_path / source.name
    broken.write_bytes(data[: len(data) // 2])
    found, issues = parse_file(broken, None, "t", tmp_path)
    whole = parsed[source.name][0]
    assert len(issues) == 1 and "not well-formed" in issues[0].message
    assert issues[0].file == source.name and issues[0].line > 1000
    assert 100 < len(found) < len(whole)
    assert [c.id for c in found] == [c.id for c in whole[: len(found)]]


def test_plain_paths():
    assert list_source_files(DATA) == [DATA / name for name in FILES]
    assert ca_hansard_xml.find_tree_root(DATA / FILES[0]) == DATA.resolve()


def test_manifest_materializes_from_the_mirror(tmp_path):
    manifest = load_manifest(MANIFEST)
    corpus = materialize(manifest, tmp_path, progress=False)
    assert (manifest.format, corpus.issues, corpus.root) == ("ca-hansard-xml", (), DATA.resolve())
    assert [f.path for f in manifest.files] == list(FILES)
    for entry in manifest.files:
        assert sha256_file(corpus.root / entry.path) == entry.sha256
    assert "not state" in manifest.licence.notes
