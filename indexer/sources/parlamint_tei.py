"""ParlaMint TEI: one Contribution per utterance (<u>) of a sitting file.

A sitting file (ParlaMint-GB_2022-07-21-commons.xml) holds <div>s opened by a <head>; each <u
who="#PersonId" ana="#chair|#regular"> holds <seg> paragraphs. Speakers resolve through the
corpus's listPerson/listOrg when the manifest's `members` folder holds them (the party is the
one whose dated affiliation covers the sitting date), else through the sitting's own
`<file stem>-meta.tsv`. ParlaMint does not print a name in the utterance, so `Speaker.name` is
the name the lookup gives ("Hoyle, Lindsay Harvey"). Chair turns set `Speaker.chair`.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from indexer.contribution import Contribution, Kind, ParseIssue, Speaker
from indexer.errors import CorpusError
from indexer.sources.paths import files_below, nearest_folder, own_folder, source_path
from indexer.sources.text import clean, element_text
from indexer.sources.xml_reading import reporting_read_errors, xml_events

FORMAT = "parlamint-tei"
PARSER_VERSION = 1

TEI = "{http://www.tei-c.org/ns/1.0}"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"

# ParlaMint country code (from the file name) -> the legislature
PARLIAMENTS = {"GB": "UK Parliament"}
# ParlaMint's ids for parliamentary bodies -> house, where listOrg does not name them
HOUSES = {"parliament.HC": "House of Commons", "parliament.HL": "House of Lords"}

_SITTING_FILE = re.compile(
    r"^ParlaMint-([A-Z]{2}(?:-[A-Z0-9]+)?)_\d{4}-\d{2}-\d{2}.*(?<!\.ana)\.xml$"
)
_SKIPPED_IN_TEXT = frozenset(TEI + t for t in ("note", "gap", "kinesic", "vocal", "incident"))
_UNKNOWN = {"", "-"}


@dataclass(frozen=True, slots=True)
class Affiliation:
    ref: str  # an org id without "#", e.g. "party.CON"
    role: str
    start: str  # ISO date, "" when open
    end: str


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    name: str  # "Surname, Forename Forename", as ParlaMint's own metadata writes it
    affiliations: tuple[Affiliation, ...] = ()


@dataclass(slots=True)
class Registry:
    """ParlaMint's listPerson and listOrg: who is who, and which party, on which date."""

    persons: dict[str, Person] = field(default_factory=dict)
    orgs: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)  # full, abb

    def party(self, person_id: str, day: str) -> tuple[str | None, str | None]:
        """(party name, party code) of the party membership that covers `day`."""
        person = self.persons.get(person_id)
        for aff in person.affiliations if person else ():
            if aff.role == "member" and aff.ref.startswith("party.") and _covers(aff, day):
                full, abb = self.orgs.get(aff.ref, (None, None))
                return full, abb or aff.ref.removeprefix("party.")
        return None, None


def load_lookups(root: Path, members: str | None = None) -> Registry:
    """The corpus's listPerson/listOrg if its `members` folder (or root) holds them."""
    registry = Registry()
    person_files, org_files = _registry_files(root, members)
    for path in org_files:
        for org in _parse(path).iter(TEI + "org"):
            names = {n.get("full"): element_text(n) for n in org.findall(TEI + "orgName")}
            registry.orgs[org.get(XML_ID, "")] = (names.get("yes"), names.get("abb"))
    for path in person_files:
        for person in _parse(path).iter(TEI + "person"):
            registry.persons[person.get(XML_ID, "")] = _person(person)
    return registry


def lookup_files(root: Path, members: str | None = None) -> list[Path]:
    """listPerson/listOrg, and every sitting's -meta.tsv (a change to them changes the index)."""
    person_files, org_files = _registry_files(root, members)
    return sorted({*person_files, *org_files, *root.rglob("*-meta.tsv")})


def find_tree_root(path: Path) -> Path:
    """The nearest folder at or above `path` holding a listPerson, else the file's folder."""
    root = nearest_folder(path, lambda folder: any(folder.glob("*listPerson*.xml")))
    return root or own_folder(path)


