"""Australian Parliament House Hansard XML (House of Representatives, schema 2.2).

A sitting day holds <chamber.xscript> (the House) and <fedchamb.xscript> (the Federation
Chamber), each a run of <debate>s with <subdebate.1>/<subdebate.2>, whose <speech>, <question>
and <answer> elements carry a <talker> (name, name.id, electorate, party) and the text.

Interjections are kept apart from the speech they interrupt. The words are all in the speech's
body, each turn opened by a marked label ("<span class="HPS-MemberInterjecting">The
SPEAKER:</span>"); the <interjection> and <continue> elements after the body are empty stubs that
carry, in order, the talker of each marked turn. So a body splits at its labels: the talker's
own words (speech), interjections (each its own contribution, kind interjection, with its
stub's talker), and continuations (the stub's talker again). "Mr Dreyfus interjecting—" stage
directions are dropped: they record that someone called out, not what was said.

The party code is the one printed in the talker (LP, ALP, ...); its name comes from
lookup/party_lookup.csv where that file uses the same abbreviation, else from APH_PARTIES.
Oral questions and answers are speeches, as in the UK format. Ids are "aph.gov.au/<house
file>/<date>/<element>.<turn>": the n-th speech/question/answer element of the file, n-th turn.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from indexer.contribution import Contribution, Kind, ParseIssue, Speaker
from indexer.errors import CorpusError
from indexer.sources.clock import clock
from indexer.sources.paths import existing, files_matching, nearest_folder, own_folder, source_path
from indexer.sources.text import clean, join_headings
from indexer.sources.xml_reading import reporting_read_errors, xml_events

FORMAT = "au-hansard-xml"
PARSER_VERSION = 1

PARLIAMENT = "Parliament of Australia"
ID_PREFIX = "aph.gov.au"
HOUSES = {"chamber.xscript": "House of Representatives", "fedchamb.xscript": "Federation Chamber"}
CHAMBERS = {"House of Reps": "reps", "REPS": "reps", "Senate": "senate", "SENATE": "senate"}
SENATE_HOUSES = {"chamber.xscript": "Senate"}
# APH's own party codes that party_lookup.csv (which has its own abbreviations) lacks
APH_PARTIES = {
    "LP": "Liberal Party of Australia",
    "LNP": "Liberal National Party of Queensland",
    "NATS": "The Nationals",
    "AG": "Australian Greens",
}
OFFICE_ID = "10000"  # the name.id of an office ("DEPUTY SPEAKER, The"), not of a person

_CONTRIBUTIONS = frozenset({"speech", "question", "answer"})
_OPENS = {"HPS-MemberSpeech", "HPS-MemberQuestion", "HPS-MemberAnswer"}
_INTERJECTS = {"HPS-MemberInterjecting", "HPS-OfficeInterjecting"}
_GENERAL = "HPS-GeneralInterjecting"  # "An honourable member: Rorts?"
_STAGE = "HPS-GeneralIInterjecting"  # "Opposition members interjecting—"
_CONTINUES = "HPS-MemberContinuation"
_MARKERS = _OPENS | _INTERJECTS | {_GENERAL, _STAGE, _CONTINUES}
# an unmarked stage direction, in italics only: "An opposition member interjecting—"
_STAGE_TEXT = re.compile(r"^[^:]{1,80} interjecting ?—$")
_BLOCKS = frozenset({"br", "p", "td", "th", "tr", "li", "div", "table"})


def load_lookups(root: Path, members: str | None = None) -> dict[str, str]:
    """Party abbreviation -> party name, from <members>/party_lookup.csv."""
    path = _party_table(root, members)
    if not path.is_file():
        return {}
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return {r["partyAbbrev"]: r["partyName"] for r in csv.DictReader(handle)
                    if r.get("partyAbbrev") and r.get("partyName")}
    except (OSError, UnicodeDecodeError, csv.Error, KeyError) as err:
        raise CorpusError(f"cannot read {path}: {err}") from err


def lookup_files(root: Path, members: str | None = None) -> list[Path]:
    """party_lookup.csv, where there is one."""
    return existing(_party_table(root, members))


def _party_table(root: Path, members: str | None) -> Path:
    return root / (members or "lookup") / "party_lookup.csv"


def find_tree_root(path: Path) -> Path:
    """The nearest folder at or above `path` holding lookup/, else the file's folder."""
    root = nearest_folder(path, lambda folder: (folder / "lookup").is_dir())
    return root or own_folder(path)


list_source_files = files_matching("*.xml")


def parse_file(
    path: Path, parties: dict[str, str], corpus: str, root: Path
) -> tuple[list[Contribution], list[ParseIssue]]:
    """Parse one sitting day; problems become ParseIssues (with a line), never raises.

    A file that is not well-formed keeps the contributions before the error.
    """
    day = _Day(parties, corpus, source_path(path, root))
    with reporting_read_errors(day.issue):
        for event, el in xml_events(path):
            day.take(event, el)
    return day.contributions, day.issues


