"""Paths shared by the source formats: which files a plain path names, and how to cite them."""

from __future__ import annotations

from pathlib import Path

from indexer.errors import CorpusError


def files_below(path: Path, pattern: str) -> list[Path]:
    """`path` itself if it is a file, else every file matching `pattern` below it, sorted."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise CorpusError(f"source path {path} does not exist")
    return sorted(path.rglob(pattern))


def own_folder(path: Path) -> Path:
    """A plain path's corpus root where a format needs no lookup files: the folder itself, or
    the file's folder."""
    path = path.resolve()
    return path if path.is_dir() else path.parent


def source_path(path: Path, root: Path) -> str:
    """`path` relative to its corpus root (posix), or as given when it lies outside it."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
