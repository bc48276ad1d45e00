"""US Congressional Record: one Contribution per speech in a day's granules.

A day folder (CREC-2005-07-20/) holds json/<granule>.json, the parsed granules of
unitedstates/congressional-record ({"content": [{"kind": "speech", "speaker": "Mr. DeFAZIO",
"speaker_bioguide": "D000191", "text": ...}], "header": {...}}), and GPO's mods.xml, which gives
each granule its title, section, pages and link, and each member speaking in it a
<congMember bioGuideId party state>. Party and state come from there, by bioguide id: the
granule's own congMember, else the same member's in another granule of the day. The date is
GPO's granuleDate: Extensions of Remarks printed in this issue may be dated to earlier days.

Only "speech" items are contributions: the reporter's narration ("recorder", "clerk"), prayers
by guest chaplains ("Unknown") and headings are not attributed to anyone. Extensions of Remarks
are written statements. A label such as "The SPEAKER pro tempore (Mr. Poe)" is the chair: the
office, then the name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from indexer.contribution import Contribution, Kind, ParseIssue, Speaker
from indexer.errors import CorpusError
from indexer.sources.clock import clock
from indexer.sources.partial_json import read_record_file
from indexer.sources.paths import existing, files_matching, nearest_folder, own_folder, source_path
from indexer.sources.text import clean

FORMAT = "us-crec"
PARSER_VERSION = 1

PARLIAMENT = "United States Congress"
EXTENSIONS = "Extensions of Remarks"
HOUSES = {"House": "House of Representatives", "Senate": "Senate", EXTENSIONS: EXTENSIONS}
PARTIES = {"R": "Republican", "D": "Democratic", "I": "Independent"}
STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa",
    "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
    "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi",
    "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire",
    "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York", "NC": "North Carolina",
    "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee",
    "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming", "DC": "District of Columbia",
    "PR": "Puerto Rico", "GU": "Guam", "VI": "Virgin Islands", "AS": "American Samoa",
    "MP": "Northern Mariana Islands",
}
MODS = "{http://www.loc.gov/mods/v3}"
PERSON_PREFIX = "congress.gov/bioguide"

_CHAIR = re.compile(r"^The (Acting )?(SPEAKER|PRESIDING OFFICER|PRESIDENT|CHAIRMAN|CHAIR)\b")
_TIME = re.compile(r"\{time\}\s+(\d{2})(\d{2})")
_NAME_IN_BRACKETS = re.compile(r"^(Mr|Mrs|Ms|Miss|Dr)\.? ")


@dataclass(frozen=True, slots=True)
class Member:
    bioguide: str
    party: str | None
    state: str | None
    name: str | None  # "Curt Weldon", GPO's authority name


@dataclass(slots=True)
class Granule:
    id: str
    title: str | None = None
    section: str | None = None  # "House", "Senate", "Extensions of Remarks", "Daily Digest"
    date: str | None = None
    pages: str | None = None  # "H6117" or "H6117-H6173"
    url: str | None = None
    members: dict[str, Member] = field(default_factory=dict)


@dataclass(slots=True)
class Issue:
    """A day's mods.xml: granules by id, and every member speaking that day."""

    granules: dict[str, Granule] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)


def load_lookups(root: Path, members: str | None = None) -> Issue:
    """GPO's metadata for the day: mods.xml at the corpus root (or `members`)."""
    path = _mods_file(root, members)
    issue = Issue()
    if not path.is_file():
        return issue
    try:
        tree = etree.parse(str(path), etree.XMLParser(no_network=True, resolve_entities=False))
    except (etree.XMLSyntaxError, OSError) as err:
        raise CorpusError(f"cannot read {path}: {err}") from err
    for item in tree.getroot().iterfind(f"{MODS}relatedItem"):
        granule = _granule(item)
        if granule is not None:
            issue.granules[granule.id] = granule
            for member in granule.members.values():
                issue.members.setdefault(member.bioguide, member)
    return issue


def lookup_files(root: Path, members: str | None = None) -> list[Path]:
    """mods.xml, where there is one."""
    return existing(_mods_file(root, members))


def _mods_file(root: Path, members: str | None) -> Path:
    return root / (members or "mods.xml")


def find_tree_root(path: Path) -> Path:
    """The nearest folder at or above `path` holding mods.xml, else the file's folder."""
    root = nearest_folder(path, lambda folder: (folder / "mods.xml").is_file())
    return root or own_folder(path)


list_source_files = files_matching("*.json")


