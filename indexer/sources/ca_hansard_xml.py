"""Canadian House of Commons Hansard XML: one Contribution per <Intervention>, and one per turn
printed inside it.

<PersonSpeaking><Affiliation DbId="278514" Type="2">Mr. Mark Gerretsen (Kingston and the
Islands, Lib.)</Affiliation> gives the name, then the riding (Type 2, a member's seat) or the
office (any other Type), then the party. A later turn of the same affiliation often prints the
name alone; its riding and party are the ones printed for the same DbId in the same sitting.
A bold label (which has no DbId) resolves only to the one member printed with exactly that name
in the sitting.

DbId identifies an affiliation (a seat in one Parliament, or an office), not a person: the same
member speaks under different DbIds as MP and as parliamentary secretary, and gets a new one in
each Parliament. It is kept as `Speaker.member_id`; `person_id` stays None.

A paragraph that opens with a bold label ("<B>Some hon. members:</B> Agreed.") is someone else's
turn, an interjection of its own, until the next label; a label naming the intervention's own
speaker hands the floor back to them. Paragraphs wholly in italics ("And five or more members
having risen:") and <ProceduralText> are stage directions, nobody's words, and are left out.
Headings: OrderOfBusinessTitle (major), then SubjectOfBusinessTitle and
SubjectOfBusinessQualifier (minor). Times come from <Timestamp>. Text outside interventions
(the record's own narration) is not imported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from indexer.contribution import Contribution, Kind, ParseIssue, Speaker
from indexer.sources.clock import clock
from indexer.sources.format import self_contained
from indexer.sources.paths import source_path
from indexer.sources.text import clean, element_text, join_headings
from indexer.sources.xml_reading import reporting_read_errors, xml_events

FORMAT = "ca-hansard-xml"
PARSER_VERSION = 1

PARLIAMENT = "Parliament of Canada"
HOUSE = "House of Commons"
ID_PREFIX = "ourcommons.ca"

# Party abbreviations printed after a member's riding or office
PARTIES = {
    "Lib.": "Liberal",
    "CPC": "Conservative",
    "NDP": "New Democratic Party",
    "BQ": "Bloc Québécois",
    "GP": "Green Party",
    "Ind.": "Independent",
    "PC": "Progressive Conservative",
    "CA": "Canadian Alliance",
    "Ref.": "Reform",
}
MEMBER_SEAT = "2"  # Affiliation Type of a member speaking from their seat
_CHAIR = re.compile(r"^The\b.*(?:peaker|Chair)")  # incl. the record's own "The Deputy peaker"
_SKIPPED = frozenset({"FloorLanguage", "ProceduralText", "Division", "CatchLine"})


# Each sitting file carries its own attribution: nothing to look up.
load_lookups, lookup_files, find_tree_root, list_source_files = self_contained("*.xml")


def parse_file(
    path: Path, lookups: None, corpus: str, root: Path
) -> tuple[list[Contribution], list[ParseIssue]]:
    """Parse one sitting file; problems become ParseIssues (with a line), never raises.

    A file that is not well-formed keeps the interventions before the error.
    """
    sitting = _Sitting(corpus, source_path(path, root))
    with reporting_read_errors(sitting.issue):
        sitting.read(xml_events(path))
    return sitting.contributions(), sitting.issues


@dataclass(frozen=True, slots=True)
class Label:
    """A speaker label as printed, taken apart."""

    name: str | None
    seat_or_office: str | None = None
    party_code: str | None = None
    office: str | None = None  # a presiding office printed before a name, or alone

    @property
    def is_full(self) -> bool:
        return self.party_code is not None


def read_label(text: str) -> Label:
    """'Mr. Mark Gerretsen (Kingston and the Islands, Lib.)' -> name, seat, party;
    'The Acting Speaker (Mr. Gabriel Ste-Marie)' -> office and name; 'The Speaker' -> both."""
    text = clean(text).rstrip(":").strip()
    head, inner = _last_brackets(text)
    if inner is None:
        return Label(text or None, office=text if text.startswith("The ") else None)
    if "," in inner:
        seat, _, party = inner.rpartition(",")
        return Label(head, seat.strip() or None, party.strip() or None)
    if head.startswith("The "):
        if re.match(r"(Mr|Mrs|Ms|Miss|Dr|Hon)\.? ", inner):
            return Label(inner, office=head)
        return Label(text, office=head)
    return Label(text)


@dataclass(slots=True)
class _Turn:
    """One contribution before its speaker is resolved."""

    id: str
    label: Label
    db_id: str | None  # the Affiliation's DbId, where the label carries one
    db_type: str | None  # and its Type
    own: bool  # the intervention's own speaker (else an interjection)
    time: str | None
    section: tuple[str, str | None, str | None]  # debate id, major, minor
    line: int | None
    paragraphs: list[str] = field(default_factory=list)


class _Sitting:
    def __init__(self, corpus: str, source_file: str):
        self.corpus = corpus
        self.source_file = source_file
        self.issues: list[ParseIssue] = []
        self.turns: list[_Turn] = []
        self.items: dict[str, str] = {}
        self.seats: dict[str, Label] = {}  # DbId -> the full label printed for it
        self.members: dict[str, set[str]] = {}  # printed name -> DbIds of members' seats
        self.h1 = self.h2 = self.h3 = None
        self.section_id = f"{ID_PREFIX}/file/{source_file}"
        self.time: str | None = None
        self.in_intervention = 0

    def issue(self, line: int | None, message: str) -> None:
        self.issues.append(ParseIssue(self.source_file, line, message))

    def read(self, events) -> None:
        for event, el in events:
            tag = el.tag
            if event == "start":
                if tag == "Intervention":
                    self.in_intervention += 1
                elif tag == "SubjectOfBusiness":
                    self.section_id = f"{ID_PREFIX}/subject/{el.get('id') or el.sourceline}"
                continue
            if tag == "ExtractedItem":
                self.items[el.get("Name", "")] = element_text(el)
            elif tag == "OrderOfBusinessTitle":
                self.h1 = element_text(el) or None
            elif tag == "SubjectOfBusinessTitle":
                self.h2 = element_text(el) or None
            elif tag == "SubjectOfBusinessQualifier":
                self.h3 = element_text(el) or None
            elif tag == "SubjectOfBusiness":
                self.h3 = None
                el.clear(keep_tail=True)
            elif tag == "OrderOfBusiness":
                self.h1 = self.h2 = None
            elif tag == "Timestamp" and not self.in_intervention:
                self.time = _time(el) or self.time
            elif tag == "Intervention":
                self.in_intervention -= 1
                self._intervention(el)
                el.clear(keep_tail=True)

    def _intervention(self, el: etree._Element) -> None:
        iid = el.get("id")
        if not iid:
            self.issue(el.sourceline, "<Intervention> without an id; skipped")
            return
        affiliation = el.find("PersonSpeaking/Affiliation")
        main = _labelled(affiliation)
        section = (self.section_id, self.h1, join_headings(self.h2, self.h3) or None)
        first = _Turn(f"{ID_PREFIX}/intervention/{iid}", *main, True, self.time, section,
                      el.sourceline)
        turns = [first]
        content = el.find("Content")
        for child in content if content is not None else ():
            if child.tag == "Timestamp":
                self.time = _time(child) or self.time
            if child.tag != "ParaText" or _stage_direction(child):
                continue
            opener, text = _split_label(child)
            if opener is not None:
                label, db_id, db_type = _labelled(opener)
                own = label.name == first.label.name or (db_id is not None and db_id == first.db_id)
                turns.append(_Turn(
                    f"{first.id}/para/{child.get('id') or child.sourceline}",
                    *(main if own else (label, db_id, db_type)), own, self.time, section,
                    child.sourceline,
                ))
            if text:
                turns[-1].paragraphs.append(text)
        if not first.paragraphs:
            self.issue(el.sourceline, f"{first.id}: no text of its own")
        for turn in turns:
            if turn.db_id and turn.label.is_full and not turn.label.office:
                self.seats.setdefault(turn.db_id, turn.label)
            if turn.db_id and turn.db_type == MEMBER_SEAT and turn.label.name:
                self.members.setdefault(turn.label.name, set()).add(turn.db_id)
        self.turns.extend(turns)

    def contributions(self) -> list[Contribution]:
        day = _date(self.items)
        if day is None:
            self.issue(None, "no sitting date (MetaDateNumYear/Month/Day); nothing imported")
            return []
        found: list[Contribution] = []
        positions: dict[str, int] = {}
        for turn in self.turns:
            if not turn.paragraphs:
                continue
            debate_id, major, minor = turn.section
            positions[debate_id] = positions.get(debate_id, 0) + 1
            found.append(Contribution(
                id=turn.id,
                corpus=self.corpus,
                parliament=PARLIAMENT,
                kind=Kind.SPEECH if turn.own else Kind.INTERJECTION,
                house=HOUSE,
                date=day,
                text="\n\n".join(turn.paragraphs),
                speaker=self._speaker(turn),
                debate_id=debate_id,
                debate_title=join_headings(major, minor),
                major_heading=major,
                minor_heading=minor,
                position=positions[debate_id],
                time=turn.time,
                source_file=self.source_file,
            ))
        return found

    def _speaker(self, turn: _Turn) -> Speaker:
        """The label's own parts; a bare name takes the seat and party printed for its DbId.

        A bold label has no DbId: it takes the seat of the one member printed with exactly
        that name in this sitting, if there is exactly one.
        """
        printed = turn.label
        if printed.name is None:
            return Speaker(name=None)
        seats = self.members.get(printed.name, set())
        if turn.db_id is None and not printed.office and len(seats) == 1:
            # a bold label without a DbId: the one member printed so in this sitting
            (db_id,) = seats
            turn = _Turn(turn.id, printed, db_id, MEMBER_SEAT, turn.own, turn.time,
                         turn.section, turn.line)
        member_id = f"{ID_PREFIX}/affiliation/{turn.db_id}" if turn.db_id else None
        if printed.office:
            return Speaker(name=printed.name, member_id=member_id, office=printed.office,
                           office_source="record", chair=bool(_CHAIR.match(printed.office)))
        full = printed if printed.is_full else self.seats.get(turn.db_id or "", printed)
        seat = full.seat_or_office
        on_seat = turn.db_type == MEMBER_SEAT
        return Speaker(
            name=printed.name,
            member_id=member_id,
            party=PARTIES.get(full.party_code or ""),
            party_code=full.party_code,
            constituency=seat if on_seat else None,
            office=None if on_seat else seat,
            office_source="record" if seat and not on_seat else None,
            chair=False,
        )


def _labelled(el: etree._Element | None) -> tuple[Label, str | None, str | None]:
    """The label printed in a <B> or <Affiliation>, with the Affiliation's DbId and Type."""
    if el is None:
        return Label(None), None, None
    label = read_label("".join(el.itertext()))
    if el.tag != "Affiliation":
        return label, None, None
    return label, el.get("DbId") or None, el.get("Type") or None