def list_source_files(path: Path) -> list[Path]:
    """Sitting files: `path` itself, or every ParlaMint-XX_<date>*.xml below it (no .ana.xml)."""
    return files_below(path, "*.xml", keep=lambda p: bool(_SITTING_FILE.match(p.name)))


def parse_file(
    path: Path, registry: Registry, corpus: str, root: Path
) -> tuple[list[Contribution], list[ParseIssue]]:
    """Parse one sitting file; problems become ParseIssues, never raises.

    A -meta.tsv listed in a manifest beside its sitting is a lookup, not a record: it gives
    nothing. A file that is not well-formed keeps the utterances before the error.
    """
    if path.suffix != ".xml":
        return [], []
    sitting = _Sitting(path, registry, corpus, source_path(path, root))
    sitting.meta = _read_meta(path.with_name(path.stem + "-meta.tsv"), sitting)
    if not registry.persons and sitting.meta is None:
        sitting.issue(None, "no listPerson and no -meta.tsv beside the file: speakers unresolved")
    with reporting_read_errors(sitting.issue):
        for event, el in xml_events(path):
            if event == "start":
                if el.tag == TEI + "div":
                    sitting.open_division()
                continue
            if el.tag == TEI + "teiHeader":
                sitting.read_header(el)
                el.clear()
            elif el.tag == TEI + "head" and sitting.in_body:
                sitting.heading(el)
            elif el.tag == TEI + "u":
                sitting.utterance(el)
                el.clear(keep_tail=True)
    return sitting.contributions, sitting.issues


class _Sitting:
    """Parse state for one sitting file."""

    def __init__(self, path: Path, registry: Registry, corpus: str, source_file: str):
        self.registry = registry
        self.corpus = corpus
        self.source_file = source_file
        self.text_id = path.stem
        match = _SITTING_FILE.match(path.name)
        self.country = match.group(1).split("-")[0] if match else None
        self.meta: dict[str, dict[str, str]] | None = None
        self.contributions: list[Contribution] = []
        self.issues: list[ParseIssue] = []
        self.in_body = False
        self.date: str | None = None
        self.house: str | None = None
        self.url: str | None = None
        self.divisions = 0
        self.section = _Section(f"{self.text_id}.div0")

    def issue(self, line: int | None, message: str) -> None:
        self.issues.append(ParseIssue(self.source_file, line, message))

    def read_header(self, header: etree._Element) -> None:
        self.in_body = True
        when = header.find(f".//{TEI}setting/{TEI}date")
        if when is None:
            when = header.find(f".//{TEI}sourceDesc//{TEI}date")
        self.date = when.get("when") if when is not None else None
        meeting = header.find(f".//{TEI}titleStmt/{TEI}meeting")
        body = (meeting.get("corresp") or "").lstrip("#") if meeting is not None else ""
        self.house = self.registry.orgs.get(body, (None, None))[0] or HOUSES.get(body)
        for idno in header.iterfind(f".//{TEI}sourceDesc//{TEI}idno"):
            if idno.get("subtype") == "parliament" and (idno.text or "").strip():
                self.url = idno.text.strip()
                break
        if self.date is None or self.house is None:
            self.issue(header.sourceline, "teiHeader names no sitting date or no known house")

    def open_division(self) -> None:
        self.divisions += 1
        self.section = _Section(f"{self.text_id}.div{self.divisions}")

    def heading(self, el: etree._Element) -> None:
        self.section.debate_id = el.get(XML_ID) or self.section.debate_id
        self.section.title = element_text(el) or None

    def utterance(self, el: etree._Element) -> None:
        uid, line = el.get(XML_ID), el.sourceline
        if not uid:
            self.issue(line, "<u> without an xml:id; skipped")
            return
        if self.date is None or self.house is None:
            self.issue(line, f"{uid}: sitting date or house unknown; skipped")
            return
        text = "\n\n".join(p for p in (_seg_text(seg) for seg in el.iter(TEI + "seg")) if p)
        if not text:
            self.issue(line, f"{uid}: no text; skipped")
            return
        self.section.position += 1
        self.contributions.append(
            Contribution(
                id=uid,
                corpus=self.corpus,
                parliament=PARLIAMENTS.get(self.country or "", f"ParlaMint-{self.country}"),
                kind=Kind.SPEECH,
                house=self.house,
                date=self.date,
                text=text,
                speaker=self._speaker(el, uid, line),
                debate_id=self.section.debate_id,
                debate_title=self.section.title or "",
                major_heading=self.section.title,
                position=self.section.position,
                source_url=self.url,
                source_file=self.source_file,
            )
        )

    def _speaker(self, el: etree._Element, uid: str, line: int | None) -> Speaker:
        roles = (el.get("ana") or "").split()
        chair = True if "#chair" in roles else False if "#regular" in roles else None
        who = (el.get("who") or "").strip().lstrip("#")
        if not who:
            return Speaker(name=None, chair=chair)
        person_id = f"ParlaMint-{self.country}/person/{who}"
        person = self.registry.persons.get(who)
        if person is not None:
            party, code = self.registry.party(who, self.date or "")
            return Speaker(name=person.name, person_id=person_id, member_name=person.name,
                           party=party, party_code=code, chair=chair)
        row = (self.meta or {}).get(uid)
        if row is None:
            self.issue(line, f"{uid}: speaker #{who} not in listPerson or the -meta.tsv")
            return Speaker(name=None, person_id=person_id, chair=chair)
        name = _known(row.get("Speaker_name"))
        return Speaker(name=name, person_id=person_id, member_name=name,
                       party=_known(row.get("Speaker_party_name")),
                       party_code=_known(row.get("Speaker_party")), chair=chair)


