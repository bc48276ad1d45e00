"""An index proves it is intact: its manifest records every file's checksum, `check` names
what is damaged, `serve` refuses a damaged index, and a damaged build never replaces a good
one (neither published by a build nor served)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.errors import IndexDamaged, IndexFormatError
from indexer.pipeline.build import build_index
from indexer.sources import resolve_inputs
from indexer.store.integrity import check_build, verify_build
from indexer.store.layout import MANIFEST_FILE, publish, resolve_build
from indexer.store.merging import MergePolicy
from search_api.engine.live_index import LiveIndex
from search_api.interfaces.cli import main

WMS_28 = "wms/ministerial2009-10-28a.xml"  # not in the tiny index
SWITCH_SECONDS = 60


@pytest.fixture
def index_dir(tiny_index_dir: Path, tmp_path: Path) -> Path:
    """A copy of the session's tiny index, ours to damage."""
    copy = tmp_path / "index"
    shutil.copytree(tiny_index_dir, copy, symlinks=True)
    return copy


def _segment(index_dir: Path) -> Path:
    [segment] = (resolve_build(index_dir) / "segments").iterdir()  # a tiny index: one
    return segment


def _rel(index_dir: Path, path: Path) -> str:
    return path.relative_to(resolve_build(index_dir)).as_posix()


def _truncate(path: Path) -> tuple[int, int]:
    size = path.stat().st_size
    os.truncate(path, size // 2)
    return size // 2, size


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(data)


def _edit_manifest(index_dir: Path, edit) -> None:
    path = resolve_build(index_dir) / MANIFEST_FILE
    manifest = json.loads(path.read_text())
    edit(manifest)
    path.write_text(json.dumps(manifest))


def _run(*args):
    """`debate-search ARGS` in-process, isolated from DEBATE_SEARCH_*."""
    env = {name: None for name in os.environ if name.startswith("DEBATE_SEARCH_")}
    return CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)


# The library ---------------------------------------------------------------------------------

def test_an_intact_index_is_proven(index_dir):
    check = check_build(index_dir)
    files = [p for p in resolve_build(index_dir).rglob("*")
             if p.is_file() and p.name != MANIFEST_FILE]
    assert check.proven and check.problems == []
    assert check.files_verified == len(files) >= 8  # database, vectors, search index, bm25 ...
    manifest = json.loads((resolve_build(index_dir) / MANIFEST_FILE).read_text())
    assert (check.contributions, check.chunks) == (manifest["counts"]["contributions"],
                                                   manifest["counts"]["chunks"])
    assert check.build_id == manifest["build_id"]


def test_a_truncated_vectors_file_is_named(index_dir):
    vectors = _segment(index_dir) / "vectors.npy"
    size, recorded = _truncate(vectors)
    line = f"{_rel(index_dir, vectors)}: {size:,} bytes, the manifest records {recorded:,}"
    assert check_build(index_dir).problems == [line]
    with pytest.raises(IndexDamaged, match="is damaged") as raised:
        verify_build(index_dir)
    assert str(raised.value).splitlines()[1:] == [f"  {line}"]


def test_a_corrupted_byte_of_the_database_is_named(index_dir):
    database = _segment(index_dir) / "index.sqlite"
    _flip_a_byte(database)
    assert check_build(index_dir).problems == [
        f"{_rel(index_dir, database)}: sha256 differs from the manifest"]


def test_a_deleted_keyword_folder_is_named(index_dir):
    keyword = _segment(index_dir) / "bm25"
    shutil.rmtree(keyword)
    assert check_build(index_dir).problems == [f"{_rel(index_dir, keyword)}/: missing"]


def test_counts_that_disagree_with_the_manifest_are_named(index_dir):
    def one_more_contribution(manifest):
        manifest["segments"][0]["contributions"] += 1
        manifest["counts"]["contributions"] += 1

    held = check_build(index_dir).contributions
    _edit_manifest(index_dir, one_more_contribution)
    assert check_build(index_dir).problems == [
        f"{_rel(index_dir, _segment(index_dir) / 'index.sqlite')}: {held:,} contributions, "
        f"the manifest records {held + 1:,}"]


def test_an_index_built_before_checksums_has_its_counts_checked(index_dir):
    _edit_manifest(index_dir, lambda manifest: manifest.pop("files"))
    check = verify_build(index_dir)  # not damaged: served, with a warning
    assert not check.checksums and not check.proven and check.files_verified == 0
    with pytest.raises(IndexFormatError, match="built before checksums were recorded"):
        verify_build(index_dir, require_checksums=True)
    vectors = _segment(index_dir) / "vectors.npy"
    _truncate(vectors)
    [problem] = check_build(index_dir).problems
    assert problem.startswith(f"{_rel(index_dir, vectors)}: ")
    assert "bytes, its header says" in problem


# The command ---------------------------------------------------------------------------------

