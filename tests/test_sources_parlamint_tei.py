"""ParlaMint TEI on the real ParlaMint-GB sample sitting (../shared/data/parlamint-gb-sample)."""

from __future__ import annotations

import csv
import shutil
from xml.etree import ElementTree as ET

import pytest
from data_paths import CORPORA, SHARED_DATA

from indexer.contribution import Kind
from indexer.corpus import load_manifest, materialize, sha256_file
from indexer.sources import FORMATS, parlamint_tei
from indexer.sources.parlamint_tei import (
    find_tree_root,
    list_source_files,
    load_lookups,
    parse_file,
)

DATA = SHARED_DATA / "parlamint-gb-sample"
SITTING = DATA / "ParlaMint-GB_2022-07-21-commons.xml"
META = DATA / "ParlaMint-GB_2022-07-21-commons-meta.tsv"
MANIFEST = CORPORA / "parlamint-gb-2022-07-21-sample.toml"
TEI = "{http://www.tei-c.org/ns/1.0}"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"


@pytest.fixture(scope="module")
def parsed():
    if not SITTING.is_file():
        pytest.fail(f"real ParlaMint data not found at {DATA}")
    return parse_file(SITTING, load_lookups(DATA, None), "parlamint-test", DATA)


@pytest.fixture(scope="module")
def by_id(parsed):
    return {c.id: c for c in parsed[0]}


def test_registered():
    assert FORMATS["parlamint-tei"] is parlamint_tei


def test_every_utterance_once_in_order(parsed):
    found, issues = parsed
    utterances = [u.get(XML_ID) for u in ET.parse(SITTING).getroot().iter(TEI + "u")]
    assert utterances == [
        "ParlaMint-GB_2022-07-21-commons.u1",
        "ParlaMint-GB_2022-07-21-commons.u2",
        "ParlaMint-GB_2022-07-21-commons.u405",
        "ParlaMint-GB_2022-07-21-commons.u406",
    ]
    assert [c.id for c in found] == utterances
    assert issues == []


def test_speakers_come_from_the_meta_tsv(parsed):
    with open(META, encoding="utf-8", newline="") as handle:
        rows = {r["ID"]: r for r in csv.DictReader(handle, delimiter="\t")}
    for c in parsed[0]:
        row = rows[c.id]
        assert c.speaker.name == row["Speaker_name"]  # the name as the source writes it
        assert c.speaker.person_id == f"ParlaMint-GB/person/{row['Speaker_ID']}"
        assert (c.speaker.party, c.speaker.party_code) == (
            row["Speaker_party_name"], row["Speaker_party"])
        assert c.speaker.constituency is None and c.speaker.office is None


def test_known_utterances(by_id):
    chair = by_id["ParlaMint-GB_2022-07-21-commons.u1"]
    assert (chair.speaker.name, chair.speaker.chair) == ("Hoyle, Lindsay Harvey", True)
    # ParlaMint's metadata gives the Speaker his former party: kept as the source says
    assert (chair.speaker.party, chair.speaker.party_code) == ("Labour", "LAB")
    assert (chair.parliament, chair.house, chair.date, chair.kind) == (
        "UK Parliament", "House of Commons", "2022-07-21", Kind.SPEECH)
    assert (chair.debate_id, chair.debate_title, chair.position) == (
        "ParlaMint-GB_2022-07-21-commons.head1", "Speaker's Statement", 1)
    assert chair.source_url == (
        "https://hansard-api.parliament.uk/debates/debate/41f5a1c4-1776-4978-99e0-490733031be1.xml")
    assert chair.text.startswith("Before we come to today’s business")
    assert chair.text.count("\n\n") == 3  # four <seg>s
    assert chair.time is None and chair.source_file == SITTING.name

    question = by_id["ParlaMint-GB_2022-07-21-commons.u2"]
    assert (question.speaker.name, question.speaker.party, question.speaker.chair) == (
        "Blackman, Robert John", "Conservative", False)
    assert question.debate_title == "Free Trade Agreement: India"

    minister = by_id["ParlaMint-GB_2022-07-21-commons.u405"]
    assert minister.speaker.name == "Rutley, David Henry"
    # a <div> whose <head> was sampled away: a section of its own, without a title
    assert (minister.debate_id, minister.debate_title, minister.position) == (
        "ParlaMint-GB_2022-07-21-commons.div3", "", 1)
    assert by_id["ParlaMint-GB_2022-07-21-commons.u406"].position == 2


def test_the_meta_tsv_listed_in_a_manifest_is_not_a_record():
    assert parse_file(META, load_lookups(DATA, None), "t", DATA) == ([], [])