@dataclass(slots=True)
class _Section:
    debate_id: str
    title: str | None = None
    position: int = 0


def _read_meta(path: Path, sitting: _Sitting) -> dict[str, dict[str, str]] | None:
    """The -meta.tsv rows by utterance id, or None when there is no such file."""
    if not path.is_file():
        return None
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        sitting.issue(None, f"cannot read {path.name}: {err}")
        return None
    if rows and "ID" not in rows[0]:
        sitting.issue(None, f"{path.name} has no ID column; not used")
        return None
    return {row["ID"]: row for row in rows}


def _registry_files(root: Path, members: str | None) -> tuple[list[Path], list[Path]]:
    folder = root / members if members else root
    if not folder.is_dir():
        return [], []
    return sorted(folder.glob("*listPerson*.xml")), sorted(folder.glob("*listOrg*.xml"))


def _parse(path: Path) -> etree._ElementTree:
    try:
        return etree.parse(str(path), etree.XMLParser(no_network=True, resolve_entities=False))
    except (etree.XMLSyntaxError, OSError) as err:
        raise CorpusError(f"cannot read ParlaMint lookup {path}: {err}") from err


def _person(el: etree._Element) -> Person:
    pers = el.find(TEI + "persName")
    surname = forenames = ""
    if pers is not None:
        surname = " ".join(element_text(s) for s in pers.findall(TEI + "surname"))
        forenames = " ".join(element_text(f) for f in pers.findall(TEI + "forename"))
    name = ", ".join(part for part in (surname, forenames) if part)
    affiliations = tuple(
        Affiliation((a.get("ref") or "").lstrip("#"), a.get("role") or "",
                    a.get("from") or "", a.get("to") or "")
        for a in el.findall(TEI + "affiliation")
    )
    return Person(el.get(XML_ID, ""), name, affiliations)


def _covers(aff: Affiliation, day: str) -> bool:
    """Whether `day` falls in the affiliation; partial dates ("2019", "2019-05") are whole."""
    start = aff.start + "-01-01"[len(aff.start) - 4:] if aff.start else ""
    end = aff.end + "-12-31"[len(aff.end) - 4:] if aff.end else "9999-12-31"
    return start <= day <= end


def _seg_text(seg: etree._Element) -> str:
    parts = [seg.text or ""]
    for child in seg:
        if child.tag not in _SKIPPED_IN_TEXT and isinstance(child.tag, str):
            parts.append("".join(child.itertext()))
        parts.append(child.tail or "")
    return clean("".join(parts))


def _known(value: str | None) -> str | None:
    value = (value or "").strip()
    return None if value in _UNKNOWN else value
