"""A build's manifest, typed: what the build holds and how it was made (manifest.json).

The manifest is the build's commit point (Lucene's segments_N): its segments, their counts,
the model and chunking every vector was made with, the corpora and files it indexes, and the
SHA-256 of every file of the build. It is read and written only here; everything else sees
these classes. The JSON on disk keeps the same names, so the format is unchanged.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
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
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise IndexFormatError(f"the manifest of the index in {where} is not one this "
                                   f"version writes ({type(exc).__name__}: {exc}); rebuild it "
                                   "with `debate-search index --force`") from exc


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
