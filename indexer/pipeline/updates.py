"""What an update writes: which source files to parse, which segments to keep, which to
write again.

An index is a list of immutable segments, each holding whole source files (store/writer.py).
Comparing the files the index should hold with those the current build holds (by corpus,
path and SHA-256, and the corpus's parser and lookup data):

- a file that is new or changed is parsed, chunked and embedded (from the vector cache where
  it can be) into a new segment;
- a segment all of whose files are unchanged is kept whole (hard links: no copy);
- a segment that lost a file (removed, changed, or superseded by a re-scrape) is written
  again from its stored rows without it: nothing is parsed or embedded, and no deleted
  contribution lingers in it;
- segments the store's merge policy picks (store/merging.py) are written again with the
  new files.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from indexer.corpus import CorpusInput
from indexer.errors import IndexFormatError, IndexNotFound
from indexer.sources import corpus_defaults, members_files
from indexer.store.database import SourceFile, segment_files
from indexer.store.layout import SEGMENTS_DIR, read_manifest, resolve_build, segment_folders
from indexer.store.manifest import CorpusEntry, Manifest, SegmentEntry
from indexer.store.merging import MERGE_POLICY, MergePolicy


@dataclass(frozen=True)
class WantedFile:
    """A source file the index is to hold."""

    file: SourceFile
    corpus: CorpusInput | None = None  # None: kept from the current build (`add`)
    path: Path | None = None  # on local disk
    config: str | None = None  # its corpus's parser and lookups (corpus_config)


@dataclass(frozen=True)
class ParsedFile:
    """A file to parse, chunk and embed."""

    corpus: CorpusInput
    path: Path
    file: SourceFile


@dataclass(frozen=True)
class StoredFile:
    """A file to write into a new segment from the segment that stores it."""

    segment: Path
    number: int  # in that segment's `files` table
    file: SourceFile


Unit = ParsedFile | StoredFile


@dataclass
class Previous:
    """The current build, as an update starts from it."""

    build: Path
    manifest: Manifest
    files: dict[str, list[tuple[int, SourceFile]]]  # segment id -> (number, file), in order

    @property
    def segments(self) -> tuple[SegmentEntry, ...]:
        return self.manifest.segments

    def config(self, corpus: str) -> str | None:
        entry = self.manifest.corpus(corpus)
        return corpus_config(entry) if entry else None


@dataclass
class UpdatePlan:
    previous: Path | None  # the current build's folder
    kept: list[SegmentEntry] = field(default_factory=list)  # its segments kept whole
    units: list[Unit] = field(default_factory=list)  # files to write into new segments
    kept_files: int = 0
    removed: int = 0

    @property
    def parsed(self) -> int:
        return sum(isinstance(u, ParsedFile) for u in self.units)

    @property
    def copied(self) -> int:
        return sum(isinstance(u, StoredFile) for u in self.units)

    def unchanged(self) -> bool:
        return not self.units and not self.removed


def previous_build(index_dir: Path, settings: str) -> Previous | None:
    """The current build, if one with these settings (model, chunking, format) exists."""
    try:
        manifest = read_manifest(index_dir)
        build = resolve_build(index_dir)
    except (IndexNotFound, IndexFormatError):
        return None
    if manifest.settings != settings:
        return None
    return Previous(build, manifest, {
        entry.id: segment_files(folder)
        for entry, folder in zip(manifest.segments, segment_folders(build, manifest),
                                 strict=True)})


def corpus_config(entry: CorpusEntry) -> str:
    """A corpus's parser and lookup data (members, parties): a file parsed under another
    config is parsed again."""
    spec = {"format": entry.format, "parser_version": entry.parser_version,
            "lookups": entry.lookups}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


def lookups_digest(corpus: CorpusInput, hashes: dict[str, str]) -> str:
    """The SHA-256 of a corpus's lookup files, from `hashes` (relative path -> SHA-256), and
    of the house and parliament its manifest states (where it states them)."""
    names = sorted(p.relative_to(corpus.root).as_posix() for p in members_files(corpus))
    spec: dict = {n: hashes[n] for n in names}
    if defaults := corpus_defaults(corpus):
        spec = {"files": spec, "defaults": defaults}
    return hashlib.sha256(json.dumps(spec).encode()).hexdigest()


def wanted_files(inputs: Sequence[CorpusInput], corpora: Sequence[CorpusEntry],
                 previous: Previous | None = None, mirrored: Sequence[Path] = ()
                 ) -> list[WantedFile]:
    """The files the index is to hold, in order: with `previous` (an `add`), first those of
    the current build that `inputs` do not name, then those of `inputs`. A file of the
    current build under one of the `mirrored` folders (of an input's corpus) that `inputs`
    do not name is not kept: the index holds such a folder as it is now."""
    entries = {entry.name: entry for entry in corpora}
    given = []
    for corpus in inputs:
        entry = entries[corpus.name]
        for path in corpus.files:
            rel = path.relative_to(corpus.root).as_posix()
            given.append(WantedFile(SourceFile(corpus.name, rel, entry.files[rel]), corpus,
                                    path, corpus_config(entry)))
    if previous is None:
        return given
    named = {w.file.key for w in given}
    folders = _folders_within(inputs, mirrored)
    kept = [WantedFile(f) for files in previous.files.values() for _, f in files
            if f.key not in named and not _within(f, folders)]
    return kept + given


def _folders_within(inputs: Sequence[CorpusInput], folders: Sequence[Path]
                    ) -> set[tuple[str, str]]:
    """(corpus, folder relative to its root) of each folder inside an input's tree."""
    inside = set()
    for corpus in inputs:
        for folder in folders:
            try:
                rel = Path(folder).resolve().relative_to(corpus.root.resolve()).as_posix()
            except ValueError:
                continue
            inside.add((corpus.name, "" if rel == "." else rel + "/"))
    return inside


def _within(file: SourceFile, folders: set[tuple[str, str]]) -> bool:
    return any(file.corpus == corpus and file.path.startswith(prefix)
               for corpus, prefix in folders)


def plan_update(previous: Previous | None, wanted: Sequence[WantedFile],
                policy: MergePolicy = MERGE_POLICY) -> UpdatePlan:
    """Which segments of `previous` to keep, and which files to write into new segments."""
    if previous is None:
        return UpdatePlan(None, units=[ParsedFile(w.corpus, w.path, w.file) for w in wanted])
    want = {w.file.key: w for w in wanted}
    stored: dict[tuple[str, str], tuple[str, int]] = {}  # unchanged file -> segment, number
    intact, removed = set(), 0
    for segment in previous.segments:
        whole = True
        for number, f in previous.files[segment.id]:
            w = want.get(f.key)
            if w is None:
                removed += 1
            if w is not None and (w.corpus is None or (
                    w.file.sha256 == f.sha256 and w.config == previous.config(f.corpus))):
                stored[f.key] = (segment.id, number)
            else:
                whole = False
        if whole:
            intact.add(segment.id)
    rewrite = {s.id for s in previous.segments} - intact
    if rewrite or len(stored) < len(want):
        rewrite |= policy.merged(s for s in previous.segments if s.id in intact)
    plan = UpdatePlan(previous.build, removed=removed,
                      kept=[s for s in previous.segments if s.id not in rewrite])
    for w in wanted:
        if w.file.key not in stored:
            plan.units.append(ParsedFile(w.corpus, w.path, w.file))
            continue
        segment, number = stored[w.file.key]
        if segment in rewrite:
            plan.units.append(StoredFile(previous.build / SEGMENTS_DIR / segment, number, w.file))
        else:
            plan.kept_files += 1
    return plan


def new_segment_id() -> str:
    return time.strftime("%Y%m%dT%H%M%S") + f"-{uuid.uuid4().hex[:8]}"
