"""Who is who in ParlParse's members data (TheyWorkForYou's members/ folder): member ids ->
person, name, party, constituency and office, by date. Used by twfy_xml.

Resolution is by id only. A speaker whose id is missing, "unknown" or not valid on the
sitting date keeps the printed name and nothing else: a speaker's name is never matched to a
member, so member-aliases.xml and constituencies.xml (name-matching aids) are not read. The
one name the record gives without an id, the chair's in a note such as "(Mr Deputy Speaker
[Mr Dallat] in the Chair)", is matched by `members_named`, and used only where it fits exactly
one member.

Offices: a name printed with its office keeps that office ("record"). Otherwise the members
data gives them ("members"): the chair the members files write in place of a party (the
Speaker, the Chairman of Ways and Means and their deputies: the office, with party unknown),
and the government posts of ministers.xml. A minister holding several posts is given the one
whose department the debate's major heading names ("HOME DEPARTMENT": the Home Office post),
else all of them joined by "; "; `Speaker.offices` lists every one.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from indexer.contribution import Speaker
from indexer.sources.text import clean

# Every party code or name that occurs in the members files, mapped to one full name.
PARTY_NAMES: dict[str, str] = {
    "Lab": "Labour",
    "Lab/Co-op": "Labour/Co-operative",
    "Con": "Conservative",
    "LDem": "Liberal Democrat",
    "LD": "Liberal Democrat",
    "XB": "Crossbench",
    "Bp": "Bishops",
    "SNP": "Scottish National Party",
    "PC": "Plaid Cymru",
    "SF": "Sinn Féin",
    "Sinn Féin": "Sinn Féin",
    "DUP": "Democratic Unionist Party",
    "UUP": "Ulster Unionist Party",
    "SDLP": "Social Democratic and Labour Party",
    "Alliance": "Alliance Party",
    "UKUP": "UK Unionist Party",
    "PUP": "Progressive Unionist Party",
    "UUAP": "United Unionist Assembly Party",
    "NIUP": "Northern Ireland Unionist Party",
    "NIWC": "Northern Ireland Women's Coalition",
    "Ind": "Independent",
    "Independent": "Independent",
    "Ind Con": "Independent Conservative",
    "Ind Lab": "Independent Labour",
    "Ind UU": "Independent Ulster Unionist",
    "Independent Unionist": "Independent Unionist",
    "UKIP": "UK Independence Party",
    "Res": "Respect",
    "Green": "Green Party",
    "SSP": "Scottish Socialist Party",
    "SG": "Solidarity",
    "SSCUP": "Scottish Senior Citizens Unity Party",
    "Other": "Other",
    # sp-members.xml: a Presiding Officer gives up their party ("None" = no party affiliation).
    "None": "No party affiliation",
}

# Codes that mean "the members data does not know": party and party_code stay None.
UNKNOWN_PARTY_CODES = frozenset({"", "unknown"})

# Offices the members files write in the party field, for the days their holder is in the chair
# (reduced-all-members.xml, ni-members.xml). They become the office, and the party is unknown:
# the record gives none for its days (no other seat of the same person in that house does).
CHAIR_OFFICES: dict[str, str] = {
    "SPK": "Speaker",
    "Speaker": "Speaker",
    "CWM": "Chairman of Ways and Means",
    "DCWM": "Deputy Chairman of Ways and Means",
    "Initial Presiding Officer": "Initial Presiding Officer",
}

# ministers.xml sources listing government posts; the others list opposition frontbenches
# (offoppose, libdem, plaidsnp), PPSs (privsec) and select committees (selctee).
GOVERNMENT_SOURCES = frozenset({"chgpages/govposts", "newlabministers2003-10-15"})

_MEMBER_FILES = ("reduced-all-members.xml", "sp-members.xml", "ni-members.xml")
# Element -> MemberRecord.body; <member> (MPs) says its house ("commons").
_BODIES = {"member_sp": "scotland", "member_ni": "ni"}


# Major headings name a department their own way ("HOME DEPARTMENT" for the Home Office,
# "TREASURY" for HM Treasury): both sides are reduced by department_key, and these headings'
# keys, unlike the rest, differ from their department's. Checked against the department
# headings of the default corpus's Commons questions, written answers and statements.
_HEADING_DEPARTMENTS = {
    "foreign and commonwealth affairs": "foreign and commonwealth",  # ... Office
    "women and equality": "government equalities",  # Government Equalities Office
    "solicitor general": "attorney general",  # Attorney General's Office: the Law Officers
}
_DEPARTMENT_PREFIX = re.compile(r"^(?:department (?:for|of)|ministry of|hm) ")
_DEPARTMENT_SUFFIX = re.compile(r" (?:office|department)$")
_NO_DEPARTMENT = frozenset({"", "No Department"})
# Printed before a name in a chair note: "[Mr Dallat]", "[Dr. William McCrea]".
_TITLES = re.compile(r"^(?:(?:Mr|Mrs|Ms|Miss|Dr|Sir|Dame|Lady|Lord|Madam)\.?\s+)+")


def party_name(code: str | None) -> str | None:
    """The full party name for a members-file code; an unmapped code is its own name; a chair's
    office written as a party (CHAIR_OFFICES) is no party."""
    if code is None or code in UNKNOWN_PARTY_CODES or code in CHAIR_OFFICES:
        return None
    return PARTY_NAMES.get(code, code)


def department_key(name: str | None) -> str:
    """A department's name or a heading, reduced for matching the one to the other.

    "Department for Work and Pensions" and "WORK AND PENSIONS" both give "work and pensions";
    "Home Office" and "HOME DEPARTMENT" both give "home"; "HM Treasury" and "TREASURY" give
    "treasury".
    """
    text = re.sub(r"['’]s\b", "", (name or "").casefold().replace("&", " and "))
    key = " ".join(re.findall(r"[a-z0-9]+", text))
    key = _DEPARTMENT_SUFFIX.sub("", _DEPARTMENT_PREFIX.sub("", key))
    return _HEADING_DEPARTMENTS.get(key, key)


@dataclass(frozen=True, slots=True)
class MemberRecord:
    """One seat or term from a members file: valid from `fromdate` to `todate` inclusive."""

    member_id: str
    fromdate: str
    todate: str
    name: str
    party_code: str | None
    constituency: str | None = None
    peerage: str | None = None
    lastname: str = ""
    body: str = ""  # "commons", "lords", "scotland" (MSPs) or "ni" (MLAs)

    def valid_on(self, date: str) -> bool:
        """Whether this record covers the ISO `date`."""
        return self.fromdate <= date <= self.todate


@dataclass(frozen=True, slots=True)
class GovernmentPost:
    """A government post from ministers.xml, e.g. Parliamentary Under-Secretary, Home Office."""

    position: str
    dept: str
    fromdate: str
    todate: str

    @property
    def title(self) -> str:
        """Position and department, as "Parliamentary Under-Secretary, Home Office"."""
        if not self.dept or self.dept == "No Department":
            return self.position
        return f"{self.position}, {self.dept}"


@dataclass(frozen=True)
class MemberRegistry:
    """Member records by id, person ids by office id, government posts by person."""

    records: dict[str, tuple[MemberRecord, ...]] = field(default_factory=dict)
    person_ids: dict[str, str] = field(default_factory=dict)
    posts: dict[str, tuple[GovernmentPost, ...]] = field(default_factory=dict)

    @classmethod
    def load(cls, members_dir: Path) -> MemberRegistry:
        """Load whichever ParlParse members files exist in `members_dir`."""
        records: dict[str, list[MemberRecord]] = defaultdict(list)
        for name in _MEMBER_FILES:
            for record in _read_members(members_dir / name):
                records[record.member_id].append(record)
        for record in _read_peers(members_dir / "peers-ucl.xml"):
            records[record.member_id].append(record)
        person_ids = _read_people(members_dir / "people.xml")
        posts = _read_posts(members_dir / "ministers.xml", person_ids)
        return cls(
            records={key: tuple(value) for key, value in records.items()},
            person_ids=person_ids,
            posts=posts,
        )

    def record_on(self, member_id: str | None, date: str) -> MemberRecord | None:
        """The record for `member_id` valid on `date`, or None."""
        valid = [r for r in self.records.get(member_id or "", ()) if r.valid_on(date)]
        return max(valid, key=lambda r: r.fromdate) if valid else None

    def government_posts(self, member_id: str, date: str) -> list[str]:
        """Titles of the government posts held on `date` by this member or the same person."""
        return [post.title for post in self._posts_on(member_id, date)]

    def chair_office(self, member_id: str | None, date: str) -> str | None:
        """The chair this member holds on `date` by the members files (CHAIR_OFFICES), or None."""
        record = self.record_on(member_id, date)
        return CHAIR_OFFICES.get(record.party_code or "") if record else None

    def members_named(self, printed: str, date: str, body: str) -> list[str]:
        """Ids of the members of `body` on `date` that a chair note's name fits: the whole
        name ("David Taylor") or, given one word, the surname ("Dallat"); titles ("Mr",
        "Dr.", "Sir") are dropped. The caller uses the answer only when it is one id."""
        wanted = _TITLES.sub("", clean(printed)).casefold()
        if not wanted:
            return []
        one_word = " " not in wanted
        return sorted({
            record.member_id
            for records in self.records.values()
            for record in records
            if record.body == body and record.valid_on(date)
            and (record.lastname if one_word else record.name).casefold() == wanted
        })

    def resolve(
        self,
        speaker_id: str | None,
        printed_name: str | None,
        date: str,
        printed_office: str | None = None,
        heading: str | None = None,
    ) -> Speaker:
        """Attribute a contribution: the printed name, plus what the id resolves to on `date`.

        An office printed beside the name is kept even when the id does not resolve: it is
        what the record says, not something looked up. Without one, the office comes from the
        members data; of several government posts, the one whose department the debate's
        major `heading` names, else all of them.
        """
        name = _normalise(printed_name)
        office = _normalise(printed_office)
        record = self.record_on(speaker_id, date)
        if record is None or speaker_id is None:
            return Speaker(name=name, office=office, office_source="record" if office else None)
        chair_office = CHAIR_OFFICES.get(record.party_code or "")
        posts = self._posts_on(speaker_id, date)
        offices = ([chair_office] if chair_office else []) + [post.title for post in posts]
        office_source = "record" if office else None
        if office is None and offices:
            office = _post_for_heading(posts, heading) or "; ".join(offices)
            office_source = "members"
        return Speaker(
            name=name,
            person_id=self.person_ids.get(speaker_id),
            member_id=speaker_id,
            member_name=record.name,
            party=party_name(record.party_code),
            party_code=None if chair_office else record.party_code,
            constituency=record.constituency,
            peerage=record.peerage,
            office=office,
            office_source=office_source,
            offices=tuple(offices) or None,
        )

    def _posts_on(self, member_id: str, date: str) -> list[GovernmentPost]:
        """The government posts held on `date` by this member or the same person, one per
        title."""
        key = self.person_ids.get(member_id, member_id)
        posts: dict[str, GovernmentPost] = {}
        for post in self.posts.get(key, ()):
            if post.fromdate <= date <= post.todate:
                posts.setdefault(post.title, post)
        return list(posts.values())


def _post_for_heading(posts: list[GovernmentPost], heading: str | None) -> str | None:
    """The title of the one post (of several) in the department `heading` names, or None."""
    if len(posts) < 2 or not heading:
        return None
    wanted = department_key(heading)
    matching = [p for p in posts
                if p.dept not in _NO_DEPARTMENT and department_key(p.dept) == wanted]
    return matching[0].title if len(matching) == 1 else None


def _normalise(text: str | None) -> str | None:
    return clean(text) or None


def _day(date: str, *, end: bool) -> str:
    """Widen a year-only ("1998") or year-month date to a full ISO day."""
    if len(date) == 4:
        return f"{date}-12-31" if end else f"{date}-01-01"
    if len(date) == 7:
        return f"{date}-31" if end else f"{date}-01"
    return date


def _root(path: Path) -> etree._Element | None:
    if not path.is_file():
        return None
    try:
        return etree.parse(str(path)).getroot()
    except etree.XMLSyntaxError:
        # peers-ucl.xml declares version="2.0", which libxml2 refuses; the body is plain XML.
        return etree.parse(str(path), etree.XMLParser(recover=True)).getroot()


def _elements(path: Path, tags: Iterable[str]) -> Iterable[etree._Element]:
    root = _root(path)
    return () if root is None else root.iter(*tags)


def _read_members(path: Path) -> Iterable[MemberRecord]:
    """MPs (member), MSPs (member_sp) and MLAs (member_ni)."""
    for el in _elements(path, ("member", "member_sp", "member_ni")):
        # "Lord Morrow" (an MLA) has no first name: the title stands in for it.
        first = el.get("firstname", "").strip() or el.get("title", "")
        name = el.get("fullname") or f"{first} {el.get('lastname', '')}"
        code = (el.get("party") or "").strip()
        yield MemberRecord(
            member_id=el.get("id", ""),
            fromdate=_day(el.get("fromdate", "0000"), end=False),
            todate=_day(el.get("todate", "9999"), end=True),
            name=clean(name),
            party_code=None if code in UNKNOWN_PARTY_CODES else code,
            constituency=_normalise(el.get("constituency")),
            lastname=clean(el.get("lastname")),
            body=_BODIES.get(el.tag) or el.get("house", ""),
        )


def _read_peers(path: Path) -> Iterable[MemberRecord]:
    """Peers from peers-ucl.xml: "Baroness Taylor of Bolton", with their full peerage."""
    for el in _elements(path, ("lord",)):
        title, lordname, lordofname = (
            el.get(k, "").strip() for k in ("title", "lordname", "lordofname")
        )
        name = f"{title} {lordname}" if lordname else title
        if lordofname:
            name = f"{name} of {lordofname}"
        county = el.get("county", "").strip()
        territory = el.get("lordofname_full", "").strip() or (lordofname if county else "")
        peerage = f"{name}, of {territory}" if territory else name
        if territory and county:
            peerage = f"{peerage} in {county}"
        code = (el.get("affiliation") or "").strip()
        yield MemberRecord(
            member_id=el.get("id", ""),
            fromdate=_day(el.get("fromdate", "0000"), end=False),
            todate=_day(el.get("todate", "9999"), end=True),
            name=name,
            party_code=None if code in UNKNOWN_PARTY_CODES else code,
            peerage=peerage,
            lastname=lordname or title,
            body="lords",
        )


def _read_people(path: Path) -> dict[str, str]:
    """Office id (member, lord, moffice) -> person id."""
    person_ids: dict[str, str] = {}
    for person in _elements(path, ("person",)):
        for office in person.iter("office"):
            person_ids[office.get("id", "")] = person.get("id", "")
    return person_ids


def _read_posts(path: Path, person_ids: dict[str, str]) -> dict[str, tuple[GovernmentPost, ...]]:
    """Government posts keyed by person id (or by member id when people.xml lacks one)."""
    posts: dict[str, list[GovernmentPost]] = defaultdict(list)
    for el in _elements(path, ("moffice",)):
        position = (el.get("position") or "").strip()
        if not position or not GOVERNMENT_SOURCES & set(el.get("source", "").split()):
            continue
        holder = el.get("matchid") or ""
        key = person_ids.get(el.get("id", "")) or person_ids.get(holder) or holder
        if not key:
            continue
        posts[key].append(
            GovernmentPost(
                position=position,
                dept=(el.get("dept") or "").strip(),
                fromdate=_day(el.get("fromdate", "0000"), end=False),
                todate=_day(el.get("todate", "9999"), end=True),
            )
        )
    return {key: tuple(value) for key, value in posts.items()}
