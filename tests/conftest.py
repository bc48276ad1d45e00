"""Shared fixtures: real data from ../shared/data, the real embedding model loaded once."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from data_paths import SHARED_DATA

UK_DATA = SHARED_DATA / "uk-twfy-parlparse-2009-10"


# A test that asks for the small index (a minute or more to build), a server of its own or a
# browser is slow, and says so where it is written (`pytestmark = pytest.mark.slow` in its
# module, or `@pytest.mark.slow`): `make test` (and CI) runs it, a plain `pytest` does not.
# One that does not say so stops the run here, rather than slowing the fast run down unseen.
SLOW_FIXTURES = frozenset({"small_index_dir", "start_server", "browser"})


@pytest.hookimpl(tryfirst=True)  # before pytest deselects by mark: every test is looked at
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    unmarked = [item.nodeid for item in items
                if SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))
                and item.get_closest_marker("slow") is None]
    if unmarked:
        raise pytest.UsageError(
            "these tests need the small index, a server or a browser but are not marked slow "
            "(pytestmark = pytest.mark.slow, or @pytest.mark.slow):\n  " + "\n  ".join(unmarked))


@pytest.fixture(scope="session")
def uk_data() -> Path:
    if not UK_DATA.is_dir():
        pytest.fail(f"real UK data not found at {UK_DATA}; ../shared must sit beside the checkout")
    return UK_DATA


@pytest.fixture(scope="session")
def uk_members(uk_data: Path):
    """The real UK members registry, loaded once."""
    from indexer.sources.parlparse_members import MemberRegistry

    return MemberRegistry.load(uk_data / "members")


@pytest.fixture(scope="session")
def uk_import(uk_data: Path, uk_members):
    """(contributions, issues) of the whole UK TheyWorkForYou folder, parsed once."""
    from indexer.sources import twfy_xml

    contributions, issues = [], []
    for path in twfy_xml.list_source_files(uk_data):
        found, problems = twfy_xml.parse_file(path, uk_members, "uk-test", uk_data)
        contributions.extend(found)
        issues.extend(problems)
    return contributions, issues


@pytest.fixture(scope="session")
def uk_contributions(uk_import):
    """Every contribution of the UK TheyWorkForYou folder."""
    return uk_import[0]


# Index fixtures -------------------------------------------------------------------------
# Two real indexes, built with the real model from real files, each once per session.
#
# The tiny index, for the fast run (seconds to build): one file, the House of Lords' written
# questions of 26 October 2009, each printed with the minister's answer (62 contributions by
# 26 members of five parties; each question and its answer a section of its own, 31 sections
# under 24 headings; each question linked to its answer). Tests over it expect what that
# file holds.
TINY_INDEX_FILE = "lordswrans/lordswrans2009-10-26a.xml"

# The small index, for the slow run (a minute or more to build): Commons debates (26 Oct,
# Home Office questions incl. Tasers), written questions and answers, the Lords, and written
# statements of two days (so date filters have a choice). A test that uses it is marked slow.
SMALL_INDEX_FILES = (
    "debates/debates2009-10-26b.xml",
    "wrans/answers2009-10-26f.xml",
    "lords/daylord2009-10-26a.xml",
    "wms/ministerial2009-10-26c.xml",
    "wms/ministerial2009-10-27a.xml",
)


@pytest.fixture(scope="session")
def embedder(session_cache):
    """The packaged all-MiniLM-L6-v2 on the default backend, loaded once per session."""
    from indexer.embedding import EmbedderSpec

    model = EmbedderSpec(cache_dir=session_cache).open()
    model.embed(["warm-up"])  # load now, not inside the first timed step
    return model


@pytest.fixture(scope="session", autouse=True)
def session_cache(tmp_path_factory) -> Path:
    """The session's cache folder (downloads and the vector cache), for the library and for
    every command and server the tests start: nothing is read from or written to the user's
    own cache, and another build of the small index's files embeds nothing."""
    cache = tmp_path_factory.mktemp("cache")
    os.environ["DEBATE_SEARCH_CACHE_DIR"] = str(cache)
    return cache


def _built(inputs, name: str, embedder, session_cache: Path, tmp_path_factory) -> Path:
    """A new folder `name` holding an index of `inputs`."""
    from indexer.pipeline.build import build_index

    out = tmp_path_factory.mktemp(name)
    build_index(inputs, out, embedder, progress=False, cache_dir=session_cache)
    return out


def _opened(index_dir: Path, embedder):
    """The index in `index_dir` opened for searching."""
    from search_api.engine.search_index import SearchIndex

    return SearchIndex(index_dir, embedder=embedder)


