"""`serve --build`, what `make serve` runs: a server that builds its index in stages beside it
answers from the first stage on, moves to each next build without a failed request, says in
/health how far the build has got, serves a stale index while it is updated, and starts at
once, building nothing, on an index that is complete."""

from __future__ import annotations

import os
import shutil
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest
from building import UK_DATA, copy_corpus, empty_vector_cache

from indexer.pipeline.build import build_index
from indexer.sources import resolve_inputs
from indexer.store import layout
from indexer.store.reader import IndexReader

# Real servers, and builds with the model: slow.
pytestmark = pytest.mark.slow

WMS_27 = "wms/ministerial2009-10-27a.xml"  # the smallest: the first stage
WMS_26 = "wms/ministerial2009-10-26c.xml"  # the second
DEBATES_26 = "debates/debates2009-10-26b.xml"  # the last: ~700 chunks to embed, a while
LORDS_WRANS_26 = "lordswrans/lordswrans2009-10-26a.xml"  # added to make the index stale
WMS_28 = "wms/ministerial2009-10-28a.xml"
FILES = (WMS_27, WMS_26, DEBATES_26)
QUERY = "police"
BUILD_SECONDS = 600  # a bound for a build of three files on a busy machine, not a measure
BUILT = ("is complete", "is up to date")  # what the build's last log line says


@dataclass(frozen=True)
class Look:
    """One look at a server: /health, then /search, each (status, body)."""

    health: tuple[int, dict]
    search: tuple[int, dict]

    @property
    def building(self) -> dict | None:
        status, body = self.health
        return body["building"] if status == 200 else None


def watch_until_built(url: str, index_dir: Path, log_path: Path) -> list[Look]:
    """/health and /search, asked in turn until the build beside the server has ended and the
    server serves what it published last."""
    looks = []
    deadline = time.monotonic() + BUILD_SECONDS
    with httpx.Client(base_url=url, timeout=60) as client:
        while True:
            health = client.get("/health")
            search = client.get("/search", params={"q": QUERY, "k": 5})
            looks.append(Look((health.status_code, health.json()),
                              (search.status_code, search.json())))
            log = log_path.read_text(errors="replace")
            if (any(f"build: the index at {index_dir} {end}" in log for end in BUILT)
                    and health.status_code == 200 and health.json()["building"] is None
                    and health.json()["build_id"] == layout.read_manifest(index_dir).build_id):
                return looks
            if time.monotonic() > deadline:
                pytest.fail(f"the build did not end in {BUILD_SECONDS} s:\n{log[-3000:]}")
            time.sleep(0.2)


@dataclass(frozen=True)
class Run:
    corpus: Path
    index_dir: Path
    cache: Path
    looks: list[Look]
    log: str


