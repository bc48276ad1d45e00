"""Paths shared by the source formats: which files a plain path names, where its corpus root
is, and how to cite them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from indexer.errors import CorpusError


def files_below(path: Path, pattern: str, keep: Callable[[Path], bool] | None = None
                ) -> list[Path]:
    """`path` itself if it is a file, else every file matching `pattern` below it (and passing
    `keep`, if given), sorted."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise CorpusError(f"source path {path} does not exist")
    return sorted(p for p in path.rglob(pattern) if keep is None or keep(p))


def files_matching(pattern: str) -> Callable[[Path], list[Path]]:
    """A format's list_source_files: `path` itself, or every file matching `pattern` below it."""

    def list_source_files(path: Path) -> list[Path]:
        return files_below(path, pattern)

    list_source_files.__doc__ = f"`path` itself, or every {pattern} below it."
    return list_source_files


def nearest_folder(path: Path, holds: Callable[[Path], bool]) -> Path | None:
    """The nearest folder at or above `path` for which `holds(folder)` is true, or None."""
    start = path.resolve()
    folders = [start, *start.parents] if start.is_dir() else start.parents
    return next((folder for folder in folders if holds(folder)), None)


def own_folder(path: Path) -> Path:
    """A plain path's corpus root where no lookup files place it: the folder itself, or the
    file's folder."""
    path = path.resolve()
    return path if path.is_dir() else path.parent


def existing(path: Path) -> list[Path]:
    """[path] if it is a file, else []: the lookup files of a format with one."""
    return [path] if path.is_file() else []


def source_path(path: Path, root: Path) -> str:
    """`path` relative to its corpus root (posix), or as given when it lies outside it."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