def test_list_person_and_org_win_over_the_tsv_and_are_dated(tmp_path):
    """A listPerson/listOrg in the members folder (written here in ParlaMint's own format:
    the real GB ones are not in the mirror) resolve by the sitting date."""
    shutil.copy(SITTING, tmp_path / SITTING.name)
    shutil.copy(META, tmp_path / META.name)
    people = tmp_path / "people"
    people.mkdir()
    (people / "ParlaMint-GB-listPerson.xml").write_text(
        '<listPerson xmlns="http://www.tei-c.org/ns/1.0">'
        '<person xml:id="RobertBlackman"><persName><forename>Bob</forename>'
        "<surname>Blackman</surname></persName>"
        '<affiliation ref="#party.LAB" role="member" from="2005-05-05" to="2010-05-06"/>'
        '<affiliation ref="#party.CON" role="member" from="2010-05-06"/></person>'
        '<person xml:id="DavidRutley"><persName><forename>David</forename>'
        "<surname>Rutley</surname></persName>"
        '<affiliation ref="#party.CON" role="member" from="2010" to="2021"/></person>'
        "</listPerson>", encoding="utf-8")
    (people / "ParlaMint-GB-listOrg.xml").write_text(
        '<listOrg xmlns="http://www.tei-c.org/ns/1.0">'
        '<org xml:id="party.CON" role="politicalParty"><orgName full="yes">Conservative</orgName>'
        '<orgName full="abb">CON</orgName></org>'
        '<org xml:id="parliament.HC" role="parliament"><orgName full="yes">House of Commons'
        "</orgName></org></listOrg>", encoding="utf-8")
    registry = load_lookups(tmp_path, "people")
    assert parlamint_tei.lookup_files(tmp_path, "people") == sorted([
        people / "ParlaMint-GB-listOrg.xml", people / "ParlaMint-GB-listPerson.xml",
        tmp_path / META.name])
    found, issues = parse_file(tmp_path / SITTING.name, registry, "t", tmp_path)
    speakers = {c.id.rsplit(".", 1)[1]: c.speaker for c in found}
    assert issues == []
    assert (speakers["u2"].name, speakers["u2"].party, speakers["u2"].party_code) == (
        "Blackman, Bob", "Conservative", "CON")
    # his party affiliation ended in 2021 ("to" a year covers all of it): unknown in 2022
    assert (speakers["u405"].name, speakers["u405"].party) == ("Rutley, David", None)
    assert speakers["u1"].name == "Hoyle, Lindsay Harvey"  # not in the listPerson: the TSV


def test_without_any_lookup_speakers_keep_only_their_reference(tmp_path):
    shutil.copy(SITTING, tmp_path / SITTING.name)
    found, issues = parse_file(tmp_path / SITTING.name, load_lookups(tmp_path, None), "t",
                               tmp_path)
    assert len(found) == 4
    assert found[0].speaker.person_id == "ParlaMint-GB/person/LindsayHoyle"
    assert found[0].speaker.name is None and found[0].speaker.party is None
    assert "no listPerson and no -meta.tsv" in issues[0].message
    assert len([i for i in issues if "not in listPerson" in i.message]) == 4


def test_truncated_file_keeps_what_came_before(tmp_path, parsed):
    data = SITTING.read_bytes()
    cut = data.index(b'who="#DavidRutley"') + 2000  # inside u405
    broken = tmp_path / SITTING.name
    broken.write_bytes(data[:cut])
    shutil.copy(META, tmp_path / META.name)
    found, issues = parse_file(broken, load_lookups(tmp_path, None), "t", tmp_path)
    assert [c.id for c in found] == [c.id for c in parsed[0][:2]]
    assert len(issues) == 1 and "not well-formed" in issues[0].message
    assert issues[0].file == SITTING.name
    assert issues[0].line == data[:cut].count(b"\n") + 1


def test_plain_paths():
    assert list_source_files(DATA) == [SITTING]
    assert list_source_files(SITTING) == [SITTING]
    assert find_tree_root(SITTING) == DATA.resolve()


def test_manifest_materializes_from_the_mirror(tmp_path):
    manifest = load_manifest(MANIFEST)
    assert (manifest.format, manifest.mirror) == ("parlamint-tei", DATA.resolve())
    corpus = materialize(manifest, tmp_path, progress=False)
    assert corpus.issues == ()
    assert {f.path for f in manifest.files} == {SITTING.name, META.name}
    for entry in manifest.files:
        assert sha256_file(corpus.root / entry.path) == entry.sha256
        assert entry.url.startswith("https://raw.githubusercontent.com/clarin-eric/ParlaMint/")
    assert "CC BY 4.0" in manifest.licence.name
