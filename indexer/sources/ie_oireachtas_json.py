"""Houses of the Oireachtas debate JSON (RobertLucey/oireachtas-data): one Contribution per
speech of a sitting day.

A day file holds "sections" (debate sections, some the children of others), each with
"speeches": {"by": "#EndaKenny", "as": "#Minister_for_Social_Protection" or null, "eid":
"spk_79", "paras": [{"content": ...}]}. The file prints no names, parties or constituencies:
`by` is the Akoma Ntoso reference to the speaker, kept as the name (without its "#") and as
the person id; `as` is the role they spoke in ("Minister for Social Protection"). Party and
constituency are None. Ids are "oireachtas.ie/dail/<date>/<section>/<eid>": in this file the
same eid can name different speeches in different sections.

The file has quirks that this module reports rather than hides:
- a parent section repeats its subsections' speeches; the repeat (same speaker, same first
  paragraph as a speech in a subsection) is dropped, and the speech kept in its subsection;
- some sections hold a different number of speeches or speakers than the record's own
  "counts" for them say, i.e. their speeches belong elsewhere: those speeches keep their
  speaker but get no debate title (and no section link), as the heading is not theirs;
- null is written as the string "None".
"""

from __future__ import annotations

from pathlib import Path

from indexer.contribution import Contribution, Kind, ParseIssue, Speaker
from indexer.sources.format import self_contained
from indexer.sources.partial_json import read_record_file
from indexer.sources.paths import source_path
from indexer.sources.text import clean, join_headings

FORMAT = "ie-oireachtas-json"
PARSER_VERSION = 1

PARLIAMENT = "Houses of the Oireachtas"
ID_PREFIX = "oireachtas.ie"
CHAMBERS = {"Dáil Éireann": "dail", "Seanad Éireann": "seanad"}
_CHAIR_ROLES = ("Ceann_Comhairle", "CeannComhairle", "Cathaoirleach", "Chairman", "Chair")


# The day file is all there is: nothing to look up.
load_lookups, lookup_files, find_tree_root, list_source_files = self_contained("*.json")


def parse_file(
    path: Path, lookups: None, corpus: str, root: Path
) -> tuple[list[Contribution], list[ParseIssue]]:
    """Parse one day file; problems become ParseIssues, never raises.

    A broken file keeps the sections before the break.
    """
    source_file = source_path(path, root)
    head, sections, issues = read_record_file(path, source_file, "sections")
    if head is None:
        return [], issues

    def issue(message: str, line: int | None = None) -> None:
        issues.append(ParseIssue(source_file, line, message))

    day, house = _value(head.get("date")), _value(head.get("chamber"))
    if day is None or house not in CHAMBERS:
        issue(f"no sitting date or unknown chamber {house!r}; nothing imported")
        return [], issues
    sections = [s for s in sections if isinstance(s, dict)]
    titles = {_value(s.get("debate_section_id")): _value(s.get("show_as")) for s in sections}
    repeats = _repeated_in_subsections(sections)
    found: list[Contribution] = []
    seen: set[str] = set()
    for section in sections:
        sid = _value(section.get("debate_section_id")) or f"section{len(seen)}"
        parent = section.get("parent_debate_section")
        parent_id = _value(parent.get("debateSectionId")) if isinstance(parent, dict) else None
        speeches = [sp for sp in section.get("speeches") or [] if isinstance(sp, dict)]
        kept = [sp for sp in speeches if _key(sp) not in repeats.get(sid, set())]
        if len(kept) < len(speeches):
            issue(f"{sid}: {len(speeches) - len(kept)} speeches repeated from its subsections "
                  "dropped")
        placed = _counts_agree(section, kept)
        if not placed:
            issue(f"{sid} {_value(section.get('show_as'))!r}: holds {len(kept)} speeches by "
                  f"{len({sp.get('by') for sp in kept})} speakers but the record counts "
                  f"{_count(section, 'speechCount')} by {_count(section, 'speakerCount')}; "
                  "its heading is not used for them")
        major = titles.get(parent_id) if parent_id else _value(section.get("show_as"))
        minor = _value(section.get("show_as")) if parent_id else None
        if not placed:
            major = minor = None
        position = 0
        for speech in kept:
            contribution = _contribution(speech, sid, (major, minor), position + 1, day, house,
                                         corpus, source_file, section if placed else None)
            if contribution is None:
                issue(f"{sid}/{speech.get('eid')}: no speaker reference or no text; skipped")
            elif contribution.id in seen:
                issue(f"{contribution.id} occurs twice; the second one is skipped")
            else:
                seen.add(contribution.id)
                found.append(contribution)
                position += 1
    return found, issues


def _contribution(speech: dict, sid: str, headings: tuple[str | None, str | None],
                  position: int, day: str, house: str, corpus: str, source_file: str,
                  section: dict | None) -> Contribution | None:
    ref = (_value(speech.get("by")) or "").lstrip("#")
    paras = [clean(str(p.get("content") or ""))
             for p in speech.get("paras") or [] if isinstance(p, dict)]
    text = "\n\n".join(p for p in paras if p)
    if not ref or not text:
        return None
    eid = _value(speech.get("eid")) or f"{sid}.{position}"
    major, minor = headings
    role = (_value(speech.get("as")) or "").lstrip("#")
    office = role.replace("_", " ") or None
    return Contribution(
        id=f"{ID_PREFIX}/{CHAMBERS[house]}/{day}/{sid}/{eid}",
        corpus=corpus,
        parliament=PARLIAMENT,
        kind=Kind.SPEECH,
        house=house,
        date=day,
        text=text,
        speaker=Speaker(
            name=ref,
            person_id=f"{ID_PREFIX}/person/{ref}",
            office=office,
            office_source="record" if office else None,
            chair=any(c in role for c in _CHAIR_ROLES) if role else None,
        ),
        debate_id=f"{ID_PREFIX}/{CHAMBERS[house]}/{day}/{sid}",
        debate_title=join_headings(major, minor),
        major_heading=major,
        minor_heading=minor,
        position=position,
        source_url=_value(section.get("data_uri")) if section else None,
        source_file=source_file,
    )


def _repeated_in_subsections(sections: list[dict]) -> dict[str, set[tuple]]:
    """Parent section id -> keys of the speeches its subsections hold."""
    repeats: dict[str, set[tuple]] = {}
    for section in sections:
        parent = section.get("parent_debate_section")
        if isinstance(parent, dict) and _value(parent.get("debateSectionId")):
            keys = repeats.setdefault(_value(parent["debateSectionId"]), set())
            keys.update(_key(sp) for sp in section.get("speeches") or [] if isinstance(sp, dict))
    return repeats


def _key(speech: dict) -> tuple:
    paras = speech.get("paras") or []
    first = paras[0].get("content") if paras and isinstance(paras[0], dict) else ""
    return speech.get("by"), clean(str(first or ""))


def _counts_agree(section: dict, kept: list[dict]) -> bool:
    """Whether a section holds as many speeches, by as many speakers, as its counts say."""
    speeches, speakers = _count(section, "speechCount"), _count(section, "speakerCount")
    if speeches is None or speakers is None:
        return True
    return speeches == len(kept) and speakers == len({sp.get("by") for sp in kept})


def _count(section: dict, name: str) -> int | None:
    counts = section.get("counts")
    value = counts.get(name) if isinstance(counts, dict) else None
    return int(value) if str(value).isdigit() else None


def _value(value) -> str | None:
    """A string field, with the file's "None" (and empty strings) read as None."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    return None if value in ("", "None") else value