@pytest.fixture(scope="session")
def tiny_index_dir(uk_data: Path, embedder, session_cache: Path, tmp_path_factory) -> Path:
    """Folder of the session's tiny real index (read-only for tests: copy to modify)."""
    from indexer.sources import resolve_inputs

    inputs = resolve_inputs([uk_data / TINY_INDEX_FILE], session_cache, progress=False)
    return _built(inputs, "tiny-index", embedder, session_cache, tmp_path_factory)


@pytest.fixture(scope="session")
def tiny_index(tiny_index_dir: Path, embedder):
    """The tiny index opened for searching."""
    return _opened(tiny_index_dir, embedder)


@pytest.fixture(scope="session")
def small_index_inputs(uk_data: Path, session_cache: Path):
    from indexer.sources import resolve_inputs

    return resolve_inputs([uk_data / f for f in SMALL_INDEX_FILES], session_cache,
                          progress=False)


@pytest.fixture(scope="session")
def small_index_dir(small_index_inputs, embedder, session_cache, tmp_path_factory) -> Path:
    """Folder of the session's small real index (read-only for tests: copy to modify)."""
    return _built(small_index_inputs, "small-index", embedder, session_cache, tmp_path_factory)


@pytest.fixture(scope="session")
def small_index(small_index_dir: Path, embedder):
    """The small index opened for searching."""
    return _opened(small_index_dir, embedder)


@pytest.fixture(scope="session")
def small_reader(small_index_dir: Path):
    """The small index's store, read directly (for what only the store tells)."""
    from indexer.store.reader import IndexReader

    return IndexReader(small_index_dir)


@pytest.fixture(scope="session")
def torch_threads() -> int:
    """The threads torch uses now: an app started in-process is given them (its default, one,
    would slow the index builds that run later in the session)."""
    import torch

    return torch.get_num_threads()


@contextlib.contextmanager
def _api_client(index_dir: Path, torch_threads: int):
    """The HTTP API over `index_dir` in-process, started through its lifespan."""
    from fastapi.testclient import TestClient

    from search_api.interfaces.http.app import create_app
    from search_api.settings import Settings

    settings = Settings(index_dir=index_dir, torch_threads=torch_threads)
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="session")
def tiny_client(tiny_index_dir: Path, torch_threads: int):
    """The HTTP API over the tiny index, once per session."""
    with _api_client(tiny_index_dir, torch_threads) as client:
        yield client


@pytest.fixture(scope="session")
def api_client(small_index_dir: Path, torch_threads: int):
    """The HTTP API over the small index, once per session."""
    with _api_client(small_index_dir, torch_threads) as client:
        yield client


# A real server ---------------------------------------------------------------------------
# `debate-search serve` in a subprocess on a free loopback port (datasette's
# ds_localhost_http_server), started by bench.server.Server, which the benchmarks use too:
# used by the HTTP end-to-end tests and the browser tests.
SERVER_START_TIMEOUT_S = 60

# `debate-search` as a subprocess, in this interpreter.
CLI_COMMAND = [sys.executable, "-m", "search_api.interfaces.cli"]


@contextlib.contextmanager
def running_server(index_dir: Path, log_path: Path, args: tuple[str, ...] = ()):
    """The base URL of `debate-search serve --index index_dir [ARGS]` once it answers HTTP (a
    test may start one on an index it cannot open, or that it builds); the test fails with the
    server's log if it exits or does not answer in time."""
    from bench.server import Server, ServerError

    with contextlib.ExitStack() as stack:
        try:
            server = stack.enter_context(
                Server(index_dir, log_path, args=args, startup_timeout_s=SERVER_START_TIMEOUT_S,
                       healthy=False))
        except ServerError as exc:
            pytest.fail(str(exc))
        yield server.base_url


@pytest.fixture(scope="session")
def server_url(small_index_dir: Path, tmp_path_factory):
    """A real server over the small index, healthy, once per session."""
    import httpx

    log_path = tmp_path_factory.mktemp("server") / "server.log"
    with running_server(small_index_dir, log_path) as url:
        health = httpx.get(f"{url}/health", timeout=10)
        if health.status_code != 200:
            pytest.fail(f"server unhealthy: {health.text}\n{log_path.read_text()}")
        yield url


@pytest.fixture(scope="session")
def cli_command() -> list[str]:
    """`debate-search` as a subprocess command."""
    return CLI_COMMAND


@pytest.fixture(scope="session")
def start_server():
    """`running_server` for tests that need a server of their own (another index)."""
    return running_server
