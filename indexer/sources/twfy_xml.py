"""TheyWorkForYou / ParlParse XML: one Contribution per <speech>, <ques> and <reply>.

A tree holds one folder per record type (debates/, wrans/, lords/, ...) and a members/ folder.
Headings (<major-heading>, <oral-heading>, <minor-heading>) open debate sections; a
contribution before any heading belongs to the synthetic section "<file stem>#start", whose
title is "". A heading without an id opens a section named "<file stem>#line<N>".

Speakers are resolved by id (parlparse_members), with the debate's major heading to choose
among a minister's posts. Who is in the chair comes from the record's chair notes
(twfy_chair): a chair turn is marked, and a deputy's turn printed under a title alone
("Mr Deputy Speaker") is given to the deputy the latest note names, whatever its id says.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date as Date
from pathlib import Path

from lxml import etree

from indexer.contribution import Contribution, Kind, ParseIssue, Speaker
from indexer.errors import CorpusError
from indexer.sources.clock import clock
from indexer.sources.parlparse_members import MemberRegistry
from indexer.sources.paths import files_below, nearest_folder, source_path
from indexer.sources.text import clean, join_headings
from indexer.sources.twfy_chair import (
    NOTE_BODIES,
    TITLED_CHAIR_NAMESPACES,
    ChairNote,
    PrintedNote,
    chair_notes,
    chair_turn,
    is_deputy_title,
    read_note,
)
from indexer.sources.xml_reading import reporting_read_errors, xml_events

FORMAT = "twfy-xml"
PARSER_VERSION = 2  # 2: the heading's department picks a post; chair turns; chair offices

COMMONS = "House of Commons"
LORDS = "House of Lords"

# id namespace (uk.org.publicwhip/<namespace>/...) -> house
HOUSES: dict[str, str] = {
    "debate": COMMONS,
    "westminhall": "Westminster Hall",
    "wrans": COMMONS,
    "wms": COMMONS,
    "lords": LORDS,
    "spor": "Scottish Parliament",
    "spwa": "Scottish Parliament",
    "ni": "Northern Ireland Assembly",
    "standing": "Public Bill Committee",
}
# Written answers and statements share a namespace between the Houses: a peer's is the Lords'.
_SHARED_NAMESPACES = frozenset({"wrans", "wms"})

UK_PARLIAMENT = "UK Parliament"
# house -> the legislature it belongs to
PARLIAMENTS: dict[str, str] = {
    COMMONS: UK_PARLIAMENT,
    LORDS: UK_PARLIAMENT,
    "Westminster Hall": UK_PARLIAMENT,
    "Public Bill Committee": UK_PARLIAMENT,
    "Scottish Parliament": "Scottish Parliament",
    "Northern Ireland Assembly": "Northern Ireland Assembly",
}

_CONTRIBUTIONS = {"speech": Kind.SPEECH, "ques": Kind.QUESTION, "reply": Kind.ANSWER}
_MAJOR_HEADINGS = frozenset({"major-heading", "oral-heading"})
_HEADINGS = _MAJOR_HEADINGS | {"minor-heading"}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# Numeric references to 0x80-0x9F (e.g. &#151;) mean Windows-1252, as HTML5 decodes them.
_CP1252 = {
    code: bytes([code]).decode("cp1252", errors="ignore") or None for code in range(0x80, 0xA0)
}
# Each file declares its entities (&ndash;, ...) in an internal DTD.
_ENTITIES = {"load_dtd": True, "resolve_entities": "internal"}


def load_lookups(root: Path, members: str | None = None) -> MemberRegistry:
    """What attribution needs, loaded once per corpus: the members data."""
    return MemberRegistry.load(root / (members or "members"))


def lookup_files(root: Path, members: str | None = None) -> list[Path]:
    """The files attribution depends on (a change to them changes the index)."""
    folder = root / (members or "members")
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


def find_tree_root(path: Path) -> Path:
    """The nearest folder at or above `path` that contains a members/ folder."""
    root = nearest_folder(path, lambda folder: (folder / "members").is_dir())
    if root is not None:
        return root
    raise CorpusError(
        f"no members/ folder at or above {path}: a TheyWorkForYou tree needs members/ "
        "(people.xml, reduced-all-members.xml, ...) beside debates/, wrans/, lords/, ..."
    )


def list_source_files(path: Path) -> list[Path]:
    """The XML files to import: `path` itself, or every *.xml below it outside members/.

    Of a re-scraped day (debates2009-10-26a.xml, ...26b.xml) only the latest version is kept:
    the one marked latest="yes", else the one with the highest letter.
    """
    files = files_below(
        path, "*.xml", keep=lambda p: "members" not in p.relative_to(path).parts[:-1]
    )
    days: dict[tuple[Path, str], list[Path]] = defaultdict(list)
    for file in files:
        days[_version_key(file)].append(file)
    return sorted(_latest(versions) for versions in days.values())


def parse_file(
    path: Path, members: MemberRegistry, corpus: str, root: Path
) -> tuple[list[Contribution], list[ParseIssue]]:
    """Parse one file; problems become ParseIssues (with a line where known), never raises.

    A file that is not well-formed keeps the contributions that precede the error.
    """
    sitting = _Sitting(path, members, corpus, source_path(path, root))
    depth = 0
    with reporting_read_errors(sitting.issue):
        for event, el in xml_events(path, **_ENTITIES):
            if event == "start":
                depth += 1
                if depth == 2:
                    sitting.time_at_start = sitting.placeholder_time
                continue
            if el.tag == "place-holder" and el.get("time"):
                sitting.placeholder_time = normalise_time(el.get("time"))
            if depth == 2:
                sitting.take(el)
                el.clear(keep_tail=True)
            depth -= 1
    return sitting.contributions, sitting.issues


def normalise_time(value: str | None) -> str | None:
    """HH:MM:SS from a source time: 009:30:00 -> 09:30:00, 13:00 -> 13:00:00, unknown -> None.

    Hours past 23 (a sitting after midnight written as 24:10) cannot be HH:MM:SS: None.
    """
    parts = (value or "").strip().split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
        return None
    hours, minutes, seconds = (int(p) for p in [*parts, "0"][:3])
    return clock(hours, minutes, seconds)


def sitting_date(gid: str) -> str | None:
    """The ISO sitting date in an id: the last date before the first dot, so that a bill
    committee's standing2009-10-20_CHILDPOV_05-0_2009-10-27a.2.2 gives 2009-10-27."""
    head = gid.rsplit("/", 1)[-1].split(".", 1)[0]
    found = _ISO_DATE.findall(head)
    if not found:
        return None
    try:
        return Date.fromisoformat(found[-1]).isoformat()
    except ValueError:
        return None