def serve_and_build(start_server, corpus: Path, index_dir: Path, cache: Path,
                    log_path: Path) -> Run:
    """A server with `--build` of `corpus` into `index_dir` (vectors cached in `cache`),
    watched until its build has ended."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DEBATE_SEARCH_CORPUS", str(corpus))
        env.setenv("DEBATE_SEARCH_CACHE_DIR", str(cache))
        with start_server(index_dir, log_path, args=("--build",)) as url:
            looks = watch_until_built(url, index_dir, log_path)
    return Run(corpus, index_dir, cache, looks, log_path.read_text(errors="replace"))


@pytest.fixture(scope="module")
def first_run(start_server, embedder, session_cache, tmp_path_factory) -> Run:
    """`serve --build` with no index and nothing embedded yet, watched until built."""
    root = tmp_path_factory.mktemp("first-run")
    return serve_and_build(start_server, copy_corpus(root / "corpus", FILES), root / "index",
                           empty_vector_cache(root / "cache", session_cache),
                           root / "server.log")


def test_the_build_is_done_only_once_the_whole_index_is_served(first_run):
    # A page reloads its search when /health says the build is done: the whole index must be
    # what answers it, not the stage before the last, still served for a moment.
    final = layout.read_manifest(first_run.index_dir).build_id
    done = [body for status, body in (look.health for look in first_run.looks)
            if status == 200 and body["building"] is None]
    assert done and all(body["build_id"] == final for body in done)


def test_the_first_stage_is_served_and_then_each_next(first_run):
    served = [look.health[1]["contributions"] for look in first_run.looks
              if look.health[0] == 200]
    assert served == sorted(served)  # the index only grows
    assert served[0] < served[-1] == IndexReader(first_run.index_dir).contribution_count
    # Before the first publication the server says the index is being built.
    for status, body in (look.health for look in first_run.looks if look.health[0] != 200):
        assert (status, body["error"]["code"]) == (503, "index_building")
        assert "is being built" in body["error"]["message"]
    for line in ("stage 1 of 3: 1 of 3 files indexed", "stage 2 of 3: 2 of 3 files indexed",
                 "stage 3 of 3: 3 of 3 files indexed"):
        assert line in first_run.log


def test_no_search_fails_once_the_first_stage_is_served(first_run):
    statuses = [look.search[0] for look in first_run.looks]
    first = statuses.index(200)
    assert statuses[first:] == [200] * (len(statuses) - first)
    for status, body in (look.search for look in first_run.looks[:first]):
        assert (status, body["error"]["code"]) == (503, "index_building")


def test_health_says_how_far_the_build_has_got_then_nothing(first_run):
    building = [look.building for look in first_run.looks if look.health[0] == 200]
    progress = [(b["done"], b["total"]) for b in building if b is not None]
    # The last stage (the Commons debate) takes long enough to be seen.
    assert progress and progress == sorted(progress)
    assert {total for _, total in progress} == {3}
    assert {done for done, _ in progress} <= {0, 1, 2}
    assert building[-1] is None and first_run.looks[-1].health[1]["build_error"] is None


def test_the_finished_index_is_the_one_index_builds(first_run, embedder):
    manifest = layout.read_manifest(first_run.index_dir)
    [corpus] = manifest.corpora
    assert set(FILES) <= set(corpus.files)
    assert len(manifest.segments) == 1  # the stages' segments merged, as a build's would be
    inputs = resolve_inputs([first_run.corpus], first_run.cache, progress=False)
    again = build_index(inputs, first_run.index_dir, embedder, progress=False,
                        cache_dir=first_run.cache)
    assert again.up_to_date


def test_a_complete_index_starts_at_once_and_builds_nothing(first_run, start_server, tmp_path):
    built = layout.read_manifest(first_run.index_dir).build_id
    run = serve_and_build(start_server, first_run.corpus, first_run.index_dir, first_run.cache,
                          tmp_path / "server.log")
    assert all(look.health[0] == look.search[0] == 200 for look in run.looks)
    assert all(look.building is None for look in run.looks)
    assert f"the index at {first_run.index_dir} is up to date" in run.log
    assert "build: stage" not in run.log
    assert layout.read_manifest(first_run.index_dir).build_id == built


def test_a_stale_index_is_served_while_it_is_updated(first_run, start_server, tmp_path):
    # The same corpus (a folder of the same name) with a file more, and a copy of its index.
    corpus = tmp_path / "stale" / first_run.corpus.name
    shutil.copytree(first_run.corpus, corpus, symlinks=True)
    (corpus / LORDS_WRANS_26).parent.mkdir()
    shutil.copy(UK_DATA / LORDS_WRANS_26, corpus / LORDS_WRANS_26)
    index_dir = tmp_path / "index"
    shutil.copytree(first_run.index_dir, index_dir, symlinks=True)
    before = IndexReader(index_dir).contribution_count
    run = serve_and_build(start_server, corpus, index_dir, first_run.cache,
                          tmp_path / "server.log")
    # The stale index answered from the first look, and no search failed.
    assert all(look.health[0] == look.search[0] == 200 for look in run.looks)
    assert run.looks[0].health[1]["contributions"] == before
    progress = {(b["done"], b["total"]) for look in run.looks if (b := look.building)}
    assert progress <= {(3, 4)}  # the three files it held count as done
    assert "stage 1 of 1: 4 of 4 files indexed" in run.log
    assert run.looks[-1].health[1]["contributions"] > before


def test_a_malformed_file_is_named_and_the_rest_is_served(start_server, session_cache,
                                                          tmp_path):
    corpus = copy_corpus(tmp_path / "corpus", (WMS_27,))
    broken = (UK_DATA / WMS_28).read_bytes()
    (corpus / WMS_28).write_bytes(broken[: len(broken) // 2])
    run = serve_and_build(start_server, corpus, tmp_path / "index", session_cache,
                          tmp_path / "server.log")
    assert "ministerial2009-10-28a.xml:" in run.log  # the file and its line
    last = run.looks[-1]
    assert last.health[1]["build_error"] is None and last.search[0] == 200
    assert last.health[1]["contributions"] > 5  # all of the 27th, and the 28th's first half


def test_a_build_that_fails_is_reported_and_the_index_still_served(first_run, start_server,
                                                                  tmp_path):
    missing = tmp_path / "no-such-corpus"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DEBATE_SEARCH_CORPUS", str(missing))
        with start_server(first_run.index_dir, tmp_path / "server.log",
                          args=("--build",)) as url:
            deadline = time.monotonic() + 120
            while (health := httpx.get(f"{url}/health", timeout=30).json())["build_error"] \
                    is None:
                assert time.monotonic() < deadline, "the failure was never reported"
                time.sleep(0.2)
            search = httpx.get(f"{url}/search", params={"q": QUERY}, timeout=60)
    assert f"no such file or folder: {missing}" in health["build_error"]
    assert health["building"] is None
    assert search.status_code == 200


@pytest.fixture
def building_server(embedder, session_cache, tmp_path, monkeypatch):
    """A `serve --build` server (bench.server.Server) of two files, entered once it serves
    the first and is building the second (a Commons debate: a while, in an empty cache)."""
    from bench.server import Server

    corpus = copy_corpus(tmp_path / "corpus", (WMS_27, DEBATES_26))
    monkeypatch.setenv("DEBATE_SEARCH_CORPUS", str(corpus))
    monkeypatch.setenv("DEBATE_SEARCH_CACHE_DIR",
                       str(empty_vector_cache(tmp_path / "cache", session_cache)))
    server = Server(tmp_path / "index", tmp_path / "server.log", args=("--build",),
                    healthy=False)
    with server:
        deadline = time.monotonic() + BUILD_SECONDS
        while (health := httpx.get(f"{server.base_url}/health", timeout=30)).status_code != 200:
            assert time.monotonic() < deadline, server.log_tail()
            time.sleep(0.2)
        assert health.json()["building"] == {"done": 1, "total": 2}, server.log_tail()
        yield server


def _no_build_left_behind(index_dir: Path) -> None:
    """The index holds what was published, and nothing of the build that was stopped."""
    assert [p.name for p in (index_dir / "builds").iterdir() if p.name.startswith(".")] == []
    [corpus] = layout.read_manifest(index_dir).corpora
    assert WMS_27 in corpus.files and DEBATES_26 not in corpus.files


def test_stopping_the_server_stops_its_build(building_server, tmp_path):
    children = psutil.Process(building_server.proc.pid).children()
    assert children
    for child in children:  # a terminal's Ctrl-C reaches every process of the group
        os.kill(child.pid, signal.SIGINT)
    building_server.__exit__(None, None, None)  # SIGINT to the server, as a terminal sends it
    _, alive = psutil.wait_procs(children, timeout=30)
    assert not alive
    assert building_server.exit_code != "killed"  # it ended of itself, its build with it
    _no_build_left_behind(tmp_path / "index")


def test_a_build_whose_server_died_stops(building_server, tmp_path):
    children = psutil.Process(building_server.proc.pid).children()
    building_server.proc.kill()  # no chance to stop its build
    building_server.proc.wait()
    _, alive = psutil.wait_procs(children, timeout=30)
    assert not alive
    _no_build_left_behind(tmp_path / "index")
