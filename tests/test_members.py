"""MemberRegistry against the real ParlParse members files."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from indexer.contribution import Speaker
from indexer.sources.parlparse_members import (
    CHAIR_OFFICES,
    PARTY_NAMES,
    MemberRegistry,
    department_key,
    party_name,
)

SITTING = "2009-10-26"
MEG_HILLIER = "uk.org.publicwhip/member/1605"
LORD_BACH = "uk.org.publicwhip/lord/100030"
PHIL_WOOLAS = "uk.org.publicwhip/member/1752"
WOOLAS_POSTS = (
    "Minister of State, Home Office",
    "Minister of State, HM Treasury",
    "Minister of State, Regional Affairs",
)


@pytest.fixture(scope="module")
def people(uk_data: Path) -> dict[str, str]:
    """people.xml read with the standard library: office id -> person id."""
    root = ET.parse(uk_data / "members" / "people.xml").getroot()
    return {o.get("id"): p.get("id") for p in root.iter("person") for o in p.iter("office")}


def test_mp_resolves_for_the_sitting_date(uk_members, people):
    speaker = uk_members.resolve(MEG_HILLIER, "Meg  Hillier\n", SITTING)
    assert speaker.name == "Meg Hillier"
    assert speaker.person_id == people[MEG_HILLIER] == "uk.org.publicwhip/person/11605"
    assert speaker.member_id == MEG_HILLIER
    assert speaker.member_name == "Meg Hillier"
    assert (speaker.party, speaker.party_code) == ("Labour", "Lab")
    # reduced-all-members.xml writes "Hackney South &amp; Shoreditch"
    assert speaker.constituency == "Hackney South & Shoreditch"
    assert speaker.peerage is None
    # ministers.xml has a gap 2009-08-10..2009-11-12 (maternity leave): no office from members
    assert (speaker.office, speaker.office_source) == (None, None)


def test_printed_office_wins_over_members_data(uk_members):
    hanson = "uk.org.publicwhip/member/1530"
    printed = "The Minister for Policing, Crime and Counter-Terrorism"
    speaker = uk_members.resolve(hanson, "David Hanson", SITTING, printed)
    assert (speaker.office, speaker.office_source) == (printed, "record")
    speaker = uk_members.resolve(hanson, "David Hanson", SITTING)
    assert (speaker.office, speaker.office_source) == ("Minister of State, Home Office", "members")
    assert speaker.offices == ("Minister of State, Home Office",)


def test_office_comes_from_the_same_person_under_an_older_member_id(uk_members):
    # Stuart Bell's post is recorded against member/725 (his 1997-2001 seat); he sits as 1713.
    speaker = uk_members.resolve("uk.org.publicwhip/member/1713", "Stuart Bell", SITTING)
    assert speaker.office == "Second Church Estates Commissioner"  # dept "No Department"
    assert speaker.office_source == "members"


def test_several_government_posts_are_joined(uk_members):
    speaker = uk_members.resolve(PHIL_WOOLAS, "Phil Woolas", SITTING)
    assert speaker.office == (
        "Minister of State, Home Office; Minister of State, HM Treasury; "
        "Minister of State, Regional Affairs"
    )
    assert speaker.offices == WOOLAS_POSTS
    # a heading that names none of his departments (or no heading) keeps them all
    assert uk_members.resolve(PHIL_WOOLAS, "Phil Woolas", SITTING, None, "JUSTICE") == speaker


@pytest.mark.parametrize(
    ("heading", "post"),
    [
        ("HOME DEPARTMENT", "Minister of State, Home Office"),
        ("TREASURY", "Minister of State, HM Treasury"),
    ],
)
def test_the_headings_department_picks_one_post(uk_members, heading, post):
    speaker = uk_members.resolve(PHIL_WOOLAS, "Phil Woolas", SITTING, None, heading)
    assert (speaker.office, speaker.office_source, speaker.offices) == (
        post, "members", WOOLAS_POSTS)


def test_a_printed_office_is_kept_whatever_the_heading(uk_members):
    printed = "The Minister for Borders and Immigration"
    speaker = uk_members.resolve(PHIL_WOOLAS, "Phil Woolas", SITTING, printed, "HOME DEPARTMENT")
    assert (speaker.office, speaker.office_source, speaker.offices) == (
        printed, "record", WOOLAS_POSTS)


@pytest.mark.parametrize(
    ("heading", "department"),
    [  # the default corpus's department headings against ministers.xml's departments
        ("HOME DEPARTMENT", "Home Office"),
        ("TREASURY", "HM Treasury"),
        ("FOREIGN AND COMMONWEALTH AFFAIRS", "Foreign and Commonwealth Office"),
        ("WORK AND PENSIONS", "Department for Work and Pensions"),
        ("ENVIRONMENT FOOD AND RURAL AFFAIRS",
         "Department for Environment, Food and Rural Affairs"),
        ("CULTURE MEDIA AND SPORT", "Department for Culture, Media & Sport"),
        ("HEALTH", "Department of Health"),
        ("JUSTICE", "Ministry of Justice"),
        ("CABINET OFFICE", "Cabinet Office"),
        ("WOMEN AND EQUALITY", "Government Equalities Office"),
        ("SOLICITOR-GENERAL", "Attorney General's Office"),
    ],
)
def test_department_headings_match_their_departments(heading, department):
    assert department_key(heading) == department_key(department)


def test_other_headings_match_no_department():
    assert department_key("HOUSE OF COMMONS COMMISSION") != department_key("House of Commons")
    assert department_key("Business of the House") != department_key("House of Commons")
    assert department_key("HOME DEPARTMENT") != department_key("HM Treasury")


@pytest.mark.parametrize(
    ("member_id", "date", "office", "constituency"),
    [
        ("uk.org.publicwhip/member/40031", SITTING, "Speaker", "Buckingham"),  # John Bercow
        ("uk.org.publicwhip/member/2017", SITTING, "Chairman of Ways and Means",
         "Saffron Walden"),  # Sir Alan Haselhurst
        ("uk.org.publicwhip/member/2018", SITTING, "Deputy Chairman of Ways and Means",
         "Halesowen & Rowley Regis"),  # Sylvia Heal
        ("uk.org.publicwhip/member/90355", "2009-10-12", "Speaker", "Foyle"),  # William Hay
    ],
)
def test_the_chairs_office_is_an_office_not_a_party(uk_members, member_id, date, office,
                                                     constituency):
    # the members files write SPK, CWM, DCWM, "Speaker" in the party field for these days
    speaker = uk_members.resolve(member_id, "Mr. Speaker", date)
    assert (speaker.party, speaker.party_code) == (None, None)
    assert (speaker.office, speaker.office_source, speaker.offices) == (
        office, "members", (office,))
    assert speaker.constituency == constituency
    assert uk_members.chair_office(member_id, date) == office


def test_members_named_by_a_chair_note(uk_members):
    dallat = "uk.org.publicwhip/member/90269"
    assert uk_members.members_named("Mr Dallat", "2009-10-12", "ni") == [dallat]
    assert uk_members.members_named("Dallat", "2009-10-12", "commons") == []
    assert uk_members.members_named("Mr Dallat", "2002-10-12", "ni") == [
        "uk.org.publicwhip/member/90032"]  # his 1998-2003 term
    assert uk_members.members_named("Dr. William McCrea", SITTING, "commons") == [
        "uk.org.publicwhip/member/1376"]
    assert len(uk_members.members_named("Mr Smith", SITTING, "commons")) > 1  # never guessed


@pytest.mark.parametrize(
    ("member_id", "why"),
    [
        ("uk.org.publicwhip/member/1789", "select committee chairman (selctee)"),
        ("uk.org.publicwhip/member/1778", "Conservative shadow minister (offoppose)"),
        ("uk.org.publicwhip/member/1680", "Liberal Democrat spokesman (libdem)"),
        ("uk.org.publicwhip/member/1710", "Plaid Cymru spokesman (plaidsnp)"),
    ],
)
def test_only_government_posts_count_as_offices(uk_members, member_id, why):
    speaker = uk_members.resolve(member_id, "someone", SITTING)
    assert speaker.party is not None
    assert speaker.office is None, why


def test_peer_name_peerage_and_post(uk_members, people):
    speaker = uk_members.resolve(LORD_BACH, "Lord Bach", SITTING)
    assert speaker.person_id == people[LORD_BACH]
    assert speaker.member_name == "Lord Bach"
    assert speaker.peerage == "Lord Bach, of Lutterworth in the County of Leicestershire"
    assert speaker.constituency is None
    assert (speaker.party, speaker.party_code) == ("Labour", "Lab")
    assert speaker.office == "Parliamentary Under-Secretary, Ministry of Justice"

    taylor = uk_members.resolve("uk.org.publicwhip/lord/100844", "Baroness Taylor", SITTING)
    assert taylor.member_name == "Baroness Taylor of Bolton"
    assert taylor.peerage == (
        "Baroness Taylor of Bolton, of Bolton in the County of Greater Manchester"
    )


def test_peer_with_a_year_only_fromdate(uk_members):
    # peers-ucl.xml: Lord Bach fromdate="1998"
    assert uk_members.resolve(LORD_BACH, "Lord Bach", "1998-01-01").party == "Labour"
    assert uk_members.resolve(LORD_BACH, "Lord Bach", "1997-12-31").party is None


def test_bishop_and_crossbencher(uk_members):
    bishop = uk_members.resolve("uk.org.publicwhip/lord/100051", "x", "2000-01-01")
    assert (bishop.member_name, bishop.party, bishop.party_code) == (
        "Bishop of Blackburn",
        "Bishops",
        "Bp",
    )
    assert bishop.peerage == "Bishop of Blackburn"
    crossbench = uk_members.resolve("uk.org.publicwhip/lord/100012", "x", SITTING)
    assert crossbench.party == "Crossbench"
    assert (
        crossbench.peerage == "Lord Alton of Liverpool, of Mossley Hill in the County of Merseyside"
    )


def test_msp_has_a_region_as_constituency(uk_members):
    speaker = uk_members.resolve("uk.org.publicwhip/member/80330", "Fiona Hyslop", "2009-10-28")
    assert speaker.member_name == "Fiona Hyslop"
    assert (speaker.party, speaker.party_code) == ("Scottish National Party", "SNP")
    assert speaker.constituency == "Lothians"
    assert speaker.person_id == "uk.org.publicwhip/person/14012"


def test_mlas(uk_members):
    speaker = uk_members.resolve("uk.org.publicwhip/member/90327", "Carál Ní Chuilín", "2009-10-12")
    assert (speaker.party, speaker.party_code) == ("Sinn Féin", "Sinn Féin")
    assert speaker.member_name == "Carál Ní Chuilín"
    morrow = uk_members.resolve("uk.org.publicwhip/member/90322", "Lord Morrow", "2009-10-12")
    assert morrow.member_name == "Lord Morrow"  # no first name in ni-members.xml
    assert morrow.party == "Democratic Unionist Party"
    assert morrow.constituency == "Fermanagh & South Tyrone"


@pytest.mark.parametrize(
    ("speaker_id", "date"),
    [
        ("unknown", SITTING),
        (None, SITTING),
        ("", SITTING),
        ("uk.org.publicwhip/member/999999", SITTING),
        (MEG_HILLIER, "2001-06-01"),  # a real id, before her term
    ],
)
def test_unresolved_ids_keep_only_the_printed_name(uk_members, speaker_id, date):
    speaker = uk_members.resolve(speaker_id, "Meg Hillier", date)
    assert speaker == Speaker(name="Meg Hillier")


def test_unresolved_id_keeps_a_printed_office(uk_members):
    speaker = uk_members.resolve("unknown", "The Minister", SITTING, "The Minister for X")
    assert speaker == Speaker(
        name="The Minister", office="The Minister for X", office_source="record"
    )


def test_no_printed_name_is_none(uk_members):
    assert uk_members.resolve(MEG_HILLIER, "  ", SITTING).name is None
    assert uk_members.resolve(MEG_HILLIER, None, SITTING).member_name == "Meg Hillier"


def test_every_party_code_in_the_members_files_is_mapped(uk_members):
    codes = {r.party_code for records in uk_members.records.values() for r in records}
    codes.discard(None)
    assert len(codes) > 30
    assert codes - PARTY_NAMES.keys() - CHAIR_OFFICES.keys() == set()
    assert not PARTY_NAMES.keys() & CHAIR_OFFICES.keys()


def test_unknown_party_is_none_and_unmapped_codes_name_themselves():
    assert party_name("unknown") is None
    assert party_name(None) is None
    assert party_name("SPK") is None and party_name("CWM") is None
    assert party_name("Monster Raving Loony") == "Monster Raving Loony"


def test_missing_optional_files_are_fine(uk_data, tmp_path):
    (tmp_path / "reduced-all-members.xml").symlink_to(
        uk_data / "members" / "reduced-all-members.xml"
    )
    registry = MemberRegistry.load(tmp_path)
    speaker = registry.resolve(MEG_HILLIER, "Meg Hillier", SITTING)
    assert speaker.party == "Labour"
    assert speaker.person_id is None  # no people.xml
    assert registry.resolve(LORD_BACH, "Lord Bach", SITTING) == Speaker(name="Lord Bach")
    assert MemberRegistry.load(tmp_path / "absent").resolve(MEG_HILLIER, "M", SITTING).party is None
