"""Debates as plain text (format "text"): a page copied from the Hansard website, a transcript
from a parliament with no XML feed. One file is one debate.

The header, at the top of the file, gives the title and the sitting date: the title is the
first line that is not web chrome ("Skip to main content"), a house line ("House of Commons",
"Commons Chamber", ...) or a key line ("Title:", "House:", "Parliament:"); a second such line
is the minor heading. It ends at the date line, "Volume 762: debated on Monday 24 February
2025" as Hansard prints it, "debated on 24 February 2025" or "Date: 2025-02-24". A file with
no date line among its first lines is skipped, with an issue naming its first line.

After the header, paragraphs are separated by blank lines (a file without blank lines has one
paragraph a line; the lines of a paragraph are joined). A speaker line opens a turn and every
paragraph up to the next speaker line belongs to it: one Contribution a turn. Speaker lines
(speaker_line) are "Jess Phillips (Birmingham Yardley) (Lab)" as Hansard prints a member,
"The Parliamentary Under-Secretary of State for the Home Department (Jess Phillips)" (office,
then name), "Madam Deputy Speaker (Judith Cummins)" or "Mr Speaker" (the chair), and
"Name:" alone on its line. A paragraph in no turn is a Contribution of its own with the speaker
unknown (Speaker(name=None)); a quotation (a paragraph opening with a quotation mark) after
one that introduces it ("In Fiona's own words:") is part of that one. Names are never guessed.

House and parliament are read where the header names them, else "" (unknown): a corpus
manifest states them for its files in [defaults] (see indexer.corpus). Ids are
"text/<file path without .txt>/<n>", n the turn's place in the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date as Date
from pathlib import Path

from indexer.contribution import Contribution, Kind, ParseIssue, Speaker
from indexer.sources.format import self_contained
from indexer.sources.paths import source_path
from indexer.sources.speaker_lines import speaker_line
from indexer.sources.text import clean, join_headings

FORMAT = "text"
PARSER_VERSION = 1
ID_PREFIX = "text"

load_lookups, lookup_files, find_tree_root, list_source_files = self_contained("*.txt")

HEADER_LINES = 12  # the date line must be among the first non-blank lines
CHROME = frozenset({"Skip to main content"})  # the Hansard website's, copied with the page
HOUSE_LINES = {
    "House of Commons": "House of Commons", "Commons Chamber": "House of Commons",
    "House of Lords": "House of Lords", "Lords Chamber": "House of Lords",
    "Westminster Hall": "Westminster Hall",
}
QUOTATION_MARKS = ('"', "\u201c", "\u2018", "'", "\u00ab")
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")

_KEY_LINE = re.compile(r"^(title|date|house|parliament):\s*(.+)$", re.IGNORECASE)
_DEBATED_ON = re.compile(r"^(?:Volume\s+\d+\s*:\s*)?debated\s+on\s+(.+)$", re.IGNORECASE)
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_WRITTEN_DATE = re.compile(
    r"^(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?(\d{1,2})\s+([a-z]+),?\s+(\d{4})$",
    re.IGNORECASE,
)


@dataclass(slots=True)
class Header:
    headings: list[str] = field(default_factory=list)
    title: str | None = None
    house: str = ""
    parliament: str = ""
    date: str | None = None
    end: int = 0  # index of the first line after the header


@dataclass(slots=True)
class Turn:
    speaker: Speaker
    paragraphs: list[str] = field(default_factory=list)
    quoting: bool = False  # its last paragraph is a quotation


def parse_file(
    path: Path, lookups: None, corpus: str, root: Path
) -> tuple[list[Contribution], list[ParseIssue]]:
    """One Contribution per speaker turn, or per paragraph where no speaker line opens one;
    problems become ParseIssues naming the file and line, never raises."""
    source_file = source_path(path, root)
    lines, problem = _read_lines(path)
    if problem is not None:
        line, message = problem
        return [], [ParseIssue(source_file, line, f"{message}; skipped")]
    issues: list[ParseIssue] = []
    header = _read_header(lines, source_file, issues)
    if header is None:
        return [], issues
    turns = _turns(lines, header.end, source_file, issues)
    if not turns:
        issues.append(ParseIssue(source_file, header.end or None,
                                 "no paragraphs after the header; skipped"))
        return [], issues
    debate_id = f"{ID_PREFIX}/{source_file.removesuffix(path.suffix)}"
    major = header.title or (header.headings[0] if header.headings else None)
    minor = " — ".join(header.headings[1:]) if not header.title else None
    contributions = [
        Contribution(
            id=f"{debate_id}/{n}",
            corpus=corpus,
            parliament=header.parliament,
            kind=Kind.SPEECH,
            house=header.house,
            date=header.date,
            text="\n\n".join(turn.paragraphs),
            speaker=turn.speaker,
            debate_id=debate_id,
            debate_title=join_headings(major, minor or None),
            major_heading=major,
            minor_heading=minor or None,
            position=n,
            source_file=source_file,
        )
        for n, turn in enumerate(turns, start=1)
    ]
    return contributions, issues


def _read_lines(path: Path) -> tuple[list[str], tuple[int | None, str] | None]:
    """The file's lines, or (line, why) it is not text."""
    try:
        data = path.read_bytes()
    except OSError as err:
        return [], (None, f"cannot read: {err.strerror or err}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        return [], (line, f"not UTF-8 text (byte {data[err.start]:#04x})")
    if "\x00" in text:
        return [], (text.count("\n", 0, text.index("\x00")) + 1, "not text (a NUL byte)")
    if not text.strip():
        return [], (None, "no text")
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), None


def _read_header(lines: list[str], source_file: str, issues: list[ParseIssue]) -> Header | None:
    """The title, house and date from the top of the file; None (with an issue) when there is
    no readable sitting date."""
    header = Header()
    first: int | None = None
    seen = 0
    for i, raw in enumerate(lines):
        line = clean(raw)
        if not line:
            continue
        first = i + 1 if first is None else first
        seen += 1
        if seen > HEADER_LINES:
            break
        key = _KEY_LINE.match(line)
        debated = _DEBATED_ON.match(line)
        if debated or (key and key.group(1).lower() == "date"):
            written = debated.group(1) if debated else key.group(2)
            header.date, header.end = _read_date(written), i + 1
            if header.date is None:
                issues.append(ParseIssue(source_file, i + 1,
                                         f"cannot read the sitting date {written!r}; skipped"))
                return None
            return header
        if line in CHROME:
            continue
        if line in HOUSE_LINES:
            header.house = HOUSE_LINES[line]
        elif key:
            setattr(header, key.group(1).lower(), key.group(2))
        else:
            header.headings.append(line)
    issues.append(ParseIssue(
        source_file, first,
        f"no sitting date: expected a line such as 'Volume 762: debated on Monday 24 February "
        f"2025' or 'Date: 2025-02-24' among the first {HEADER_LINES}; skipped"))
    return None


def _read_date(written: str) -> str | None:
    """ISO date of "2025-02-24", "Monday 24 February 2025" or "24 February 2025"."""
    iso = _ISO_DATE.match(written)
    if iso:
        year, month, day = (int(x) for x in iso.groups())
    else:
        words = _WRITTEN_DATE.match(written)
        if not words or words.group(2).lower() not in MONTHS:
            return None
        year, day = int(words.group(3)), int(words.group(1))
        month = MONTHS.index(words.group(2).lower()) + 1
    try:
        return Date(year, month, day).isoformat()
    except ValueError:
        return None


def _paragraphs(lines: list[str], start: int) -> list[tuple[int, str]]:
    """(line number, text) of each paragraph from `start`: lines between blank lines joined,
    or each line where the body has no blank lines."""
    body = [(i + 1, clean(line)) for i, line in enumerate(lines[start:], start=start)]
    while body and not body[0][1]:
        body.pop(0)
    while body and not body[-1][1]:
        body.pop()
    if all(text for _, text in body):
        return [(n, text) for n, text in body]
    found: list[tuple[int, str]] = []
    block: list[tuple[int, str]] = []
    for n, text in [*body, (0, "")]:
        if text:
            block.append((n, text))
            continue
        if block:
            # a speaker line heads its block: "Name (Seat) (Party)", then the words
            if len(block) > 1 and speaker_line(block[0][1]) is not None:
                found.append(block.pop(0))
            found.append((block[0][0], " ".join(t for _, t in block)))
            block = []
    return found


def _turns(lines: list[str], start: int, source_file: str, issues: list[ParseIssue]
           ) -> list[Turn]:
    turns: list[Turn] = []
    open_turn: Turn | None = None  # opened by a speaker line
    opened_at = 0
    for n, text in _paragraphs(lines, start):
        speaker = speaker_line(text)
        if speaker is not None:
            if open_turn is not None and not open_turn.paragraphs:
                issues.append(ParseIssue(source_file, opened_at, "speaker line with no words"))
            open_turn, opened_at = Turn(speaker), n
            turns.append(open_turn)
            continue
        quotation = text.startswith(QUOTATION_MARKS)
        if open_turn is not None:
            open_turn.paragraphs.append(text)
        elif quotation and turns and _introduces_quotation(turns[-1]):
            turns[-1].paragraphs.append(text)
        else:
            turns.append(Turn(Speaker(name=None), [text]))
        turns[-1].quoting = quotation
    if open_turn is not None and not open_turn.paragraphs:
        issues.append(ParseIssue(source_file, opened_at, "speaker line with no words"))
    return [turn for turn in turns if turn.paragraphs]


def _introduces_quotation(turn: Turn) -> bool:
    """An unattributed paragraph ending "...in her own words:" (or "...she said,") goes on in
    the quotation after it, as does a quotation of several paragraphs."""
    return turn.quoting or turn.paragraphs[-1].endswith((":", ","))