def office_in_name(printed_name: str | None) -> str | None:
    """The office printed before a name, or None.

    "The First Minister (Alex Salmond)" gives "The First Minister"; "Bill Aitken (Glasgow)
    (Con)" gives None, as its brackets hold a region and a party.

    The Scottish Official Report prints office-holders as "The <office> (<name>)" and members
    as "<name> (<seat>) (<party>)"; only the first has one bracket and starts with "The ".
    """
    name = clean(printed_name)
    if not name.endswith(")"):
        return None
    head, sep, inner = name[:-1].rpartition(" (")
    if not sep or "(" in head or ")" in head or "(" in inner or not inner:
        return None
    return head if head.startswith("The ") else None


class _Sitting:
    """Parse state for one file: current headings, position, time, and what came out."""

    def __init__(self, path: Path, members: MemberRegistry, corpus: str, source_file: str):
        self.stem = path.stem
        self.members = members
        self.corpus = corpus
        self.source_file = source_file
        self.contributions: list[Contribution] = []
        self.issues: list[ParseIssue] = []
        self.section = _Section(f"{path.stem}#start")
        self.placeholder_time: str | None = None
        self.time_at_start: str | None = None
        self.chair: ChairNote | None = None  # who the latest chair note says presides

    def issue(self, line: int | None, message: str) -> None:
        self.issues.append(ParseIssue(self.source_file, line, message))

    def take(self, el: etree._Element) -> None:
        """Handle one child of the root element."""
        if el.tag in _HEADINGS:
            self._heading(el)
        elif el.tag in _CONTRIBUTIONS:
            self._contribution(el)

    def _heading(self, el: etree._Element) -> None:
        gid = el.get("id")
        if not gid:
            gid = f"{self.stem}#line{el.sourceline}"
            self.issue(el.sourceline, f"<{el.tag}> without an id; section named {gid}")
        text = flatten(el) or None
        self._take_notes(chair_notes(text or ""), gid)
        if el.tag in _MAJOR_HEADINGS:
            self.section = _Section(gid, major=text)
        else:
            self.section = _Section(gid, major=self.section.major, minor=text)

    def _contribution(self, el: etree._Element) -> None:
        gid, line = el.get("id"), el.sourceline
        if not gid:
            self.issue(line, f"<{el.tag}> without an id; skipped")
            return
        namespace = gid.split("/")[-2] if gid.count("/") >= 2 else ""
        day = sitting_date(gid)
        if namespace not in HOUSES or day is None:
            self.issue(line, f"{gid}: id has no known namespace or sitting date; skipped")
            return
        text = contribution_text(el)
        if not text:
            self.issue(line, f"{gid}: no text; skipped")
            return
        kind = _CONTRIBUTIONS[el.tag]
        if kind is Kind.SPEECH and namespace == "wms":
            kind = Kind.STATEMENT
        notes = chair_notes(text)
        opening = [note for note in notes if note.start == 0]  # holds for this one too
        self._take_notes(opening, gid)
        speaker = self._speaker(el, day, namespace, kind)
        self._take_notes(notes[len(opening):], gid)
        self.section.position += 1
        house = self._house(namespace, el.get("speakerid"))
        self.contributions.append(
            Contribution(
                id=gid,
                corpus=self.corpus,
                parliament=PARLIAMENTS[house],
                kind=kind,
                house=house,
                date=day,
                text=text,
                speaker=speaker,
                debate_id=self.section.debate_id,
                debate_title=self.section.title,
                major_heading=self.section.major,
                minor_heading=self.section.minor,
                position=self.section.position,
                time=normalise_time(el.get("time")) or self.time_at_start or self.placeholder_time,
                column=el.get("colnum") or None,
                source_url=(el.get("url") or "").strip() or None,
                source_file=self.source_file,
            )
        )

    def _speaker(self, el: etree._Element, day: str, namespace: str, kind: Kind) -> Speaker:
        if (el.get("nospeaker") or "").lower() == "true":
            return Speaker(name=None)
        name = el.get("speakername")
        office = el.get("speakeroffice") or office_in_name(name)
        speaker_id = el.get("speakerid")
        note = self.chair
        if note is not None and note.name is not None and is_deputy_title(clean(name)):
            # NI prints a deputy's turns under the Speaker's id: the note says who it is, and
            # where its name fits no single member, the person stays unknown.
            speaker_id = note.member_id
        speaker = self.members.resolve(speaker_id, name, day, office, self.section.major)
        if kind is not Kind.SPEECH:  # written questions, answers, statements: no one presides
            return replace(speaker, chair=False)
        turn = chair_turn(speaker.name, speaker, note, self.members, day,
                          titled=namespace in TITLED_CHAIR_NAMESPACES)
        return replace(speaker, chair=turn)

    def _take_notes(self, notes: list[PrintedNote], gid: str) -> None:
        """Follow the chair notes of a heading or contribution (`gid`: its id)."""
        body = NOTE_BODIES.get(gid.split("/")[-2] if gid.count("/") >= 2 else "")
        for note in notes:
            self.chair = read_note(note, self.members, sitting_date(gid), body)

    def _house(self, namespace: str, speaker_id: str | None) -> str:
        if namespace in _SHARED_NAMESPACES and (
            "/lord/" in (speaker_id or "") or self.stem.startswith("lords")
        ):
            return LORDS
        return HOUSES[namespace]