def _split_label(para: etree._Element) -> tuple[etree._Element | None, str]:
    """A paragraph's opening speaker label element (if any), and its text without it."""
    children = [c for c in para if isinstance(c.tag, str)]
    lead = (para.text or "").strip()
    if lead or not children or children[0].tag not in ("B", "Affiliation"):
        return None, _para_text(para)
    first = children[0]
    label_text = "".join(first.itertext()).strip()
    rest_start = 1
    tail = first.tail or ""
    if not label_text.endswith(":"):
        if tail.lstrip().startswith(":"):
            tail = tail.lstrip()[1:]
        elif len(children) > 1 and element_text(children[1]) == ":" and not tail.strip():
            tail, rest_start = children[1].tail or "", 2
        else:
            return None, _para_text(para)
    if not label_text.rstrip(":").strip() or not label_text[0].isupper():
        return None, _para_text(para)
    rest = [tail] + [_outer_text(c) for c in children[rest_start:]]
    return first, clean("".join(rest))


def _stage_direction(para: etree._Element) -> bool:
    """A paragraph wholly in italics ("And five or more members having risen:")."""
    children = [c for c in para if isinstance(c.tag, str)]
    return (
        len(children) == 1 and children[0].tag == "I" and not (para.text or "").strip()
        and not (children[0].tail or "").strip()
    )