def test_check_command_exit_status_and_message(index_dir):
    intact = _run("check", "--index", index_dir)
    assert intact.exit_code == 0, intact.output
    check = check_build(index_dir)
    assert intact.stdout.strip() == (
        f"index OK: {check.contributions:,} contributions, {check.chunks:,} chunks, "
        f"build {check.build_id}, {check.files_verified} files verified")

    vectors = _segment(index_dir) / "vectors.npy"
    _truncate(vectors)
    damaged = _run("check", "--index", index_dir)
    assert damaged.exit_code == 1 and damaged.stdout == ""
    first, problem = damaged.stderr.splitlines()
    assert first.startswith(f"Error: index at {resolve_build(index_dir)} is damaged")
    assert problem.startswith(f"  {_rel(index_dir, vectors)}: ")

    as_json = _run("check", "--index", index_dir, "--json")
    assert as_json.exit_code == 1
    found = json.loads(as_json.stdout)
    assert found["proven"] is False and found["checksums"] is True
    assert [p.split(":")[0] for p in found["problems"]] == [_rel(index_dir, vectors)]


def test_check_command_fails_an_index_built_before_checksums(index_dir):
    _edit_manifest(index_dir, lambda manifest: manifest.pop("files"))
    result = _run("check", "--index", index_dir)
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert "built before checksums were recorded" in line
    assert "debate-search index --force" in line


@pytest.fixture
def uvicorn_runs(monkeypatch) -> list:
    """uvicorn.run replaced: the apps `serve` would have served."""
    import uvicorn

    served = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.append(app))
    return served


def test_serve_refuses_a_damaged_index(index_dir, uvicorn_runs):
    database = _segment(index_dir) / "index.sqlite"
    _flip_a_byte(database)
    result = _run("serve", "--index", index_dir, "--port", "1")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.splitlines() == [
        f"Error: index at {resolve_build(index_dir)} is damaged; rebuild it with "
        "`debate-search index --force`:",
        f"  {_rel(index_dir, database)}: sha256 differs from the manifest"]
    assert uvicorn_runs == []


@pytest.mark.parametrize("recorded", [True, False], ids=["checksums", "before-checksums"])
def test_serve_starts_on_an_intact_index(index_dir, uvicorn_runs, recorded):
    if not recorded:
        _edit_manifest(index_dir, lambda manifest: manifest.pop("files"))
    result = _run("serve", "--index", index_dir, "--port", "1")
    assert result.exit_code == 0, result.output
    assert len(uvicorn_runs) == 1


# Builds that are damaged never replace a good one ---------------------------------------

def _damaged(index_dir: Path, build: Path) -> str:
    _truncate(build / _rel(index_dir, _segment(index_dir)) / "vectors.npy")
    return "vectors.npy: "  # the problem line of the damaged file


def _without_segments(index_dir: Path, build: Path) -> str:
    # Whatever error this makes, the build is refused (the loader used to die on it and try
    # again forever).
    manifest = json.loads((build / MANIFEST_FILE).read_text())
    del manifest["segments"]
    (build / MANIFEST_FILE).write_text(json.dumps(manifest))
    return "manifest"


@pytest.mark.parametrize("spoil", [_damaged, _without_segments], ids=["damaged", "unreadable"])
def test_a_new_build_that_cannot_be_served_is_refused_once(index_dir, embedder, caplog, spoil):
    caplog.set_level(logging.INFO, logger="search_api.engine.live_index")
    live = LiveIndex(index_dir, embedder=embedder, interval=0)
    serving = live.get()
    good = resolve_build(index_dir)
    named: list[str] = []

    def spoiled_copy(folder: Path, build_id: str) -> None:
        shutil.copytree(good, folder, dirs_exist_ok=True)
        named.append(spoil(index_dir, folder))

    spoiled = publish(index_dir, spoiled_copy)
    deadline = time.monotonic() + SWITCH_SECONDS
    while "not serving the new build" not in caplog.text:
        assert live.get() is serving
        assert time.monotonic() < deadline, "the spoiled build was never refused"
        time.sleep(0.1)
    assert named[0] in caplog.text
    for _ in range(20):  # each looks at the current build (interval 0): not tried again
        assert live.get() is serving
    assert caplog.text.count("not serving the new build") == 1
    assert resolve_build(index_dir) == spoiled

    # The refusal is of that build only: an intact one published next is served.
    repaired = publish(index_dir, lambda folder, _: shutil.copytree(good, folder,
                                                                    dirs_exist_ok=True))
    while live.get().build_id != repaired.name:
        assert time.monotonic() < deadline + SWITCH_SECONDS, "the good build was never served"
        time.sleep(0.1)


@pytest.mark.slow
def test_a_build_keeping_a_damaged_segment_is_not_published(index_dir, uk_data, embedder,
                                                            session_cache):
    # Small segments are kept (not merged) by an update; this one is damaged since written.
    before = resolve_build(index_dir)
    vectors = _segment(index_dir) / "vectors.npy"
    _flip_a_byte(vectors)
    inputs = resolve_inputs([uk_data / WMS_28], session_cache, progress=False)
    with pytest.raises(IndexDamaged) as raised:
        build_index(inputs, index_dir, embedder, add=True, progress=False,
                    cache_dir=session_cache, merge_policy=MergePolicy(merge_below=0))
    first, problem = str(raised.value).splitlines()
    assert first.startswith(f"the new build of {index_dir} (not published) is damaged")
    assert problem == f"  {_rel(index_dir, vectors)}: sha256 differs from the manifest"
    assert resolve_build(index_dir) == before
    assert [p.name for p in (index_dir / "builds").iterdir()] == [before.name]
