"""Builds are retired by reference: a build nobody holds is deleted once it is no longer
current; one a reader holds stays until the reader lets go (indexer/store/layout.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from indexer.store.layout import MANIFEST_FILE, hold_build, publish, resolve_build


def _publish(index_dir: Path) -> Path:
    """A build holding only a manifest: enough for layout, which reads nothing else."""
    return publish(index_dir, lambda folder, build_id: (folder / MANIFEST_FILE).write_text(
        json.dumps({"build_id": build_id})))


def _builds(index_dir: Path) -> set[str]:
    return {p.name for p in (index_dir / "builds").iterdir()}


def test_an_unheld_build_is_retired_when_the_next_is_published(tmp_path):
    first = _publish(tmp_path)
    second = _publish(tmp_path)
    assert _builds(tmp_path) == {second.name} and not first.exists()


def test_a_held_build_stays_until_its_reader_lets_go(tmp_path):
    first = _publish(tmp_path)
    held = hold_build(tmp_path)
    assert held.path == first
    second, third = _publish(tmp_path), _publish(tmp_path)
    assert _builds(tmp_path) == {first.name, third.name}  # held, and current
    assert not second.exists()
    held.release()  # the last reader of a build no longer current retires it
    assert _builds(tmp_path) == {third.name}


def test_a_build_held_in_another_process_stays(tmp_path):
    first = _publish(tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys
            from indexer.store.layout import hold_build
            held = hold_build({str(tmp_path)!r})
            print(held.path.name, flush=True)
            sys.stdin.read()  # until the test closes it
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        cwd=Path(__file__).resolve().parents[1])
    try:
        assert holder.stdout.readline().strip() == first.name
        second = _publish(tmp_path)
        assert _builds(tmp_path) == {first.name, second.name}
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    third = _publish(tmp_path)  # the holder is gone: the next publication retires both
    assert _builds(tmp_path) == {third.name}


def test_the_current_build_is_never_retired_by_its_readers(tmp_path):
    first = _publish(tmp_path)
    with hold_build(tmp_path) as held:
        assert held.path == resolve_build(tmp_path) == first
    assert first.exists()


def test_a_reader_garbage_collected_lets_go(tmp_path):
    first = _publish(tmp_path)
    held = hold_build(tmp_path)
    second = _publish(tmp_path)
    assert first.exists()
    del held  # CPython frees it here: its finaliser lets go of the build
    assert _builds(tmp_path) == {second.name}


def test_an_index_is_freed_by_reference_counting_alone(tiny_index_dir, embedder):
    # No reference cycle keeps a SearchIndex (and so its build) alive until the next garbage
    # collection: its last request letting go of it lets go of the build.
    import gc
    import weakref

    from search_api.engine.search_index import SearchIndex

    index = SearchIndex(tiny_index_dir, embedder=embedder)
    index.search("the Ulster-Scots language", k=3)
    gone = weakref.ref(index)
    gc.disable()
    try:
        del index
        assert gone() is None
    finally:
        gc.enable()