def parse_file(
    path: Path, issue: Issue, corpus: str, root: Path
) -> tuple[list[Contribution], list[ParseIssue]]:
    """Parse one granule; problems become ParseIssues, never raises.

    mods.xml (and the html/ renditions) listed in a manifest are not granules: they give
    nothing. A broken granule keeps the items before the break.
    """
    if path.suffix != ".json":
        return [], []
    source_file = source_path(path, root)
    data, items, problems = read_record_file(path, source_file, "content")
    if data is None:
        return [], problems
    gid = data.get("id") if isinstance(data.get("id"), str) else path.stem
    granule = issue.granules.get(gid) or Granule(gid)
    header = data.get("header") if isinstance(data.get("header"), dict) else {}
    house = _house(granule, header)
    day = granule.date or _header_date(header)
    if house is None or day is None:
        problems.append(ParseIssue(source_file, None, f"{gid}: no chamber or date; skipped"))
        return [], problems
    title = granule.title or clean(data.get("title") or data.get("doc_title")) or None
    found: list[Contribution] = []
    time = None
    for n, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append(ParseIssue(source_file, None, f"{gid}: content[{n}] is not an object"))
            continue
        if item.get("kind") == "metacharacters":  # "{time}  1030" marks the clock
            stamp = _TIME.search(item.get("text") or "")
            if stamp:
                time = clock(int(stamp.group(1)), int(stamp.group(2))) or time
        if item.get("kind") != "speech":
            continue
        label = clean(item.get("speaker")) or None
        body = _speech_text(item.get("text") or "", label)
        if not body:
            problems.append(ParseIssue(source_file, None, f"{gid}: speech {n} has no text"))
            continue
        found.append(Contribution(
            id=f"{gid}/{item.get('itemno', n)}",
            corpus=corpus,
            parliament=PARLIAMENT,
            kind=Kind.STATEMENT if house == EXTENSIONS else Kind.SPEECH,
            house=house,
            date=day,
            text=body,
            speaker=_speaker(label, item.get("speaker_bioguide"), granule, issue),
            debate_id=gid,
            debate_title=title or "",
            major_heading=title,
            position=len(found) + 1,
            time=time,
            column=granule.pages,
            source_url=granule.url,
            source_file=source_file,
        ))
    return found, problems


def _speaker(label: str | None, bioguide, granule: Granule, issue: Issue) -> Speaker:
    if label is None:
        return Speaker(name=None)
    chair = bool(_CHAIR.match(label))
    if chair:
        head, _, inner = label.rstrip(")").partition(" (")
        named = inner and _NAME_IN_BRACKETS.match(inner)
        return Speaker(name=inner if named else label, office=head if inner else label,
                       office_source="record", chair=True)
    if not isinstance(bioguide, str) or not bioguide:
        return Speaker(name=label, chair=False)
    member = granule.members.get(bioguide) or issue.members.get(bioguide)
    party = member.party if member else None
    state = member.state if member else None
    return Speaker(
        name=label,
        person_id=f"{PERSON_PREFIX}/{bioguide}",
        member_name=member.name if member else None,
        party=PARTIES.get(party or ""),
        party_code=party,
        constituency=STATES.get(state or "", state),
        chair=False,
    )


def _speech_text(text: str, label: str | None) -> str:
    """The words, without the opening "Mr. DeFAZIO." label, paragraphs re-flowed.

    The record is printed in fixed-width lines: a paragraph starts on a line indented by exactly
    two spaces, or deeper than the line before. Blank lines are page breaks: a line after them
    that is not indented goes on with the sentence ("the House of / [page] / Representatives").
    """
    paragraphs: list[list[str]] = []
    previous = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped:
            continue
        indent = len(line) - len(line.lstrip(" "))
        if not paragraphs or indent == 2 or indent > previous:
            paragraphs.append([])
        paragraphs[-1].append(stripped)
        previous = indent
    # a line ending in a hyphen (Millender-/McDonald, "bill--") runs on without a space
    joined = [_join_lines(p) for p in paragraphs]
    if joined and label and joined[0].startswith(label):
        joined[0] = joined[0][len(label):].lstrip(" .").strip()
    return "\n\n".join(p for p in joined if p)


def _join_lines(lines: list[str]) -> str:
    text = lines[0]
    for line in lines[1:]:
        text += line if text.endswith("-") else " " + line
    return text


def _granule(item: etree._Element) -> Granule | None:
    gid = (item.get("ID") or "").removeprefix("id-")
    if not gid:
        return None
    granule = Granule(gid)
    granule.title = clean(item.findtext(f"{MODS}titleInfo/{MODS}title")) or None
    granule.section = clean(item.findtext(f"{MODS}titleInfo/{MODS}partName")) or None
    granule.date = clean(item.findtext(f"{MODS}extension/{MODS}granuleDate")) or None
    start = clean(item.findtext(f"{MODS}part/{MODS}extent/{MODS}start"))
    end = clean(item.findtext(f"{MODS}part/{MODS}extent/{MODS}end"))
    granule.pages = (start if not end or end == start else f"{start}-{end}") or None
    for url in item.iterfind(f"{MODS}location/{MODS}url"):
        if url.get("displayLabel") == "HTML rendition":
            granule.url = clean(url.text) or None
    for cm in item.iterfind(f"{MODS}extension/{MODS}congMember"):
        bioguide = cm.get("bioGuideId")
        if bioguide:
            name = cm.find(f"{MODS}name[@type='authority-fnf']")
            granule.members[bioguide] = Member(
                bioguide, cm.get("party") or None, cm.get("state") or None,
                clean(name.text) if name is not None else None,
            )
    return granule


def _house(granule: Granule, header: dict) -> str | None:
    if granule.section in HOUSES:
        return HOUSES[granule.section]
    if header.get("extension") is True:
        return EXTENSIONS
    return HOUSES.get(header.get("chamber") or "")


def _header_date(header: dict) -> str | None:
    months = ["January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December"]
    year, month, day = header.get("year"), header.get("month"), header.get("day")
    if not (str(year).isdigit() and month in months and str(day).isdigit()):
        return None
    return f"{int(year):04d}-{months.index(month) + 1:02d}-{int(day):02d}"