def _last_brackets(text: str) -> tuple[str, str | None]:
    """('Name', 'inside') for 'Name (inside)', minding nested brackets; (text, None) if none."""
    if not text.endswith(")"):
        return text, None
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(text[i], 0)
        if depth == 0:
            return text[:i].strip(), text[i + 1:-1].strip()
    return text, None


def _date(items: dict[str, str]) -> str | None:
    parts = [items.get(f"MetaDateNum{p}", "") for p in ("Year", "Month", "Day")]
    if not all(p.isdigit() for p in parts):
        return None
    return f"{int(parts[0]):04d}-{int(parts[1]):02d}-{int(parts[2]):02d}"


def _time(el: etree._Element) -> str | None:
    hour, minute = (el.get("Hr") or "").strip(), (el.get("Mn") or "0").strip()
    return clock(int(hour), int(minute)) if hour.isdigit() and minute.isdigit() else None


def _para_text(para: etree._Element) -> str:
    return clean((para.text or "") + "".join(_outer_text(c) for c in para))


def _outer_text(el: etree._Element) -> str:
    """An inline element's text and tail; a stray <Timestamp> or note gives its tail only."""
    if not isinstance(el.tag, str) or el.tag in _SKIPPED or el.tag == "Timestamp":
        return el.tail or ""
    return "".join(el.itertext()) + (el.tail or "")
