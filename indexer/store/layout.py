"""Where a build lives on disk, and how it is published atomically.

    INDEX/current -> builds/<build id>        symlink, swapped atomically by rename
    INDEX/builds/<build id>/manifest.json     format, model, chunking, inputs, its segments,
                                              every file's SHA-256 (store/integrity.py)
    INDEX/builds/<build id>/segments/<id>/    one segment (store/writer.py): whole source files
        index.sqlite   contributions, chunks, speakers, links, issues, the files it holds
        vectors.npy    chunk vectors; vectors.faiss their search index (store/vectors.py)
        sentences.npy  every sentence's vector (float16), to quote the best sentences
        bm25/          keyword index (store/keyword.py)

A build is written into a temporary folder and only becomes `current` once complete, so an
interrupted or failed build leaves the previous index serving and intact. Segments are never
changed once written: a build keeps the previous build's unchanged segments as hard links (no
copy, no rewrite) and writes new ones only for what changed. The build it replaces stays on
disk until the next one is published: servers (replicas too) move to a new build within
seconds and finish the requests they started on the old one.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from indexer.errors import IndexFormatError, IndexNotFound

FORMAT_VERSION = 7  # 7: speaker offices; 6: sentence vectors; 5: segments; 4: exact vectors
DATABASE_FILE = "index.sqlite"
SENTENCES_FILE = "sentences.npy"
SEGMENTS_DIR = "segments"
MANIFEST_FILE = "manifest.json"


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
        f"`debate-search index --out {index_dir} corpora/uk-twfy-parlparse-2009-10.toml`"
    )


def read_manifest(index_dir: Path) -> dict:
    """The manifest of the current build; IndexNotFound / IndexFormatError if unusable."""
    build = resolve_build(index_dir)
    try:
        manifest = json.loads((build / MANIFEST_FILE).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise IndexFormatError(f"unreadable index manifest in {build}: {exc}") from exc
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexFormatError(
            f"index in {build} has format {manifest.get('format_version')!r}; this version "
            f"reads format {FORMAT_VERSION}: rebuild it with `debate-search index`"
        )
    return manifest


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
    previous = current.resolve() if current.is_symlink() else None
    link = index_dir / f".current-{build.name}"
    link.unlink(missing_ok=True)
    link.symlink_to(build.relative_to(index_dir))
    os.replace(link, current)  # atomic: readers see the old build or the new, never neither
    _fsync(index_dir)
    for older in build.parent.iterdir():  # all but the new build and the one it replaced
        if older.name[0] != "." and older.resolve() not in (build.resolve(), previous):
            shutil.rmtree(older, ignore_errors=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
