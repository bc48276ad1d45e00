"""US Congressional Record on the real day in
../shared/data/us-congressional-record-2005-07-20/CREC-2005-07-20."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

import pytest
from data_paths import CORPORA, SHARED_DATA

from indexer.contribution import Kind, Speaker
from indexer.corpus import load_manifest, materialize, sha256_file
from indexer.sources import FORMATS, us_congressional_record
from indexer.sources.us_congressional_record import list_source_files, load_lookups, parse_file

DAY = SHARED_DATA / "us-congressional-record-2005-07-20" / "CREC-2005-07-20"
MANIFEST = CORPORA / "us-congressional-record-2005-07-20.toml"
MODS = "{http://www.loc.gov/mods/v3}"


@pytest.fixture(scope="module")
def issue():
    if not (DAY / "mods.xml").is_file():
        pytest.fail(f"real Congressional Record data not found at {DAY}")
    return load_lookups(DAY, None)


@pytest.fixture(scope="module")
def parsed(issue):
    granules = sorted((DAY / "json").glob("*.json"))
    return {p.name: parse_file(p, issue, "us-test", DAY) for p in granules}


@pytest.fixture(scope="module")
def by_id(parsed):
    return {c.id: c for found, _ in parsed.values() for c in found}


def test_registered():
    assert FORMATS["us-crec"] is us_congressional_record


def test_one_contribution_per_speech_item(parsed):
    total = with_bioguide = 0
    for name, (found, issues) in parsed.items():
        assert issues == []
        items = json.loads((DAY / "json" / name).read_text(encoding="utf-8"))["content"]
        speeches = [i for i in items if i["kind"] == "speech"]
        assert [c.id for c in found] == [f"{name[:-5]}/{i['itemno']}" for i in speeches]
        total += len(speeches)
        with_bioguide += sum(bool(i.get("speaker_bioguide")) for i in speeches)
    assert (total, with_bioguide) == (954, 628)
    assert len(parsed) == 182


def test_party_and_state_are_mods_congmember_attributes(parsed):
    """Every bioguide id resolves, to the party and state GPO gives in that granule."""
    members = {}
    for item in ET.parse(DAY / "mods.xml").getroot().iter(f"{MODS}relatedItem"):
        for cm in item.iter(f"{MODS}congMember"):
            members[(item.get("ID")[3:], cm.get("bioGuideId"))] = (cm.get("party"), cm.get("state"))
    for found, _ in parsed.values():
        for c in found:
            if c.speaker.person_id:
                bioguide = c.speaker.person_id.rsplit("/", 1)[1]
                party, _state = members[(c.debate_id, bioguide)]
                assert c.speaker.party_code == party and c.speaker.party is not None
                assert c.speaker.constituency is not None


def test_every_speaker_name_is_the_printed_label(parsed):
    for name, (found, _) in parsed.items():
        items = json.loads((DAY / "json" / name).read_text(encoding="utf-8"))["content"]
        labels = {str(i["itemno"]): i["speaker"] for i in items}
        for c in found:
            assert c.speaker.name in labels[c.id.rsplit("/", 1)[1]]


def test_extension_of_remarks(by_id):
    c = by_id["CREC-2005-07-20-pt1-PgE1539-3/1"]
    assert c.speaker == Speaker(
        name="Mr. DeFAZIO", person_id="congress.gov/bioguide/D000191",
        member_name="Peter A. DeFazio", party="Democratic", party_code="D",
        constituency="Oregon", chair=False)
    # printed in the 20 July issue; GPO dates the remarks to the day they were made
    assert (c.parliament, c.house, c.kind, c.date, c.column) == (
        "United States Congress", "Extensions of Remarks", Kind.STATEMENT, "2005-07-19", "E1539")
    assert c.debate_title == "FOREIGN RELATIONS AUTHORIZATION ACT, FISCAL YEARS 2006 AND 2007"
    assert c.source_url == ("http://www.gpo.gov/fdsys/pkg/CREC-2005-07-20/html/"
                            "CREC-2005-07-20-pt1-PgE1539-3.htm")
    assert c.text.startswith("Mr. Chairman, I rise in strong support")  # label removed


def test_senate_floor_and_chair(by_id, parsed):
    senate = [c for found, _ in parsed.values() for c in found if c.house == "Senate"]
    mcconnell = next(c for c in senate if c.speaker.name == "Mr. McCONNELL")
    assert (mcconnell.speaker.person_id, mcconnell.speaker.party, mcconnell.speaker.constituency,
            mcconnell.kind) == ("congress.gov/bioguide/M000355", "Republican", "Kentucky",
                                Kind.SPEECH)
    chair = by_id["CREC-2005-07-20-pt1-PgH6114-6/3"]
    assert chair.speaker == Speaker(name="Mr. Foley", office="The SPEAKER pro tempore",
                                    office_source="record", chair=True)
    assert chair.speaker.party is None  # the chair's label carries no bioguide id
    assert (chair.house, chair.time, chair.debate_title) == (
        "House of Representatives", "10:45:00", "PARLIAMENTARY INQUIRY")
    presiding = next(c for c in senate if c.speaker.name == "The PRESIDING OFFICER")
    assert (presiding.speaker.office, presiding.speaker.chair) == ("The PRESIDING OFFICER", True)


def test_text_is_reflowed(by_id):
    chair = by_id["CREC-2005-07-20-pt1-PgH6115-2/2"]
    assert "(Ms. Millender-McDonald) each" in chair.text  # a hyphen at a line end runs on
    assert chair.text.endswith(".\n\nThe Chair recognizes the gentleman from Florida (Mr. Mica).")
    member = by_id["CREC-2005-07-20-pt1-PgH6115-2/4"]
    assert member.speaker.name == "Ms. MILLENDER-McDONALD"
    assert member.text.startswith("Mr. Speaker, I yield myself such time as I may consume.\n\n")
    assert "in the Hall of the House of Representatives and in the Capitol dome" in member.text


def test_ids_unique(parsed):
    ids = [c.id for found, _ in parsed.values() for c in found]
    assert len(ids) == len(set(ids))


def test_lookup_files_are_not_records(issue):
    assert parse_file(DAY / "mods.xml", issue, "t", DAY) == ([], [])


def test_truncated_granule_keeps_what_came_before(tmp_path, issue, parsed):
    name = "CREC-2005-07-20-pt1-PgH6117-3.json"
    data = (DAY / "json" / name).read_text(encoding="utf-8")
    broken = tmp_path / "json" / name
    broken.parent.mkdir()
    broken.write_text(data[: len(data) // 2], encoding="utf-8")
    found, problems = parse_file(broken, issue, "t", tmp_path)
    whole = parsed[name][0]
    assert len(problems) == 1 and "not valid JSON" in problems[0].message
    assert problems[0].file == f"json/{name}" and problems[0].line is not None
    assert 10 < len(found) < len(whole)
    assert [c.id for c in found] == [c.id for c in whole[: len(found)]]
    assert found[0].speaker == whole[0].speaker  # attribution still from mods.xml


def test_plain_paths():
    assert len(list_source_files(DAY / "json")) == 182
    assert us_congressional_record.find_tree_root(DAY / "json" / "x.json") == DAY.resolve()


def test_manifest_materializes_from_the_mirror(tmp_path):
    manifest = load_manifest(MANIFEST)
    corpus = materialize(manifest, tmp_path, progress=False)
    assert (manifest.format, corpus.issues, corpus.root) == ("us-crec", (), DAY.resolve())
    assert len(manifest.files) == 183 and manifest.files[-1].path == "mods.xml"
    assert not any(f.path.startswith("html/") for f in manifest.files)
    for entry in manifest.files:
        assert sha256_file(corpus.root / entry.path) == entry.sha256
    assert "not state" in manifest.licence.notes
