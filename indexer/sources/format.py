"""The interface a source format provides, and the parts a format without lookups reuses."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TypeVar, runtime_checkable

from indexer.contribution import Contribution, ParseIssue
from indexer.sources.paths import files_matching, own_folder

Lookups = TypeVar("Lookups")


@runtime_checkable
class SourceFormat(Protocol[Lookups]):
    """A source format: a module of indexer.sources (twfy_xml, ...) defining these names.

    `Lookups` is what its attribution needs (a members registry, a party table, ...): what
    load_lookups gives, parse_file takes.
    """

    FORMAT: str  # the name a manifest's `format` uses, e.g. "twfy-xml"
    PARSER_VERSION: int  # bumped whenever the same files would give other Contributions

    def load_lookups(self, root: Path, members: str | None, /) -> Lookups:
        """What attribution needs, loaded once per corpus; `members` is the manifest's folder
        of lookup data, relative to `root` (None: the format's default place)."""
        ...

    def lookup_files(self, root: Path, members: str | None, /) -> list[Path]:
        """The files load_lookups reads: a change to them changes the index."""
        ...

    def parse_file(
        self, path: Path, lookups: Lookups, corpus: str, root: Path, /
    ) -> tuple[list[Contribution], list[ParseIssue]]:
        """One file's Contributions, and ParseIssues (with a line where known) for what could
        not be read; never raises. Sources are cited relative to the corpus `root`."""
        ...

    def find_tree_root(self, path: Path, /) -> Path:
        """The corpus root for a plain path (not a manifest): where its lookups are found."""
        ...

    def list_source_files(self, path: Path, /) -> list[Path]:
        """The files to import for a plain path: the file itself, or those below a folder."""
        ...


def self_contained(pattern: str) -> tuple[Callable, Callable, Callable, Callable]:
    """(load_lookups, lookup_files, find_tree_root, list_source_files) of a format whose files
    carry all their attribution: nothing to look up, and a plain path is its own corpus root
    with every file matching `pattern` below it."""
    return no_lookups, no_lookup_files, own_folder, files_matching(pattern)


def no_lookups(root: Path, members: str | None = None) -> None:
    """load_lookups of a format whose files carry all their attribution: nothing."""
    return None


def no_lookup_files(root: Path, members: str | None = None) -> list[Path]:
    """lookup_files of a format without lookups: none."""
    return []