@dataclass(slots=True)
class _Turn:
    talker: etree._Element | None
    kind: Kind
    label: str  # as printed in the body, e.g. "The SPEAKER"
    office: str | None = None  # a ministerial title printed beside the label
    time: str | None = None
    paragraphs: list[str] = field(default_factory=list)


class _Day:
    def __init__(self, parties: dict[str, str], corpus: str, source_file: str):
        self.parties = parties
        self.corpus = corpus
        self.source_file = source_file
        self.contributions: list[Contribution] = []
        self.issues: list[ParseIssue] = []
        self.date: str | None = None
        self.chamber: str | None = None
        self.house: str | None = None
        self.headings: list[str | None] = [None, None, None]
        self.counters = [0, 0, 0]  # debate, subdebate.1, subdebate.2 numbers
        self.position = 0
        self.elements = 0

    def issue(self, line: int | None, message: str) -> None:
        self.issues.append(ParseIssue(self.source_file, line, message))

    @property
    def debate_id(self) -> str:
        numbers = ".".join(str(n) for n in self.counters if n)
        return f"{ID_PREFIX}/{self.chamber}/{self.date}/d{numbers}"

    def take(self, event: str, el: etree._Element) -> None:
        tag = el.tag
        if event == "start":
            level = {"debate": 0, "subdebate.1": 1, "subdebate.2": 2}.get(tag)
            if level is not None:
                self.counters[level] += 1
                self.counters[level + 1:] = [0] * (2 - level)
                self.headings[level:] = [None] * (3 - level)
                self.position = 0
            elif tag in HOUSES:
                self.house = (SENATE_HOUSES if self.chamber == "senate" else HOUSES).get(tag)
            return
        if tag == "session.header":
            self._header(el)
        elif tag in ("debateinfo", "subdebateinfo"):
            level = {"debate": 0, "subdebate.1": 1, "subdebate.2": 2}.get(el.getparent().tag)
            if level is not None:
                self.headings[level] = clean(el.findtext("title")) or None
        elif tag in _CONTRIBUTIONS and el.getparent().tag != "talk.text":
            self.elements += 1
            self._element(el)
            el.clear(keep_tail=True)

    def _header(self, el: etree._Element) -> None:
        self.date = (el.findtext("date") or "").strip() or None
        chamber = (el.findtext("chamber") or "").strip()
        self.chamber = CHAMBERS.get(chamber)
        if self.date is None or self.chamber is None:
            self.issue(el.sourceline, f"session.header: no date or unknown chamber {chamber!r}")

    def _element(self, el: etree._Element) -> None:
        line = el.sourceline
        if self.date is None or self.chamber is None or self.house is None:
            self.issue(line, f"<{el.tag}> outside a known sitting and house; skipped")
            return
        main = el.find("talk.start/talker")
        stubs = {"interjection": [], "continue": []}
        for stub in el:
            talker = stub.find("talk.start/talker")
            # an interjection stub without a name.id is a stage direction ("Mr X interjecting—")
            if stub.tag in stubs and (stub.tag == "continue" or _field(talker, "name.id")):
                stubs[stub.tag].append(talker)
        turns = [_Turn(main, Kind.SPEECH, "")]
        body = el.find("talk.text")
        for p in body.iter("p") if body is not None else ():
            if p.find(".//p") is not None:
                continue  # a wrapper: its inner paragraphs come next
            marker = _opening_marker(p)
            text = _text(p)
            if marker is None:
                if text and not _STAGE_TEXT.match(text):
                    turns[-1].paragraphs.append(text)
                continue
            cls = marker.get("class")
            if cls == _STAGE:
                continue
            label, said, office, time = _label(text)
            if cls in _OPENS:
                turn = turns[0] if not turns[0].paragraphs and len(turns) == 1 else None
                if turn is None:
                    turn = _Turn(main, Kind.SPEECH, label)
                    turns.append(turn)
                turn.label, turn.office, turn.time = label, office, time
            else:
                talker = self._stub(stubs, cls, marker, p)
                own = talker is not None and _field(talker, "name.id") == _field(main, "name.id")
                kind = Kind.SPEECH if cls == _CONTINUES and own else Kind.INTERJECTION
                turn = _Turn(talker, kind, label, office, time)
                turns.append(turn)
            if said:
                turn.paragraphs.append(said)
        for stub_kind, left in stubs.items():
            if left:
                self.issue(line, f"<{el.tag}>: {len(left)} <{stub_kind}> talker(s) not matched "
                                 "to a label in the text")
        for turn in turns[1:]:  # the office printed at the start holds for their later turns
            if turn.office is None and turn.talker is not None and _field(
                    turn.talker, "name.id") == _field(main, "name.id"):
                turn.office = turns[0].office
        for number, turn in enumerate(turns, start=1):
            if turn.paragraphs:
                self._add(turn, f"{self.elements}.{number}", main)

    def _stub(self, stubs, cls, marker, p) -> etree._Element | None:
        """The talker of a marked turn: the next stub of its kind (the next one with the
        label's name.id, where the label links to one)."""
        if cls == _GENERAL:
            return None
        kind = "continue" if cls == _CONTINUES else "interjection"
        link = next(marker.iterancestors("a"), None)
        href = link.get("href") if link is not None else None
        queue = stubs[kind]
        for i, talker in enumerate(queue):
            if not href or _field(talker, "name.id") == href:
                return queue.pop(i)
        self.issue(p.sourceline, f"no <{kind}> talker left for this label"
                                 f"{f' (links to {href})' if href else ''}; speaker unresolved")
        return None

    def _add(self, turn: _Turn, number: str, main: etree._Element | None) -> None:
        self.position += 1
        major, sub1, sub2 = self.headings
        minor = join_headings(sub1, sub2) or None
        self.contributions.append(Contribution(
            id=f"{ID_PREFIX}/{self.chamber}/{self.date}/{number}",
            corpus=self.corpus,
            parliament=PARLIAMENT,
            kind=turn.kind,
            house=self.house or "",
            date=self.date or "",
            text="\n\n".join(turn.paragraphs),
            speaker=self._speaker(turn),
            debate_id=self.debate_id,
            debate_title=join_headings(major, minor),
            major_heading=major,
            minor_heading=minor,
            position=self.position,
            time=turn.time,
            column=_field(turn.talker if turn.talker is not None else main, "page.no"),
            source_file=self.source_file,
        ))

    def _speaker(self, turn: _Turn) -> Speaker:
        if turn.talker is None:
            return Speaker(name=turn.label or None, chair=_is_chair(turn.label))
        printed = _field(turn.talker, "name")
        name, bracket = _name_and_office(printed)
        name_id = _field(turn.talker, "name.id")
        office = bracket or turn.office or (turn.label if name_id == OFFICE_ID else None)
        code = _field(turn.talker, "party")
        return Speaker(
            name=name,
            person_id=f"{ID_PREFIX}/phid/{name_id}" if name_id and name_id != OFFICE_ID else None,
            party=self.parties.get(code or "") or APH_PARTIES.get(code or ""),
            party_code=code,
            constituency=_field(turn.talker, "electorate"),
            office=office,
            office_source="record" if office else None,
            chair=_is_chair(office or name),
        )


