"""The TheyWorkForYou/ParlParse parser against the real 2009-10 UK files."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from lxml import etree

from indexer.contribution import Kind, Speaker
from indexer.errors import CorpusError
from indexer.sources import twfy_xml
from indexer.sources.parlparse_members import CHAIR_OFFICES
from indexer.sources.twfy_chair import chair_notes, is_chair_title
from indexer.sources.twfy_xml import (
    contribution_text,
    find_tree_root,
    list_source_files,
    normalise_time,
    office_in_name,
    parse_file,
    sitting_date,
)

CONTRIBUTION_TAGS = {"speech", "ques", "reply"}
# The bill committee file writes &#145;, &#151;... meaning Windows-1252 characters.
WINDOWS_1252 = {c: bytes([c]).decode("cp1252", errors="ignore") for c in range(0x80, 0xA0)}


@pytest.fixture(scope="module")
def by_id(uk_contributions):
    return {c.id: c for c in uk_contributions}


@pytest.fixture(scope="module")
def people(uk_data: Path) -> dict[str, str]:
    root = ET.parse(uk_data / "members" / "people.xml").getroot()
    return {o.get("id"): p.get("id") for p in root.iter("person") for o in p.iter("office")}


def test_the_module_names_its_format():
    assert twfy_xml.FORMAT == "twfy-xml"
    assert isinstance(twfy_xml.PARSER_VERSION, int)


def test_meg_hillier_answering_home_office_questions(by_id):
    c = by_id["uk.org.publicwhip/debate/2009-10-26b.1.8"]
    assert c.corpus == "uk-test"
    assert (c.kind, c.house, c.date, c.time, c.column) == (
        Kind.SPEECH,
        "House of Commons",
        "2009-10-26",
        "14:30:00",
        "1",
    )
    s = c.speaker
    assert s.name == "Meg Hillier"
    assert s.office == "The Parliamentary Under-Secretary of State for the Home Department"
    assert s.office_source == "record"
    assert (s.party, s.party_code) == ("Labour", "Lab")
    assert s.constituency == "Hackney South & Shoreditch"
    assert s.person_id == "uk.org.publicwhip/person/11605"
    assert s.member_id == "uk.org.publicwhip/member/1605"
    assert c.major_heading == "HOME DEPARTMENT"  # the oral-heading before it is replaced
    assert c.minor_heading == "Animals (Scientific Procedures) Act"
    assert c.debate_title == "HOME DEPARTMENT — Animals (Scientific Procedures) Act"
    assert c.debate_id == "uk.org.publicwhip/debate/2009-10-26b.1.6"
    assert c.position == 2  # after David Taylor's question
    assert c.source_url == (
        "http://www.publications.parliament.uk/pa/cm200809/cmhansrd/cm091026/debtext/"
        "91026-0001.htm#09102612000452"
    )
    assert c.source_file == "debates/debates2009-10-26b.xml"
    assert c.text.startswith("Mr. Speaker, may I say what a pleasure it is to be back")
    assert c.text.count("\n\n") == 1  # two paragraphs
    assert c.text.endswith("which is currently being debated in the European Union.")


def _expected_date(path: Path) -> str:
    """The sitting date from the file name (the parser reads it from ids)."""
    stem = path.stem.rstrip("abcdefghij")
    return stem[-10:]


def _expected_kind(tag: str, path: Path) -> Kind:
    if tag == "ques":
        return Kind.QUESTION
    if tag == "reply":
        return Kind.ANSWER
    return Kind.STATEMENT if path.parent.name == "wms" else Kind.SPEECH


@pytest.fixture(scope="module")
def source_elements(uk_data: Path) -> dict[str, list[ET.Element]]:
    """Every file's <speech>, <ques> and <reply>, read with the standard library's parser."""
    files = sorted(p for p in uk_data.rglob("*.xml") if p.parent.name != "members")
    return {
        p.relative_to(uk_data).as_posix(): [
            el for el in ET.parse(p).getroot() if el.tag in CONTRIBUTION_TAGS
        ]
        for p in files
    }


def test_attribution_walk_over_the_whole_corpus(uk_import, source_elements, people, uk_members):
    """Check every contribution against its element as ElementTree reads it."""
    contributions, issues = uk_import
    assert issues == []
    parsed: dict[str, dict[str, object]] = defaultdict(dict)
    for c in contributions:
        assert c.id not in parsed[c.source_file], f"{c.id} twice"
        parsed[c.source_file][c.id] = c

    assert sorted(parsed) == sorted(source_elements) and len(parsed) == 29
    checked = 0
    given_to_the_deputy = []  # NI deputies' turns, printed under the Speaker's id
    for relative, elements in source_elements.items():
        path = Path(relative)
        ids = Counter(el.get("id") for el in elements)
        assert ids == Counter(list(parsed[relative])), relative
        for el in elements:
            c = parsed[relative][el.get("id")]
            printed = el.get("speakername")
            nobody = (el.get("nospeaker") or "").lower() == "true" or printed is None
            assert c.speaker.name == (None if nobody else " ".join(printed.split())), c.id
            assert c.kind == _expected_kind(el.tag, path), c.id
            assert c.date == _expected_date(path), c.id
            words = "".join(el.itertext()).translate(WINDOWS_1252).split()
            assert words[:3] == c.text.split()[:3], c.id
            speaker_id = el.get("speakerid")
            if c.speaker.member_id not in (None, speaker_id):
                assert c.speaker.chair and c.speaker.name == "Mr Deputy Speaker", c.id
                assert uk_members.chair_office(speaker_id, c.date) == "Speaker", c.id
                given_to_the_deputy.append(c.id)
            elif c.speaker.person_id is not None:
                assert c.speaker.member_id == speaker_id, c.id
                assert c.speaker.person_id == people[speaker_id], c.id
            if speaker_id in (None, "unknown"):
                assert c.speaker.member_id is c.speaker.party is c.speaker.person_id is None
            checked += 1
    assert checked == len(contributions) > 6000
    assert len(given_to_the_deputy) == 9


def test_resolved_party_shares(uk_contributions, source_elements):
    """Share of contributions whose speaker resolves to a party, per house and kind."""
    speaker_ids = {
        el.get("id"): el.get("speakerid")
        for elements in source_elements.values()
        for el in elements
        if (el.get("nospeaker") or "").lower() != "true"
    }
    table: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for c in uk_contributions:
        row = table[(c.house, c.kind.value)]
        row["all"] += 1
        row["named"] += c.speaker.name is not None
        row["known id"] += speaker_ids.get(c.id) not in (None, "unknown")
        # the Speaker and the deputies have their chair as an office, and no party
        row["party"] += c.speaker.party is not None or bool(
            set(CHAIR_OFFICES.values()) & set(c.speaker.offices or ()))
    print(
        f"\n{'house':26} {'kind':9} {'all':>5} {'named':>5} {'id':>5} {'party':>5}"
        f" {'of all':>7} {'of ids':>7}"
    )
    for (house, kind), row in sorted(table.items()):
        print(
            f"{house:26} {kind:9} {row['all']:5} {row['named']:5} {row['known id']:5}"
            f" {row['party']:5} {row['party'] / row['all']:7.1%}"
            f" {row['party'] / row['known id']:7.1%}"
        )
    for (house, kind), row in table.items():
        assert row["party"] / row["known id"] >= 0.95, (house, kind)
        if kind in ("question", "answer", "statement"):
            assert row["party"] / row["all"] >= 0.95, (house, kind)
        else:  # procedural text (nospeaker) and "Hon. Members" have no party
            assert row["party"] / row["all"] >= 0.85, (house, kind)
    written = [row for (_, kind), row in table.items() if kind in ("question", "answer")]
    assert sum(r["party"] for r in written) / sum(r["all"] for r in written) >= 0.95
    commons = table[("House of Commons", "speech")]
    assert commons["party"] / commons["known id"] >= 0.95


def test_peer_in_the_lords(by_id):
    c = by_id["uk.org.publicwhip/lords/2009-10-26a.971.2"]
    assert (c.house, c.kind, c.time) == ("House of Lords", Kind.SPEECH, "14:36:00")  # "014:36:00"
    assert c.speaker.name == "Lord Bach"
    assert c.speaker.peerage == "Lord Bach, of Lutterworth in the County of Leicestershire"
    assert c.speaker.office == "Parliamentary Under-Secretary, Ministry of Justice"
    assert c.speaker.office_source == "members"
    assert c.debate_title == "Commonwealth: Privy Council — Question"  # &mdash; in the heading


def test_lords_written_answer(by_id):
    c = by_id["uk.org.publicwhip/wrans/2009-10-26a.101.2"]
    assert (c.house, c.kind, c.column) == ("House of Lords", Kind.ANSWER, "101")
    assert c.speaker.member_name == "Baroness Taylor of Bolton"
    assert c.debate_title == "Armed Forces: Unmanned Aircraft"
    question = by_id["uk.org.publicwhip/wrans/2009-10-26a.101.1"]
    assert (question.kind, question.speaker.name) == (Kind.QUESTION, "Lord Moonie")


def test_commons_written_question_and_answer(by_id):
    q = by_id["uk.org.publicwhip/wrans/2009-10-26f.294961.q0"]
    r = by_id["uk.org.publicwhip/wrans/2009-10-26f.294961.r0"]
    assert (q.kind, q.house, q.column, q.time) == (Kind.QUESTION, "House of Commons", "1W", None)
    assert (r.kind, r.house) == (Kind.ANSWER, "House of Commons")
    assert q.speaker.name == "David Drew" and q.speaker.party == "Labour"
    assert r.speaker.name == "Stuart Bell"
    assert (q.speaker.chair, r.speaker.chair) == (False, False)  # no one presides over these
    assert q.debate_title == r.debate_title == "CHURCH COMMISSIONERS — Ministers of Religion"
    assert (q.position, r.position) == (1, 2)
    assert "how many (a) full-time and (b) part-time non-stipendiary Ministers" in q.text


def test_tables_become_one_row_a_line(by_id, uk_contributions):
    c = by_id["uk.org.publicwhip/wrans/2009-10-26f.293337.r0"]
    assert c.text.split("\n\n")[1] == (
        "| Expenditure (£)\n2006-07 | 14,523.24\n2007-08 | 7,431.06\n2008-09 | 10,710.80"
    )
    with_tables = [c for c in uk_contributions if " | " in c.text]
    assert len(with_tables) > 250


def test_written_ministerial_statement(by_id):
    c = by_id["uk.org.publicwhip/wms/2009-10-26c.1WS.2"]
    assert (c.kind, c.house, c.column) == (Kind.STATEMENT, "House of Commons", "1WS")
    assert c.speaker.name == "Ian Lucas"
    assert c.speaker.office == (
        "The Parliamentary Under-Secretary of State for Business, Innovation and Skills"
    )
    assert "took place in Umeå, Sweden on 14 and 16 October" in c.text  # &#229; and <phrase>


def test_westminster_hall(by_id):
    c = by_id["uk.org.publicwhip/westminhall/2009-10-27a.1.2"]
    assert (c.house, c.kind, c.time) == ("Westminster Hall", Kind.SPEECH, "09:30:00")
    assert c.speaker.name == "Anne Main" and c.speaker.party == "Conservative"
    assert c.debate_title == "[David Taylor in the Chair] — Biofuels"
    assert c.major_heading is None
    assert by_id["uk.org.publicwhip/westminhall/2009-10-27a.1.1"].time is None  # "unknown"


def test_scottish_office_holder_and_member(by_id):
    c = by_id["uk.org.publicwhip/spor/2009-10-28.20531.2"]
    assert c.house == "Scottish Parliament"
    assert c.speaker.name == (
        "The Cabinet Secretary for Education and Lifelong Learning (Fiona Hyslop)"
    )
    assert c.speaker.office == "The Cabinet Secretary for Education and Lifelong Learning"
    assert c.speaker.office_source == "record"
    assert c.speaker.member_name == "Fiona Hyslop"
    assert c.speaker.constituency == "Lothians"
    assert c.time == "14:34:00"
    assert "an additional investment of £30 million" in c.text  # &pound;

    q = by_id["uk.org.publicwhip/spwa/2009-10-27.S3W-27924.q0"]
    assert (q.kind, q.house, q.date) == (Kind.QUESTION, "Scottish Parliament", "2009-10-27")
    assert q.speaker.name == "Bill Aitken (Glasgow) (Con)"
    assert q.speaker.office is None
    assert (q.speaker.party, q.speaker.constituency) == ("Conservative", "Glasgow")


def test_scottish_time_from_place_holders(by_id):
    # no time attribute: the <place-holder time="09:00:00"/> inside it
    assert by_id["uk.org.publicwhip/spor/2009-10-29.20605.0"].time == "09:00:00"


def test_northern_ireland_assembly(by_id):
    c = by_id["uk.org.publicwhip/ni/2009-10-12.1.2"]
    assert (c.house, c.time, c.source_url) == ("Northern Ireland Assembly", "13:00:00", None)
    assert c.speaker.name == "Carál Ní Chuilín"
    assert c.speaker.party == "Sinn Féin"
    first = by_id["uk.org.publicwhip/ni/2009-10-12.0.1"]  # before any heading
    assert (first.debate_id, first.debate_title, first.position) == ("ni2009-10-12#start", "", 1)
    assert first.speaker == Speaker(name=None)
    assert "Members observed two minutes’ silence." in first.text  # &rsquo;


WOOLAS_POSTS = (
    "Minister of State, Home Office",
    "Minister of State, HM Treasury",
    "Minister of State, Regional Affairs",
)


@pytest.mark.parametrize("gid", [
    "uk.org.publicwhip/debate/2009-10-26b.6.0",  # oral questions: HOME DEPARTMENT — Work Visas
    "uk.org.publicwhip/wrans/2009-10-26f.295141.r0",  # written answer under HOME DEPARTMENT
])
def test_a_minister_of_several_posts_answers_in_the_post_the_heading_names(by_id, gid):
    c = by_id[gid]
    assert (c.major_heading, c.speaker.member_name) == ("HOME DEPARTMENT", "Phil Woolas")
    assert (c.speaker.office, c.speaker.office_source) == (
        "Minister of State, Home Office", "members")
    assert c.speaker.offices == WOOLAS_POSTS  # the others stay available


def test_a_heading_naming_none_of_the_posts_keeps_them_all(by_id):
    c = by_id["uk.org.publicwhip/wrans/2009-10-27c.295062.r0"]  # HOME DEPARTMENT — Weston Hotel
    assert c.speaker.member_name == "Maria Eagle"
    assert c.speaker.office == (
        "Minister of State, Ministry of Justice; Minister of State, Government Equalities Office")
    justice = by_id["uk.org.publicwhip/wrans/2009-10-26f.295383.r0"]
    assert (justice.major_heading, justice.speaker.office) == (
        "JUSTICE", "Minister of State, Ministry of Justice")
    equality = by_id["uk.org.publicwhip/wrans/2009-10-26f.294052.r0"]
    assert (equality.major_heading, equality.speaker.office) == (
        "WOMEN AND EQUALITY", "Minister of State, Government Equalities Office")


def test_the_speaker_has_an_office_and_no_party(by_id):
    c = by_id["uk.org.publicwhip/debate/2009-10-26b.6.2"]
    s = c.speaker
    assert (s.name, s.member_name, s.constituency) == ("Mr. Speaker", "John Bercow", "Buckingham")
    assert (s.party, s.party_code) == (None, None)  # reduced-all-members.xml: party="SPK"
    assert (s.office, s.office_source, s.offices, s.chair) == (
        "Speaker", "members", ("Speaker",), True)


def test_commons_deputy_speaker_turns_are_chair_turns(by_id):
    c = by_id["uk.org.publicwhip/debate/2009-10-26b.93.1"]
    s = c.speaker
    assert (s.name, s.member_name, s.chair) == ("Mr. Deputy Speaker", "Alan Haselhurst", True)
    assert (s.party, s.office, s.office_source) == (None, "Chairman of Ways and Means", "members")
    heal = by_id["uk.org.publicwhip/debate/2009-10-28c.342.2"].speaker
    assert (heal.name, heal.office, heal.office_source, heal.chair) == (
        "Madam Deputy Speaker", "Madam Deputy Speaker", "record", True)
    assert heal.offices == ("Deputy Chairman of Ways and Means",)
    member = by_id["uk.org.publicwhip/debate/2009-10-26b.6.1"].speaker  # Tony Baldry
    assert (member.party, member.chair) == ("Conservative", False)
    assert by_id["uk.org.publicwhip/debate/2009-10-26b.130.4"].speaker.chair is None  # Hon. Members


def test_northern_ireland_deputy_in_the_chair_by_the_note(by_id):
    # "( Mr Deputy Speaker [Mr Dallat] in the Chair)" in 3.3; 3.4 carries the Speaker's id
    c = by_id["uk.org.publicwhip/ni/2009-10-12.3.4"]
    s = c.speaker
    assert (s.name, s.chair) == ("Mr Deputy Speaker", True)
    assert (s.member_id, s.member_name) == ("uk.org.publicwhip/member/90269", "John Dallat")
    assert (s.party, s.constituency, s.office) == (
        "Social Democratic and Labour Party", "East Londonderry", None)
    # after "(Mr Deputy Speaker [Mr McClarty] in the Chair)", printed under his own name
    mcclarty = by_id["uk.org.publicwhip/ni/2009-10-12.4.1"].speaker
    assert (mcclarty.member_name, mcclarty.chair) == ("David McClarty", True)
    # "(Mr Speaker in the Chair)": the Speaker, whose party field is "Speaker"
    hay = by_id["uk.org.publicwhip/ni/2009-10-12.7.43"].speaker
    assert (hay.name, hay.member_name, hay.party, hay.office, hay.chair) == (
        "Mr Speaker", "William Hay", None, "Speaker", True)
    # the next day Mr Dallat speaks from the floor, with the Speaker in the chair
    floor = by_id["uk.org.publicwhip/ni/2009-10-13.1.20"].speaker
    assert (floor.member_name, floor.chair) == ("John Dallat", False)


def test_westminster_hall_and_committee_chairs_by_the_note(by_id):
    # minor heading "[David Taylor in the Chair] — Biofuels"
    assert by_id["uk.org.publicwhip/westminhall/2009-10-27a.6.3"].speaker.chair is True
    assert by_id["uk.org.publicwhip/westminhall/2009-10-27a.1.2"].speaker.chair is False
    # "[Dr. William McCrea in the Chair]" at the end of a heading
    mccrea = by_id["uk.org.publicwhip/westminhall/2009-10-28a.108.5"].speaker
    assert (mccrea.member_name, mccrea.chair) == ("William McCrea", True)
    # a paragraph "[Robert Key in the Chair]"
    committee = "uk.org.publicwhip/standing/standing2009-10-20_CHILDPOV_05-0_2009-10-27a"
    assert by_id[f"{committee}.2.3"].speaker.chair is True  # Robert Key
    assert by_id[f"{committee}.2.2"].speaker.chair is False  # Andrew Selous


def test_chair_turns_over_the_corpus(uk_contributions):
    chair = Counter((c.house, c.speaker.chair) for c in uk_contributions)
    assert not any(c.speaker.chair for c in uk_contributions if c.kind is not Kind.SPEECH)
    assert chair[("House of Commons", True)] == 77  # Mr. Speaker 56, deputies 21
    assert chair[("Scottish Parliament", True)] == 76  # the (Deputy) Presiding Officer
    assert chair[("Northern Ireland Assembly", True)] == 55
    assert chair[("House of Lords", True)] == 0  # no chair turn printed as such
    assert {c.speaker.party for c in uk_contributions} & {
        "Speaker", "Chairman of Ways and Means", "Deputy Chairman of Ways and Means"} == set()


def test_a_note_naming_no_single_member_leaves_the_person_unknown(tmp_path, uk_members):
    path = tmp_path / "ni2009-10-12.xml"
    path.write_text(
        '<publicwhip><speech id="uk.org.publicwhip/ni/2009-10-12.1.0" nospeaker="true">'
        "<p>The Assembly met at 1.00 pm (Mr Speaker in the Chair).</p></speech>"
        '<speech id="uk.org.publicwhip/ni/2009-10-12.1.1" '
        'speakerid="uk.org.publicwhip/member/90327" speakername="Carál Ní Chuilín">'
        "<p>I beg to move.</p><p>(Mr Deputy Speaker [Mr Nobody] in the Chair)</p></speech>"
        '<speech id="uk.org.publicwhip/ni/2009-10-12.1.2" '
        'speakerid="uk.org.publicwhip/member/90355" speakername="Mr Deputy Speaker">'
        "<p>Order.</p></speech>"
        '<speech id="uk.org.publicwhip/ni/2009-10-12.1.3" '
        'speakerid="uk.org.publicwhip/member/90304" speakername="David McClarty">'
        "<p>A point.</p></speech></publicwhip>"
    )
    found, issues = parse_file(path, uk_members, "t", tmp_path)
    assert issues == []
    assert found[0].speaker == Speaker(name=None)
    assert found[1].speaker.chair is False  # the Speaker presides: the note comes after her
    assert found[2].speaker == Speaker(name="Mr Deputy Speaker", chair=True)
    assert found[3].speaker.chair is None  # may be the deputy the note could not single out


def test_public_bill_committee(by_id):
    c = by_id["uk.org.publicwhip/standing/standing2009-10-20_CHILDPOV_05-0_2009-10-27a.2.2"]
    assert (c.house, c.date, c.time, c.column) == (
        "Public Bill Committee",
        "2009-10-27",
        "10:30:00",
        "125",
    )
    assert c.speaker.name == "Andrew Selous" and c.speaker.party == "Conservative"
    assert c.debate_title == "Public Bill Committee — Clause 1"
    # &#151; / &#145; / &#146; are Windows-1252 code points in a UTF-8 file
    assert "at end insert—" in c.text
    assert "‘(e) the reductions" in c.text
    assert not any("\x80" <= ch <= "\x9f" for ch in c.text)


def test_a_major_heading_resets_the_minor_heading(by_id):
    c = by_id["uk.org.publicwhip/debate/2009-10-26b.1.5"]  # after "Committee of Selection"
    assert (c.major_heading, c.minor_heading) == ("HOME DEPARTMENT", None)
    assert (c.debate_id, c.debate_title) == (
        "uk.org.publicwhip/debate/2009-10-26b.1.4",
        "HOME DEPARTMENT",
    )


def test_markup_is_flattened_and_empty_paragraphs_dropped():
    el = etree.fromstring(
        "<speech><p>one<br/>two <i>three</i>four\n  five</p><p> </p>"
        "<table><tr><td>a</td><td/><td>c</td></tr><tr><td/></tr></table>loose</speech>"
    )
    assert contribution_text(el) == "one two threefour five\n\na |  | c\n\nloose"
    assert contribution_text(etree.fromstring("<speech>  only <b>its</b> own text </speech>")) == (
        "only its own text"
    )


def test_a_contribution_without_text_is_an_issue(tmp_path, uk_members):
    path = tmp_path / "debates2009-10-26z.xml"
    path.write_text(
        '<publicwhip><speech id="uk.org.publicwhip/debate/2009-10-26z.1.1" nospeaker="true">'
        "\n<p> </p></speech>\n"
        '<speech id="uk.org.publicwhip/debate/2009-10-26z.1.2" speakerid="unknown" '
        'speakername="Hon. Members"><p>Hear, hear.</p></speech></publicwhip>'
    )
    found, issues = parse_file(path, uk_members, "t", tmp_path)
    assert [c.id for c in found] == ["uk.org.publicwhip/debate/2009-10-26z.1.2"]
    assert found[0].position == 1 and found[0].debate_id == "debates2009-10-26z#start"
    assert [(i.file, i.line) for i in issues] == [("debates2009-10-26z.xml", 1)]
    assert "no text" in issues[0].message


def test_time_is_the_latest_place_holder_before_the_contribution(tmp_path, uk_members):
    path = tmp_path / "sp2009-10-28.xml"
    path.write_text(
        '<publicwhip><place-holder time="14:30:00"/>'
        '<speech id="uk.org.publicwhip/spor/2009-10-28.1.1" nospeaker="true">'
        '<p>Begins.</p><place-holder time="14:45:00"/><p>Goes on.</p></speech>'
        '<speech id="uk.org.publicwhip/spor/2009-10-28.1.2" nospeaker="true"><p>Next.</p>'
        '</speech><speech id="uk.org.publicwhip/spor/2009-10-28.1.3" time="15:00" '
        'nospeaker="true"><p>Own time.</p></speech></publicwhip>'
    )
    found, issues = parse_file(path, uk_members, "t", tmp_path)
    assert issues == []
    assert [c.time for c in found] == ["14:30:00", "14:45:00", "15:00:00"]
    assert {c.house for c in found} == {"Scottish Parliament"}


def test_a_written_statement_by_a_peer_belongs_to_the_lords(tmp_path, uk_members):
    path = tmp_path / "ministerial2009-10-26z.xml"
    path.write_text(
        '<publicwhip><speech id="uk.org.publicwhip/wms/2009-10-26z.1WS.1" '
        'speakerid="uk.org.publicwhip/lord/100030" speakername="Lord Bach"><p>A.</p></speech>'
        '<speech id="uk.org.publicwhip/wms/2009-10-26z.1WS.2" '
        'speakerid="uk.org.publicwhip/member/1605" speakername="Meg Hillier"><p>B.</p></speech>'
        "</publicwhip>"
    )
    found, _ = parse_file(path, uk_members, "t", tmp_path)
    assert [(c.kind, c.house) for c in found] == [
        (Kind.STATEMENT, "House of Lords"),
        (Kind.STATEMENT, "House of Commons"),
    ]


def test_unknown_and_absent_speakers(by_id):
    c = by_id["uk.org.publicwhip/debate/2009-10-26b.130.4"]  # speakerid="unknown"
    assert c.speaker == Speaker(name="Hon. Members")
    c = by_id["uk.org.publicwhip/debate/2009-10-26b.1.2"]  # nospeaker="true"
    assert c.speaker == Speaker(name=None)
    assert c.debate_title == "BUSINESS BEFORE QUESTIONS — Committee of Selection"


def test_entities_and_latin1(uk_data, by_id, uk_contributions):
    c = by_id["uk.org.publicwhip/lords/2009-10-26a.971.4"]
    assert "the Caribbean Court of Justice—indeed" in c.text  # &mdash;
    raw = (uk_data / "debates" / "debates2009-10-27d.xml").read_bytes()
    assert b"caught on tape by RT\xc9," in raw  # a raw ISO-8859-1 byte
    assert any(
        "caught on tape by RTÉ," in c.text
        for c in uk_contributions
        if c.source_file == "debates/debates2009-10-27d.xml"
    )
    opik = [c for c in uk_contributions if c.speaker.member_id == "uk.org.publicwhip/member/1720"]
    assert opik and all(c.speaker.name == c.speaker.member_name == "Lembit Öpik" for c in opik)
    assert "Expenditure (£)" in by_id["uk.org.publicwhip/wrans/2009-10-26f.293337.r0"].text
    assert not any("Ã" in c.text or "&" + "mdash;" in c.text for c in uk_contributions)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("009:30:00", "09:30:00"),
        ("13:00", "13:00:00"),
        ("unknown", None),
        ("", None),
        (None, None),
        ("25:10:00", None),
        ("014:36:00", "14:36:00"),
    ],
)
def test_normalise_time(value, expected):
    assert normalise_time(value) == expected


def test_sitting_date_and_printed_office():
    assert sitting_date("uk.org.publicwhip/debate/2009-10-26b.1.8") == "2009-10-26"
    gid = "uk.org.publicwhip/standing/standing2009-10-20_CHILDPOV_05-0_2009-10-27a.2.2"
    assert sitting_date(gid) == "2009-10-27"
    assert sitting_date("uk.org.publicwhip/debate/2009-13-45a.1.1") is None
    assert office_in_name("The First Minister (Alex Salmond)") == "The First Minister"
    assert office_in_name("Bill Aitken (Glasgow) (Con)") is None
    assert office_in_name("Father Paul Kelly (St Michael's Church, Linlithgow)") is None
    assert office_in_name("Meg Hillier") is None


@pytest.mark.parametrize(
    ("printed", "chair"),
    [
        ("Mr. Speaker", True),
        ("Madam Deputy Speaker", True),
        ("Mr Deputy Speaker", True),
        ("The Presiding Officer (Alex Fergusson)", True),
        ("The Deputy Presiding Officer", True),
        ("The Chairman", True),
        ("The Deputy First Minister and Cabinet Secretary for Health and Wellbeing "
         "(Nicola Sturgeon)", False),
        ("The Earl of Listowel", False),
        ("David Taylor", False),
        (None, False),
    ],
)
def test_chair_titles(printed, chair):
    assert is_chair_title(printed) is chair


def test_chair_notes_as_printed():
    found = chair_notes("I welcome that. ( Mr Deputy Speaker [Mr Dallat] in the Chair) Next.")
    assert [(n.title, n.name) for n in found] == [("Mr Deputy Speaker", "Mr Dallat")]
    assert found[0].start == len("I welcome that. ")
    assert [(n.title, n.name) for n in chair_notes(
        "The Assembly met at 10.30 am (Mr Speaker in the Chair).")] == [("Mr Speaker", None)]
    assert [(n.title, n.name) for n in chair_notes(
        "[Mrs. Joan Humble in the Chair] — [Mr. Speaker in the Chair]")] == [
        (None, "Mrs. Joan Humble"), ("Mr. Speaker", None)]
    assert chair_notes("The Member knows that I was not in the Chair at that time.") == []


def test_every_file_of_the_folder_parses(uk_import):
    """Each source file of the folder gives contributions and no issue. (How long parsing
    takes is measured, not asserted: bench/build.py reports it as `parse`.)"""
    contributions, issues = uk_import
    assert issues == []
    per_file = Counter(c.source_file for c in contributions)
    assert len(per_file) == 29 and min(per_file.values()) >= 5  # the shortest: a day's wms
    assert sum(per_file.values()) == len(contributions) == 6893


def test_list_source_files(uk_data):
    files = list_source_files(uk_data)
    assert len(files) == 29 and files == sorted(files)
    assert not any("members" in p.parts for p in files)
    one = uk_data / "wms" / "ministerial2009-10-27a.xml"
    assert list_source_files(one) == [one]
    assert list_source_files(uk_data / "wms") == sorted((uk_data / "wms").glob("*.xml"))
    with pytest.raises(CorpusError, match="does not exist"):
        list_source_files(uk_data / "nowhere")


def _tree(tmp_path: Path, uk_data: Path) -> Path:
    (tmp_path / "members").symlink_to(uk_data / "members")
    (tmp_path / "debates").mkdir()
    return tmp_path


def test_only_the_latest_version_of_a_day_is_used(tmp_path, uk_data, uk_members):
    root = _tree(tmp_path, uk_data)
    original = (uk_data / "debates" / "debates2009-10-29a.xml").read_bytes()
    marked = b'<publicwhip scrapeversion="a" latest="yes">'
    unmarked = b'<publicwhip scrapeversion="a">'
    said = b"Third Reading opposed and deferred"
    assert original.count(marked) == 1 and said in original
    rescraped = original.replace(said, b"Rescraped: opposed and deferred", 1)
    version_a = root / "debates" / "debates2009-10-29a.xml"
    version_b = root / "debates" / "debates2009-10-29b.xml"

    def first_text(paths: list[Path]) -> str:
        (path,) = paths
        found, _ = parse_file(path, uk_members, "t", root)
        return found[0].text

    version_a.write_bytes(original.replace(marked, unmarked))
    version_b.write_bytes(rescraped)
    assert list_source_files(root) == [version_b]  # marked latest
    assert first_text(list_source_files(root)).startswith("Rescraped: opposed")

    version_b.write_bytes(rescraped.replace(marked, unmarked))
    assert list_source_files(root) == [version_b]  # nothing marked: the highest letter

    version_a.write_bytes(original)
    assert list_source_files(root) == [version_a]  # marked latest beats a higher letter
    assert first_text(list_source_files(root)).startswith("Third Reading opposed")

    other_day = root / "debates" / "debates2009-10-28c.xml"
    shutil.copy(uk_data / "debates" / "debates2009-10-28c.xml", other_day)
    assert list_source_files(root / "debates") == [other_day, version_a]


def test_malformed_file_keeps_what_came_before(tmp_path, uk_data, uk_members):
    source = uk_data / "debates" / "debates2009-10-26b.xml"
    whole, _ = parse_file(source, uk_members, "t", uk_data)
    broken = tmp_path / "debates" / "debates2009-10-26b.xml"
    broken.parent.mkdir()
    data = source.read_bytes()
    broken.write_bytes(data[: len(data) // 2])

    found, issues = parse_file(broken, uk_members, "t", tmp_path)
    assert len(issues) == 1
    issue = issues[0]
    assert issue.file == "debates/debates2009-10-26b.xml"
    assert issue.line is not None and issue.line > 100
    assert "not well-formed" in issue.message
    assert str(issue).startswith(f"debates/debates2009-10-26b.xml:{issue.line}: ")
    assert 100 < len(found) < len(whole)
    assert [c.id for c in found] == [c.id for c in whole[: len(found)]]


def test_element_without_id_is_reported_and_skipped(tmp_path, uk_data, uk_members):
    source = uk_data / "wms" / "ministerial2009-10-27a.xml"
    data = source.read_bytes()
    speech = b'<speech id="uk.org.publicwhip/wms/'
    first = data.index(speech)
    edited = data.replace(speech, b'<speech gid="uk.org.publicwhip/wms/', 1)
    target = tmp_path / "ministerial2009-10-27a.xml"
    target.write_bytes(edited)
    whole, _ = parse_file(source, uk_members, "t", uk_data)
    found, issues = parse_file(target, uk_members, "t", tmp_path)
    assert len(found) == len(whole) - 1
    assert len(issues) == 1 and "without an id" in issues[0].message
    assert issues[0].line == data[:first].count(b"\n") + 1


def test_find_tree_root(uk_data, tmp_path):
    assert find_tree_root(uk_data / "debates" / "debates2009-10-26b.xml") == uk_data.resolve()
    assert find_tree_root(uk_data / "scottish-parliament") == uk_data.resolve()
    assert find_tree_root(uk_data) == uk_data.resolve()
    lonely = tmp_path / "debates"
    lonely.mkdir()
    with pytest.raises(CorpusError, match="no members/ folder"):
        find_tree_root(lonely)