@dataclass(slots=True)
class _Section:
    """The debate section being read: its heading id and texts, and how many contributions."""

    debate_id: str
    major: str | None = None
    minor: str | None = None
    position: int = 0

    @property
    def title(self) -> str:
        return join_headings(self.major, self.minor)


def contribution_text(el: etree._Element) -> str:
    """Paragraphs (<p>, tables one row a line, cells joined by " | ") joined by blank lines.

    Text outside any <p> (all of it, in a speech without paragraphs) is a paragraph too.
    """
    paragraphs: list[str] = []
    loose = [el.text or ""]
    for child in el:
        if child.tag in ("p", "table"):
            paragraphs += [
                _clean("".join(loose)),
                _table(child) if child.tag == "table" else flatten(child),
            ]
            loose = []
        elif child.tag == "br":
            loose.append(" ")
        elif isinstance(child.tag, str):
            loose.extend(_texts(child))
        loose.append(child.tail or "")
    paragraphs.append(_clean("".join(loose)))
    return "\n\n".join(p for p in paragraphs if p)


def flatten(el: etree._Element) -> str:
    """All the text inside `el`, inline markup dropped, whitespace collapsed."""
    return _clean("".join(_texts(el)))


def _texts(node: etree._Element):
    if node.text:
        yield node.text
    for child in node:
        if child.tag == "br":
            yield " "
        elif isinstance(child.tag, str):
            yield from _texts(child)
        if child.tail:
            yield child.tail


def _table(table: etree._Element) -> str:
    rows = (
        " | ".join(flatten(cell) for cell in row if cell.tag in ("td", "th"))
        for row in table.iter("tr")
    )
    return "\n".join(row.strip() for row in rows if row.strip(" |"))


def _clean(text: str | None) -> str:
    return clean((text or "").translate(_CP1252))


def _version_key(path: Path) -> tuple[Path, str]:
    """Files of one day share a folder and a name without the trailing version letter."""
    return path.parent, day_and_version(path.name)[0]


def day_and_version(name: str) -> tuple[str, str]:
    """A file name's day and version letter: debates2009-10-26b.xml gives
    ("debates2009-10-26", "b"); a name without a letter, ("name", "")."""
    stem = Path(name).stem
    if len(stem) > 1 and stem[-1].isalpha() and stem[-2].isdigit():
        return stem[:-1], stem[-1]
    return stem, ""


def _latest(versions: list[Path]) -> Path:
    if len(versions) == 1:
        return versions[0]
    marked = [p for p in versions if _root_attribute(p, "latest") == "yes"]
    return max(marked or versions, key=lambda p: p.stem)


def _root_attribute(path: Path, name: str) -> str | None:
    """An attribute of the root element, reading no further than its start tag."""
    try:
        for _, el in xml_events(path, events=("start",), **_ENTITIES):
            return el.get(name)
    except (etree.XMLSyntaxError, OSError):
        return None
    return None
