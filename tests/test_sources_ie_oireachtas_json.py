"""Oireachtas debate JSON on the real Dáil sitting in
../shared/data/ie-oireachtas-dail-2016-05-25."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from data_paths import CORPORA, SHARED_DATA

from indexer.contribution import Kind, Speaker
from indexer.corpus import load_manifest, materialize, sha256_file
from indexer.sources import FORMATS, ie_oireachtas_json
from indexer.sources.ie_oireachtas_json import list_source_files, parse_file
from indexer.sources.partial_json import read_record

DATA = SHARED_DATA / "ie-oireachtas-dail-2016-05-25"
DAY = DATA / "debate_Dail_Eireann_2016-05-25.json"
MANIFEST = CORPORA / "ie-dail-2016-05-25.toml"
PREFIX = "oireachtas.ie/dail/2016-05-25/"


@pytest.fixture(scope="module")
def raw():
    if not DAY.is_file():
        pytest.fail(f"real Oireachtas data not found at {DAY}")
    return json.loads(DAY.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def parsed(raw):
    return parse_file(DAY, None, "ie-test", DATA)


@pytest.fixture(scope="module")
def by_id(parsed):
    return {c.id: c for c in parsed[0]}


def test_registered():
    assert FORMATS["ie-oireachtas-json"] is ie_oireachtas_json


def test_counts_per_section(raw, parsed):
    found, issues = parsed
    in_file = {s["debate_section_id"]: len(s["speeches"]) for s in raw["sections"]}
    imported = Counter(c.debate_id.removeprefix(PREFIX) for c in found)
    assert sum(in_file.values()) == 514
    # sections without subsections: every speech, once
    for section in ("dbsect_2", "dbsect_4", "dbsect_5", "dbsect_8", "dbsect_13", "dbsect_25"):
        assert imported[section] == in_file[section]
    # a parent repeats its subsection's speeches: kept once, in the subsection
    assert in_file["dbsect_3"] == in_file["dbsect_4"] == 32 and imported["dbsect_3"] == 0
    dropped = sum(int(i.message.split()[1]) for i in issues if "repeated from" in i.message)
    assert dropped == 108 and len(found) == 514 - dropped == 406


def test_ids_unique_and_carry_the_section(parsed):
    ids = [c.id for c in parsed[0]]
    assert len(ids) == len(set(ids))
    # the file uses spk_282 for different speeches in two sections
    assert {PREFIX + "dbsect_20/spk_282", PREFIX + "dbsect_22/spk_282"} <= set(ids)


def test_every_speaker_name_is_the_reference_in_the_file(raw, parsed):
    refs = {(s["debate_section_id"], sp["eid"]): sp["by"] for s in raw["sections"]
            for sp in s["speeches"]}
    for c in parsed[0]:
        section, eid = c.id.removeprefix(PREFIX).split("/")
        assert "#" + c.speaker.name == refs[(section, eid)]
        assert c.speaker.person_id == f"oireachtas.ie/person/{c.speaker.name}"
        assert (c.speaker.party, c.speaker.constituency) == (None, None)  # not in the file


def test_known_speeches(by_id):
    first = by_id[PREFIX + "dbsect_2/spk_1"]
    assert first.speaker == Speaker(name="SeanOFearghaillFF",
                                    person_id="oireachtas.ie/person/SeanOFearghaillFF")
    assert (first.parliament, first.house, first.date, first.kind, first.time) == (
        "Houses of the Oireachtas", "Dáil Éireann", "2016-05-25", Kind.SPEECH, None)
    assert (first.debate_title, first.position) == ("Leaders' Questions", 1)
    assert first.source_url == (
        "https://data.oireachtas.ie/akn/ie/debateRecord/dail/2016-05-25/debate/mul@/dbsect_2.xml")
    assert first.text == ("We will now take Leaders' Questions under Standing Order 29. "
                          "I call Deputy Micheál Martin.")

    taoiseach = by_id[PREFIX + "dbsect_4/spk_47"]
    assert (taoiseach.speaker.name, taoiseach.speaker.office) == ("EndaKenny", None)
    assert (taoiseach.major_heading, taoiseach.minor_heading) == (
        "Ceisteanna - Questions", "EU Meetings")
    assert taoiseach.text.startswith("I propose to take Questions Nos. 1 to 8, inclusive, "
                                     "together.\n\nI met Chancellor Merkel")

    minister = next(c for c in by_id.values() if c.speaker.name == "LeoVaradkar"
                    and c.speaker.office)
    assert minister.speaker == Speaker(
        name="LeoVaradkar", person_id="oireachtas.ie/person/LeoVaradkar",
        office="Minister for Social Protection", office_source="record", chair=False)
    chair = next(c for c in by_id.values() if c.speaker.office == "Acting Chairman")
    assert chair.speaker.chair is True


def test_sections_whose_counts_disagree_lose_their_heading(raw, parsed):
    found, issues = parsed
    water = [c for c in found if c.debate_id == PREFIX + "dbsect_25"]
    assert len(water) == 84
    assert {(c.debate_title, c.major_heading, c.source_url) for c in water} == {("", None, None)}
    assert any(i.message.startswith("dbsect_25 ") and "the record counts 16 by 14" in i.message
               for i in issues)
    leaders = [c for c in found if c.debate_id == PREFIX + "dbsect_2"]
    assert {c.debate_title for c in leaders} == {"Leaders' Questions"}


def test_truncated_file_keeps_the_sections_before(tmp_path, parsed):
    data = DAY.read_text(encoding="utf-8")
    cut = data.index('"debate_section_id": "dbsect_8"')
    broken = tmp_path / DAY.name
    broken.write_text(data[:cut], encoding="utf-8")
    found, issues = parse_file(broken, None, "t", tmp_path)
    breaks = [i for i in issues if "not valid JSON" in i.message]
    assert len(breaks) == 1 and breaks[0].file == DAY.name
    assert breaks[0].line == data[:cut].count("\n") + 1
    whole = [c.id for c in parsed[0]]
    assert [c.id for c in found] == whole[: len(found)]
    assert {c.debate_id.removeprefix(PREFIX) for c in found} == {
        "dbsect_2", "dbsect_4", "dbsect_5", "dbsect_7"}


def test_partial_json_reads_members_and_items_before_a_break():
    head, items, broken = read_record('{"a": 1, "xs": [{"n": 1}, {"n": 2}, {"n"', "xs")
    assert (head, items) == ({"a": 1}, [{"n": 1}, {"n": 2}])
    assert (broken.line, broken.column) == (1, 41)
    assert read_record('{"xs": [1, 2], "b": "c"}', "xs") == ({"xs": [1, 2], "b": "c"}, [1, 2],
                                                           None)


def test_plain_paths():
    assert list_source_files(DATA) == [DAY]
    assert ie_oireachtas_json.find_tree_root(DAY) == DATA.resolve()


def test_manifest_materializes_from_the_mirror(tmp_path):
    manifest = load_manifest(MANIFEST)
    corpus = materialize(manifest, tmp_path, progress=False)
    assert (manifest.format, corpus.issues, corpus.files) == (
        "ie-oireachtas-json", (), (DAY.resolve(),))
    (entry,) = manifest.files
    assert sha256_file(corpus.root / entry.path) == entry.sha256
    assert entry.url.endswith("/json/debate_D%C3%A1il%20%C3%89ireann_2016-05-25.json")
    assert "not state" in manifest.licence.notes
