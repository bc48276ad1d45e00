"""Proving a build intact: the checksum of every file it was written with, and counts that
agree.

A build's manifest records the SHA-256 and size of each of its files (`files`: path relative
to the build -> {"sha256", "bytes"}). `check_build` hashes them again, then checks that each
segment's parts agree: its database holds the contributions, chunks and sentences the
manifest records; vectors.npy and vectors.faiss hold a vector per chunk, the keyword index a
document per contribution (store/keyword.py). Counts are
checked once the files are known to be those written (or where a build records no checksums:
built before they were recorded), so that a damaged file is named once, not once for every
count it spoils.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TypeVar

import faiss
import numpy as np

from indexer.errors import IndexDamaged, IndexFormatError
from indexer.store.database import reading
from indexer.store.keyword import KEYWORD_DIR, keyword_documents
from indexer.store.layout import DATABASE_FILE, SEGMENTS_DIR, hold_build
from indexer.store.manifest import (
    MANIFEST_FILE,
    FileDigest,
    Manifest,
    SegmentEntry,
    read_manifest_file,
)
from indexer.store.vectors import EXACT_FILE, VECTORS_FILE

REBUILD = "rebuild it with `debate-search index --force`"
T = TypeVar("T")


def file_digests(build: Path, known: Mapping[str, FileDigest] | None = None
                 ) -> dict[str, FileDigest]:
    """The SHA-256 and size of every file of `build` but its manifest, by path relative to
    it. A path `known` lists (from the previous build, whose kept segments this one links)
    takes that entry unhashed: the file as first written, so that damage since is found."""
    known = known or {}
    digests = {}
    for path in sorted(build.rglob("*")):
        rel = path.relative_to(build).as_posix()
        if path.is_file() and rel != MANIFEST_FILE:
            digests[rel] = known.get(rel) or FileDigest(sha256_of(path), path.stat().st_size)
    return digests


def sha256_of(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


@dataclass(frozen=True)
class BuildCheck:
    """What checking a build found."""

    build: Path
    build_id: str
    contributions: int
    chunks: int
    files_verified: int  # files whose size and checksum are those recorded
    checksums: bool  # False: built before checksums were recorded; only counts were checked
    problems: list[str] = field(default_factory=list)  # one line each, naming its file

    @property
    def proven(self) -> bool:
        """Every file checked against its checksum, and nothing wrong."""
        return self.checksums and not self.problems

    def summary(self) -> str:
        return (f"index OK: {self.contributions:,} contributions, {self.chunks:,} chunks, "
                f"build {self.build_id}, {self.files_verified} files verified")

    def as_json(self) -> dict:
        return asdict(self) | {"build": str(self.build), "proven": self.proven}

    def raise_if_damaged(self, require_checksums: bool = False, name: str | None = None
                         ) -> None:
        """IndexDamaged naming every problem, if any; with `require_checksums`, an
        IndexFormatError if the build records no checksums to prove it intact. `name`: what
        the message calls the build (default: "index at <its folder>")."""
        name = name or f"index at {self.build}"
        if self.problems:
            raise IndexDamaged(f"{name} is damaged; {REBUILD}:\n"
                               + "\n".join(f"  {problem}" for problem in self.problems))
        if require_checksums and not self.checksums:
            raise IndexFormatError(f"{name} was built before checksums were "
                                   f"recorded, so it cannot be proven intact; {REBUILD}")


def check_build(index_dir: Path) -> BuildCheck:
    """Check the current build of `index_dir` (or the build folder `index_dir`): its files
    against the manifest's checksums, then that its counts agree. Problems are reported, not
    raised (`BuildCheck.raise_if_damaged`)."""
    with hold_build(index_dir) as held:  # not retired while it is read
        build = held.path
        manifest = read_manifest_file(build)
        recorded = manifest.files
        problems, verified = _file_problems(build, recorded) if recorded is not None else ([], 0)
        if not problems:
            problems = _count_problems(build, manifest)
    return BuildCheck(build, manifest.build_id, manifest.counts.contributions,
                      manifest.counts.chunks, verified, recorded is not None, problems)


def verify_build(index_dir: Path, require_checksums: bool = False, name: str | None = None
                 ) -> BuildCheck:
    """`check_build`, raising IndexDamaged if the build is damaged (`raise_if_damaged`)."""
    check = check_build(index_dir)
    check.raise_if_damaged(require_checksums, name)
    return check


def _file_problems(build: Path, recorded: Mapping[str, FileDigest]) -> tuple[list[str], int]:
    problems: dict[str, None] = {}  # an ordered set: a missing folder is named once
    verified = 0
    for rel, expected in sorted(recorded.items()):
        path = build / rel
        if not path.is_file():
            problems[_missing(build, rel)] = None
        elif (size := path.stat().st_size) != expected.bytes:
            problems[f"{rel}: {size:,} bytes, the manifest records {expected.bytes:,}"] = None
        elif sha256_of(path) != expected.sha256:
            problems[f"{rel}: sha256 differs from the manifest"] = None
        else:
            verified += 1
    return list(problems), verified


def _missing(build: Path, rel: str) -> str:
    """`rel` is missing: named by the outermost folder above it that is missing, if any."""
    parts = rel.split("/")
    for end in range(1, len(parts)):
        if not build.joinpath(*parts[:end]).is_dir():
            return f"{'/'.join(parts[:end])}/: missing"
    return f"{rel}: missing"


def _count_problems(build: Path, manifest: Manifest) -> list[str]:
    problems = []
    for what in ("contributions", "chunks"):
        held = sum(getattr(s, what) for s in manifest.segments)
        if getattr(manifest.counts, what) != held:
            problems.append(f"{MANIFEST_FILE}: counts {getattr(manifest.counts, what):,} "
                            f"{what}, its segments {held:,}")
    for entry in manifest.segments:
        problems += _segment_problems(build, entry, manifest.model.dimension)
    return problems


def _segment_problems(build: Path, entry: SegmentEntry, dimension: int) -> list[str]:
    """Whether a segment's database, vectors and keyword index agree with its manifest
    entry and with one another."""
    where = f"{SEGMENTS_DIR}/{entry.id}"
    if not (build / where).is_dir():
        return [f"{where}/: missing"]
    problems: list[str] = []
    rel = f"{where}/{DATABASE_FILE}"
    held = _read(build, rel, problems, _database_counts)
    if held is None:
        return problems
    problems += [f"{rel}: {held[what]:,} {what}, the manifest records "
                 f"{getattr(entry, what):,}"
                 for what in ("contributions", "chunks", "sentences")
                 if getattr(entry, what) != held[what]]
    problems += _matrix_problems(build, f"{where}/{EXACT_FILE}", held["chunks"], "chunks",
                                 dimension)
    rel = f"{where}/{VECTORS_FILE}"
    count = _read(build, rel, problems, _search_index_count)
    if count is not None and count != held["chunks"]:
        problems.append(f"{rel}: {count:,} vectors, the database holds {held['chunks']:,} chunks")
    if held["contributions"]:  # a segment of no contributions has no keyword index
        rel = f"{where}/{KEYWORD_DIR}/"
        documents = _read(build, rel, problems, keyword_documents)
        if documents is not None and documents != held["contributions"]:
            problems.append(f"{rel}: {documents:,} keyword documents, the database holds "
                            f"{held['contributions']:,} contributions")
    return problems


def _read(build: Path, rel: str, problems: list[str], read: Callable[[Path], T]) -> T | None:
    """`read(path)`, or None with the problem named: missing, or unreadable and why."""
    path = build / rel
    if not path.exists():
        problems.append(f"{rel}: missing")
        return None
    try:
        return read(path)
    except Exception as exc:  # whatever a damaged file makes its reader raise
        why = (str(exc).strip().splitlines() or [type(exc).__name__])[-1][:200]
        problems.append(f"{rel}: unreadable ({why})")
        return None


def _database_counts(path: Path) -> dict[str, int]:
    with reading(path.parent) as conn:
        row = conn.execute("SELECT (SELECT COUNT(*) FROM contributions), "
                           "(SELECT COUNT(*) FROM chunks), (SELECT COUNT(*) FROM sentences)"
                           ).fetchone()
    return dict(zip(("contributions", "chunks", "sentences"), row, strict=True))


def _search_index_count(path: Path) -> int:
    # Mapped, not read: only its count is wanted.
    return faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY).ntotal


def _matrix_problems(build: Path, rel: str, rows: int, what: str, dimension: int) -> list[str]:
    """An .npy matrix of a vector per one of `rows` `what`s, as long as its header says."""
    problems: list[str] = []
    layout = _read(build, rel, problems, _npy_layout)
    if layout is None:
        return problems
    shape, itemsize, offset = layout
    if len(shape) != 2:
        return [f"{rel}: unreadable (shape {shape}, not rows of vectors)"]
    expected = offset + shape[0] * shape[1] * itemsize
    size = (build / rel).stat().st_size
    if size != expected:
        problems.append(f"{rel}: {size:,} bytes, its header says {shape[0]:,} rows of "
                        f"{shape[1]} ({expected:,} bytes)")
    if shape[0] != rows:
        problems.append(f"{rel}: {shape[0]:,} vectors, the database holds {rows:,} {what}")
    if shape[1] != dimension:
        problems.append(f"{rel}: vectors of {shape[1]} dimensions, the model's have {dimension}")
    return problems


def _npy_layout(path: Path) -> tuple[tuple[int, ...], int, int]:
    """An .npy file's shape, item size and where its data begin, from its header alone."""
    readers = {(1, 0): np.lib.format.read_array_header_1_0,
               (2, 0): np.lib.format.read_array_header_2_0}
    with open(path, "rb") as handle:
        version = np.lib.format.read_magic(handle)
        if version not in readers:
            raise ValueError(f"unknown .npy format version {version}")
        shape, _, dtype = readers[version](handle)
        return shape, dtype.itemsize, handle.tell()
