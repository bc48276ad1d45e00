"""Where a build lives on disk, and how it is published atomically.

    INDEX/current -> builds/<build id>        symlink, swapped atomically by rename
    INDEX/builds/<build id>/manifest.json     format, model, chunking, inputs, its segments,
                                              every file's SHA-256 (store/integrity.py)
    INDEX/builds/<build id>/segments/<id>/    one segment (store/writer.py): whole source files
        index.sqlite   contributions, chunks, sentences (spans), speakers, links, issues,
                       the files it holds
        vectors.npy    chunk vectors; vectors.faiss their search index (store/vectors.py)
        bm25/          keyword index (store/keyword.py)

A build is written into a temporary folder and only becomes `current` once complete, so an
interrupted or failed build leaves the previous index serving and intact. Segments are never
changed once written: a build keeps the previous build's unchanged segments as hard links (no
copy, no rewrite) and writes new ones only for what changed.

Builds are retired by reference, as Lucene's deletion policy retires commits: a reader holds
the build it reads (`hold_build`: a shared lock on the build's folder, in whichever process
it runs), and a build that is no longer current is deleted only once nobody holds it
(`retire_unheld_builds`: an exclusive lock, never waited for). A server that finishes its
requests on an old build keeps it, however many builds are published meanwhile; the last
holder to let go of it, or the next publication, deletes it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
import uuid
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path

from indexer.errors import IndexNotFound
from indexer.store.manifest import MANIFEST_FILE, Manifest, read_manifest_file

DATABASE_FILE = "index.sqlite"
SEGMENTS_DIR = "segments"
_HOLD_ATTEMPTS = 10  # a build retired between finding it current and holding it: look again


def resolve_build(index_dir: Path) -> Path:
    """The folder holding the current build of the index at `index_dir`."""
    index_dir = Path(index_dir)
    if (index_dir / MANIFEST_FILE).is_file():
        return index_dir
    current = index_dir / "current"
    if current.exists() and (current / MANIFEST_FILE).is_file():
        return current.resolve()
    raise IndexNotFound(
        f"no index at {index_dir}; build one with "
        f"`debate-search index --out {index_dir} <corpus manifest or source files>`"
    )


def read_manifest(index_dir: Path) -> Manifest:
    """The manifest of the current build; IndexNotFound / IndexFormatError if unusable."""
    return read_manifest_file(resolve_build(index_dir))


def segment_folders(build: Path, manifest: Manifest) -> list[Path]:
    """The folders of the build's segments, in order."""
    return [build / SEGMENTS_DIR / entry.id for entry in manifest.segments]


@contextlib.contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """One build at a time per index folder."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def publish(index_dir: Path, write: Callable[[Path, str], None]) -> Path:
    """Have `write(folder, build_id)` fill a new build, then make it current in one atomic
    step; returns its folder. The caller holds `build_lock`."""
    builds = index_dir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    for leftover in builds.glob(".tmp-*"):  # of builds that were interrupted
        shutil.rmtree(leftover, ignore_errors=True)
    build_id = time.strftime("%Y%m%dT%H%M%S") + f"-{uuid.uuid4().hex[:8]}"
    tmp = builds / f".tmp-{build_id}"
    tmp.mkdir()
    try:
        write(tmp, build_id)
        for path in tmp.rglob("*"):
            _fsync(path)
        final = builds / build_id
        tmp.rename(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _switch_current(index_dir, final)
    return final


def _switch_current(index_dir: Path, build: Path) -> None:
    current = index_dir / "current"
    link = index_dir / f".current-{build.name}"
    link.unlink(missing_ok=True)
    link.symlink_to(build.relative_to(index_dir))
    os.replace(link, current)  # atomic: readers see the old build or the new, never neither
    _fsync(index_dir)
    retire_unheld_builds(index_dir)


class HeldBuild:
    """A build held open: it is not deleted until `release` (or until this object is
    garbage, whichever comes first)."""

    def __init__(self, path: Path, index_dir: Path, fd: int):
        self.path, self.index_dir = path, index_dir
        self._release = weakref.finalize(self, _let_go, path, index_dir, fd)

    def release(self) -> None:
        """Let go of the build; delete it if it is no longer current and nobody holds it."""
        self._release()

    def __enter__(self) -> HeldBuild:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def hold_build(index_dir: Path) -> HeldBuild:
    """The current build of `index_dir` (or the build folder `index_dir`), held until
    released. IndexNotFound if there is none."""
    index_dir = Path(index_dir)
    for _ in range(_HOLD_ATTEMPTS):
        build = resolve_build(index_dir)
        try:
            fd = os.open(build, os.O_RDONLY | os.O_DIRECTORY)
        except FileNotFoundError:  # retired since it was current: look again
            continue
        fcntl.flock(fd, fcntl.LOCK_SH)
        # A build is deleted under an exclusive lock, so it is now whole or gone: gone if
        # the folder locked is no longer the one at its path.
        with contextlib.suppress(FileNotFoundError):
            if os.stat(build).st_ino == os.fstat(fd).st_ino and (build / MANIFEST_FILE).exists():
                return HeldBuild(build, index_dir, fd)
        os.close(fd)
    raise IndexNotFound(f"the current build of {index_dir} kept changing; try again")


def retire_unheld_builds(index_dir: Path) -> None:
    """Delete every build of `index_dir` but the current one that no reader holds."""
    builds = Path(index_dir) / "builds"
    current = Path(index_dir) / "current"
    if not builds.is_dir() or not current.exists():
        return
    serving = current.resolve()
    for build in builds.iterdir():
        if build.name[0] != "." and build.resolve() != serving:
            _retire_if_unheld(build)


def _retire_if_unheld(build: Path) -> None:
    try:
        fd = os.open(build, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:  # deleted meanwhile
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:  # a reader holds it: its last reader or a later build retires it
        os.close(fd)
        return
    try:
        shutil.rmtree(build, ignore_errors=True)
    finally:
        os.close(fd)


def _let_go(build: Path, index_dir: Path, fd: int) -> None:
    os.close(fd)
    with contextlib.suppress(OSError, IndexNotFound):
        if build.resolve() != resolve_build(index_dir).resolve():
            _retire_if_unheld(build)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