def _opening_marker(p: etree._Element) -> etree._Element | None:
    """The label span a paragraph opens with, if any (empty marker spans do not count)."""
    for span in p.iter("span"):
        label = _text(span)
        if span.get("class") in _MARKERS and label:
            return span if _text(p).startswith(label) else None
    return None


def _label(text: str) -> tuple[str, str, str | None, str | None]:
    """(label, words after it, ministerial title, time) of a paragraph opening with a label.

    The label runs to the first colon outside brackets: "Mr WOOD (La Trobe—Assistant
    Minister for ...) (12:01): I table ..." gives the label "Mr WOOD", the title after the
    electorate, and the time.
    """
    depth, groups, start = 0, [], 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
            start = i + 1 if depth == 1 else start
        elif ch == ")" and depth:
            depth -= 1
            if depth == 0:
                groups.append(text[start:i])
        elif ch == ":" and depth == 0:
            head, said = text[:i], text[i + 1:]
            break
    else:
        return text, "", None, None
    label = clean(head.split("(", 1)[0])
    office = groups[0].split("—", 1)[1].strip() if groups and "—" in groups[0] else None
    times = [t for t in (_time(g) for g in groups) if t]
    return label, clean(said), office or None, times[0] if times else None


def _name_and_office(printed: str | None) -> tuple[str | None, str | None]:
    """'Smith, Tony MP (The SPEAKER)' -> ('Smith, Tony MP', 'The SPEAKER')."""
    if not printed:
        return None, None
    if printed.endswith(")") and " (" in printed:
        head, _, inner = printed[:-1].rpartition(" (")
        if inner.startswith("The "):
            return head.strip(), inner.strip()
    return printed, None


def _is_chair(label: str | None) -> bool:
    upper = (label or "").upper()
    return "SPEAKER" in upper or "CHAIR" in upper


def _time(value: str | None) -> str | None:
    parts = (value or "").split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    return clock(int(parts[0]), int(parts[1]))


def _text(el: etree._Element) -> str:
    """The text of a body element as printed.

    The XML is indented for display: whitespace-only text that holds a line break beside child
    elements is layout, not a space ("Mr ALBANES</span>\n<span>E" is "Mr ALBANESE"); a span
    holding only whitespace is a space. Block elements (br, td, p, ...) separate words.
    """
    return clean("".join(_texts(el)))


def _texts(node: etree._Element):
    children = [c for c in node if isinstance(c.tag, str)]
    if not (children and _layout(node.text)):
        yield node.text or ""
    for child in children:
        block = child.tag in _BLOCKS
        if block:
            yield " "
        yield from _texts(child)
        if block:
            yield " "
        if not _layout(child.tail):
            yield child.tail or ""


def _layout(text: str | None) -> bool:
    return bool(text) and not text.strip() and "\n" in text


def _field(talker: etree._Element | None, name: str) -> str | None:
    if talker is None:
        return None
    return clean(talker.findtext(name)) or None
