"""Paths shared by the source formats: listing files, finding a tree's root, citing files."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.errors import CorpusError
from indexer.sources.paths import (
    existing,
    files_below,
    files_matching,
    nearest_folder,
    own_folder,
    source_path,
)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name in ("lookup/party_lookup.csv", "xml/a.xml", "xml/day/b.xml", "xml/notes.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    return tmp_path


def test_files_below(tree: Path):
    assert files_below(tree / "xml", "*.xml") == [tree / "xml/a.xml", tree / "xml/day/b.xml"]
    assert files_below(tree / "xml", "*.xml", keep=lambda p: p.parent.name != "day") == [
        tree / "xml/a.xml"
    ]
    assert files_below(tree / "xml/notes.txt", "*.xml") == [tree / "xml/notes.txt"]
    with pytest.raises(CorpusError, match="does not exist"):
        files_below(tree / "nowhere", "*.xml")


def test_files_matching_is_a_list_source_files(tree: Path):
    list_source_files = files_matching("*.xml")
    assert list_source_files(tree) == files_below(tree, "*.xml")
    assert "*.xml" in list_source_files.__doc__


def test_nearest_folder(tree: Path):
    def holds_lookup(folder: Path) -> bool:
        return (folder / "lookup").is_dir()

    assert nearest_folder(tree / "xml/day/b.xml", holds_lookup) == tree.resolve()
    assert nearest_folder(tree, holds_lookup) == tree.resolve()
    assert nearest_folder(tree / "xml", lambda folder: False) is None


def test_own_folder_and_existing(tree: Path):
    assert own_folder(tree / "xml/a.xml") == (tree / "xml").resolve()
    assert own_folder(tree / "xml") == (tree / "xml").resolve()
    assert existing(tree / "lookup/party_lookup.csv") == [tree / "lookup/party_lookup.csv"]
    assert existing(tree / "lookup/absent.csv") == []


def test_source_path(tree: Path):
    assert source_path(tree / "xml/day/b.xml", tree) == "xml/day/b.xml"
    assert source_path(Path("/elsewhere/c.xml"), tree) == "/elsewhere/c.xml"
