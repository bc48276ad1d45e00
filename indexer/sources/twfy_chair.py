"""Who is in the chair of a TheyWorkForYou sitting, and which contributions are chair turns.

The record says who presides in notes, in a heading or a paragraph: Westminster Hall and
Public Bill Committees print "[David Taylor in the Chair]", the Northern Ireland Assembly
"(Mr Deputy Speaker [Mr Dallat] in the Chair)" or "(Mr Speaker in the Chair)". A note holds
from where it stands until the next one. The chair speaks under a title ("Mr. Speaker",
"Madam Deputy Speaker", "The Presiding Officer (Alex Fergusson)") or, where a note has named
them, under their own name ("David Taylor").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from indexer.contribution import Speaker
from indexer.sources.parlparse_members import MemberRegistry

_CHAIR_TITLE = re.compile(
    r"(?:(?:Mr|Madam|Mrs|Ms)\.? (?:Principal )?(?:Deputy )?Speaker"
    r"|The (?:Lord |(?:Principal )?Deputy )?Speaker"
    r"|The (?:(?:First|Second|Temporary) )?(?:Deputy )?Chair(?:man|woman)?"
    r"(?: of (?:Ways and Means|Committees))?"
    r"|The (?:Deputy )?Presiding Officer|The (?:Deputy )?Convener)"
    r"(?: \([^()]+\))?"  # the chair's name: "The Presiding Officer (Alex Fergusson)"
)
# "(Mr Deputy Speaker [Mr Dallat] in the Chair)", "(Mr Speaker in the Chair)"
_TITLED_NOTE = re.compile(
    r"\(\s*(?P<title>(?:Mr|Madam)\.? (?:Principal )?(?:Deputy )?Speaker)\s*"
    r"(?:\[\s*(?P<name>[^\[\]]+?)\s*\]\s*)?in the Chair\s*\)"
)
# "[David Taylor in the Chair]", "[Mr. Speaker in the Chair]"
_NAMED_NOTE = re.compile(r"\[\s*(?P<name>[^\[\]]+?)\s+in the Chair\s*\]")

# Namespaces whose record prints every chair turn under a title, never under a name, so a
# member speaking under their own name there is not in the chair.
TITLED_CHAIR_NAMESPACES = frozenset({"debate", "spor"})
# Namespace -> the MemberRecord.body a chair note's name is looked for in.
NOTE_BODIES = {"debate": "commons", "westminhall": "commons", "standing": "commons",
               "ni": "ni", "spor": "scotland", "lords": "lords"}


class PrintedNote(NamedTuple):
    """A chair note as printed: where it starts in its text, the title and the name it gives."""

    start: int
    title: str | None
    name: str | None


@dataclass(frozen=True, slots=True)
class ChairNote:
    """Who a note says is in the chair: a title, a name, or both, and the member the name fits
    (None when it fits no one or several)."""

    title: str | None = None
    name: str | None = None
    member_id: str | None = None


def is_chair_title(printed: str | None) -> bool:
    """Whether a printed speaker name is a presiding officer's title: "Mr. Deputy Speaker",
    "The Chairman", "The Deputy Presiding Officer (Trish Godman)"."""
    return bool(printed and _CHAIR_TITLE.fullmatch(printed.strip()))


def chair_notes(text: str) -> list[PrintedNote]:
    """The chair notes in `text`, in order."""
    found = [PrintedNote(m.start(), m.group("title"), m.group("name"))
             for m in _TITLED_NOTE.finditer(text)]
    for m in _NAMED_NOTE.finditer(text):
        name = m.group("name")
        titled = is_chair_title(name)  # "[Mr. Speaker in the Chair]"
        found.append(PrintedNote(m.start(), name if titled else None, None if titled else name))
    return sorted(found, key=lambda note: note.start)


def read_note(note: PrintedNote, members: MemberRegistry, date: str | None,
              body: str | None) -> ChairNote:
    """A note, its name resolved against the members of `body` on `date` where it fits one."""
    fits = members.members_named(note.name, date, body) if note.name and date and body else []
    return ChairNote(note.title, note.name, fits[0] if len(fits) == 1 else None)


def chair_turn(printed: str | None, speaker: Speaker, note: ChairNote | None,
               members: MemberRegistry, date: str, *, titled: bool) -> bool | None:
    """Whether a spoken contribution comes from the chair.

    True under a chair's title, or from the member the latest note names. False from any other
    resolved member, once a note has named the chair; before any note (or after one naming no
    member), only in a `titled` chamber and for a member the members data gives no chair.
    None otherwise: an unresolved speaker, or nothing to tell by.
    """
    if is_chair_title(printed):
        return True
    if speaker.member_id is None:
        return None
    if note is not None and note.member_id is not None:
        return members.person_ids.get(speaker.member_id, speaker.member_id) == (
            members.person_ids.get(note.member_id, note.member_id))
    if note is not None and note.name is not None:
        return None  # a chair the members data does not single out: it may be this member
    if note is None and not titled:
        return None
    return None if members.chair_office(speaker.member_id, date) else False


def is_deputy_title(printed: str | None) -> bool:
    """A deputy's title ("Mr Deputy Speaker"), which names no one: the note says who."""
    return is_chair_title(printed) and "Deputy" in (printed or "") and "(" not in printed
