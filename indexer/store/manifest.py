"""A build's manifest, typed: what the build holds and how it was made (manifest.json).

The manifest is the build's commit point (Lucene's segments_N): its segments, their counts,
the model and chunking every vector was made with, the corpora and files it indexes, and the
SHA-256 of every file of the build. It is read and written only here; everything else sees
these classes. The JSON on disk keeps the same names, so the format is unchanged.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from indexer.errors import IndexFormatError

# 8: no sentence vectors (computed when first quoted); 7: speaker offices; 6: sentence
# vectors; 5: segments; 4: exact vectors
FORMAT_VERSION = 8
MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True)
class SegmentEntry:
    """One segment of a build: its folder under segments/, and what it holds."""

    id: str
    contributions: int
    chunks: int
    sentences: int = 0
    search: str = "exact"  # its vector index: exact, or approximate (store/vectors.py)


@dataclass(frozen=True)
class ModelEntry:
    """The model every vector of the build was made with."""

    name: str
    path: str  # its folder when the build was made ("" if unknown)
    fingerprint: str
    dimension: int
    max_tokens: int
    embedded_with: dict[str, str] = field(default_factory=dict)  # backend, device


@dataclass(frozen=True)
class CorpusEntry:
    """A corpus the build indexes, and the files of it that it holds (path -> SHA-256)."""

    name: str
    title: str
    format: str
    manifest: str | None
    root: str
    licence: dict[str, Any] | None
    parser_version: int
    lookups: str  # the SHA-256 of its lookup data (members, parties): updates.corpus_config
    files: dict[str, str]
    # Path -> the build in which the file, as it is now, entered the index (with_history).
    entered: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BuildEntry:
    """A build published in an index folder: its id and when it was made."""

    id: str
    created_at: str  # ISO 8601 with the offset, to the second


@dataclass(frozen=True)
class Counts:
    contributions: int
    chunks: int


@dataclass(frozen=True)
class FileDigest:
    sha256: str
    bytes: int


@dataclass(frozen=True)
class Manifest:
    build_id: str
    created_at: str
    input_fingerprint: str | None  # None after an `add`: the inputs are not all named
    settings: str  # the hash of what every segment must share (build.build_settings)
    model: ModelEntry
    chunking: dict[str, Any]  # ChunkingParams, as written
    exact_below: int  # chunks from which a segment's vector search is approximate
    corpora: tuple[CorpusEntry, ...]
    corpus_issues: tuple[tuple[str, int | None, str], ...]  # (file, line, message)
    segments: tuple[SegmentEntry, ...]
    counts: Counts  # the segments' counts added up (the integrity check compares them)
    built_with: dict[str, str] = field(default_factory=dict)
    # Path relative to the build -> digest; None: built before checksums were recorded.
    files: dict[str, FileDigest] | None = None
    # Every build published in the folder up to this one, oldest first (with_history): how
    # `since` orders builds. Segments cannot tell: small ones are merged by every update.
    history: tuple[BuildEntry, ...] = ()

    @classmethod
    def of_segments(cls, segments: tuple[SegmentEntry, ...], **fields: Any) -> Manifest:
        """A manifest of these segments, its counts theirs added up."""
        counts = Counts(sum(s.contributions for s in segments), sum(s.chunks for s in segments))
        return cls(segments=segments, counts=counts, **fields)

    @property
    def search(self) -> str:
        """approximate if any segment's vector search is, else exact."""
        return ("approximate" if any(s.search == "approximate" for s in self.segments)
                else "exact")

    def corpus(self, name: str) -> CorpusEntry | None:
        return next((c for c in self.corpora if c.name == name), None)

    @property
    def builds(self) -> tuple[BuildEntry, ...]:
        """Every build published in the folder up to this one, oldest first (this one alone
        for a build made before they were recorded)."""
        return self.history or (BuildEntry(self.build_id, self.created_at),)

    def entered_in(self, corpus: str, path: str | None) -> int:
        """The position in `builds` of the build in which this file entered the index: the
        first for a file entered before that was recorded."""
        entry = self.corpus(corpus)
        build = entry.entered.get(path or "") if entry else None
        positions = {b.id: i for i, b in enumerate(self.builds)}
        return positions.get(build or "", 0)

    def first_build_since(self, since: str) -> int:
        """The position in `builds` of the first build whose files count as entered since
        `since`: a date (YYYY-MM-DD: builds made on or after that day) or a build id (builds
        after it); len(builds) when none. IndexFormatError for a build it does not know
        (engine/checks.py checks the value first)."""
        builds = self.builds
        ids = [b.id for b in builds]
        if since in ids:
            return ids.index(since) + 1
        if len(since) == 10 and since[4] == "-":  # a date: ISO dates and times sort as text
            return next((i for i, b in enumerate(builds) if b.created_at[:10] >= since),
                        len(builds))
        raise IndexFormatError(f"no build {since!r} in the history of {self.build_id}")

    def to_json(self) -> dict[str, Any]:
        """The manifest as manifest.json holds it."""
        return {
            "format_version": FORMAT_VERSION,
            "build_id": self.build_id,
            "created_at": self.created_at,
            "input_fingerprint": self.input_fingerprint,
            "settings": self.settings,
            "model": asdict(self.model),
            "chunking": self.chunking,
            "vectors": {"exact_below": self.exact_below, "search": self.search},
            "corpora": [asdict(c) for c in self.corpora],
            "corpus_issues": [list(i) for i in self.corpus_issues],
            "segments": [asdict(s) for s in self.segments],
            "counts": asdict(self.counts),
            "built_with": self.built_with,
            **({} if self.files is None else
               {"files": {path: asdict(d) for path, d in self.files.items()}}),
            "history": [asdict(b) for b in self.history],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], where: Path) -> Manifest:
        """The manifest of `data` (manifest.json of the build at `where`); IndexFormatError
        if it is not one this version reads."""
        if data.get("format_version") != FORMAT_VERSION:
            raise IndexFormatError(
                f"index in {where} has format {data.get('format_version')!r}; this version "
                f"reads format {FORMAT_VERSION}: rebuild it with `debate-search index`")
        try:
            files = data.get("files")
            return cls(
                build_id=data["build_id"],
                created_at=data["created_at"],
                input_fingerprint=data["input_fingerprint"],
                settings=data["settings"],
                model=ModelEntry(**data["model"]),
                chunking=dict(data["chunking"]),
                exact_below=data["vectors"]["exact_below"],
                corpora=tuple(CorpusEntry(**c) for c in data["corpora"]),
                corpus_issues=tuple(tuple(i) for i in data.get("corpus_issues", ())),
                segments=tuple(SegmentEntry(**s) for s in data["segments"]),
                counts=Counts(**data["counts"]),
                built_with=dict(data.get("built_with", {})),
                files=None if files is None else {p: FileDigest(**d) for p, d in files.items()},
                history=tuple(BuildEntry(**b) for b in data.get("history", ())),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise IndexFormatError(f"the manifest of the index in {where} is not one this "
                                   f"version writes ({type(exc).__name__}: {exc}); rebuild it "
                                   "with `debate-search index --force`") from exc


def with_history(manifest: Manifest, prior: Manifest | None) -> Manifest:
    """`manifest`, a new build's, with the builds published before it (`prior`'s, the
    folder's current build, if any) and, for each of its files, the build it entered the
    index in: `prior`'s record for a file unchanged since (same SHA-256), else this one."""
    builds = (prior.builds if prior else ()) + (
        BuildEntry(manifest.build_id, manifest.created_at),)
    before = {c.name: c for c in prior.corpora} if prior else {}
    corpora = []
    for corpus in manifest.corpora:
        old = before.get(corpus.name)
        entered = {}
        for path, sha256 in corpus.files.items():
            kept = old is not None and old.files.get(path) == sha256
            entered[path] = (prior.builds[prior.entered_in(corpus.name, path)].id
                             if kept and prior else manifest.build_id)
        corpora.append(replace(corpus, entered=entered))
    return replace(manifest, corpora=tuple(corpora), history=builds)


def read_manifest_file(build: Path) -> Manifest:
    """The manifest of the build folder `build`; IndexFormatError if unusable."""
    try:
        data = json.loads((build / MANIFEST_FILE).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise IndexFormatError(f"unreadable index manifest in {build}: {exc}") from exc
    if not isinstance(data, dict):
        raise IndexFormatError(f"unreadable index manifest in {build}: not a JSON object")
    return Manifest.from_json(data, build)


def write_manifest_file(build: Path, manifest: Manifest) -> None:
    (build / MANIFEST_FILE).write_text(json.dumps(manifest.to_json(), indent=2))
