"""Serving under load while builds are published: requests on many threads with many distinct
filters, five builds published back to back, and not one request failing (a real server, real
builds; slow)."""

from __future__ import annotations

import itertools
import re
import shutil
import threading
import time

import httpx
import pytest

from indexer.pipeline.build import build_index
from indexer.store.layout import resolve_build
from indexer.store.records import SearchFilters
from search_api.engine.search_index import SearchIndex

pytestmark = pytest.mark.slow

CLIENTS = 16
BUILDS = 5
QUERIES = ("police and Tasers", "written answers on schools", "the Lords on energy",
           "hospital waiting times", "immigration rules", "defence spending")


def _filter_values(url: str) -> tuple[list[str], list[str]]:
    """Speaker and debate filters the index answers: every speaker's name, surname and person
    id; every longer word of the debate titles found by a few searches."""
    speakers: set[str] = set()
    for s in httpx.get(f"{url}/speakers", params={"limit": 100}, timeout=60).json()["speakers"]:
        speakers |= {s["name"], s["name"].split()[-1]} | ({s["person_id"]} - {None})
    debates: set[str] = set()
    for q in QUERIES:
        page = httpx.get(f"{url}/search", params={"q": q, "k": 100}, timeout=60).json()
        for r in page["results"]:
            debates |= {w for w in re.findall(r"[A-Za-z]{5,}", r["debate"]["title"])}
    return sorted(speakers), sorted(debates)


def test_no_request_fails_while_builds_are_published(small_index_dir, small_index_inputs,
                                                      embedder, session_cache, start_server,
                                                      tmp_path, monkeypatch):
    # Every client's search is admitted (a 17th would be shed with 503: test_shedding.py),
    # and all of them run at once.
    monkeypatch.setenv("DEBATE_SEARCH_MAX_IN_FLIGHT", str(CLIENTS + 1))
    monkeypatch.setenv("DEBATE_SEARCH_SEARCH_WORKERS", str(CLIENTS))
    index_dir = tmp_path / "index"
    shutil.copytree(small_index_dir, index_dir, symlinks=True)
    with start_server(index_dir, tmp_path / "server.log") as url:
        speakers, debates = _filter_values(url)
        assert len(speakers) + len(debates) >= 200  # hundreds of distinct filters
        filters = [{"speaker": s} for s in speakers] + [{"debate": d} for d in debates] + [
            {"speaker": s, "debate": d} for s, d in zip(speakers, reversed(debates), strict=False)]
        failures: list[str] = []
        answered = [0] * CLIENTS
        publishing = threading.Event()
        publishing.set()

        def client(number: int) -> None:
            asks = itertools.cycle(filters[number::CLIENTS] or filters)
            with httpx.Client(base_url=url, timeout=120) as http:
                for i in itertools.count():
                    if not publishing.is_set() and i >= 5:
                        return
                    params = {"q": QUERIES[i % len(QUERIES)], "k": 5, **next(asks)}
                    response = http.get("/search", params=params)
                    if response.status_code != 200:
                        failures.append(f"{params}: {response.status_code} {response.text}")
                    answered[number] += 1

        # A reader that stays on the first build throughout, as a slow replica would.
        replica = SearchIndex(index_dir, embedder=embedder)
        first = replica.build_id
        clients = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for thread in clients:
            thread.start()
        published = []
        try:
            for _ in range(BUILDS):  # back to back: each publishes a new build of the index
                build_index(small_index_inputs, index_dir, embedder, force=True, progress=False,
                            cache_dir=session_cache)
                published.append(resolve_build(index_dir).name)
        finally:
            publishing.clear()
            for thread in clients:
                thread.join()
        assert not failures, f"{len(failures)} failed, e.g. {failures[:3]}"
        assert sum(answered) >= CLIENTS * 5

        # Five builds later the replica's build is still whole: it reads it from threads that
        # open their own connections to it now.
        def replica_search(filters: dict) -> None:
            try:
                replica.search("police and Tasers", k=5, filters=SearchFilters(**filters))
            except Exception as exc:  # noqa: BLE001 - reported below
                failures.append(f"replica, {filters}: {exc!r}")

        readers = [threading.Thread(target=replica_search, args=(f,)) for f in filters[:8]]
        for thread in readers:
            thread.start()
        for thread in readers:
            thread.join()
        assert not failures, failures[:3]
        assert first not in published and (index_dir / "builds" / first).is_dir()
        replica.close()  # its last reader gone, the build is retired
        assert not (index_dir / "builds" / first).exists()

        # The server moves to the last build, and every build it no longer reads is retired.
        deadline = time.monotonic() + 60
        while httpx.get(f"{url}/health", timeout=30).json()["build_id"] != published[-1]:
            assert time.monotonic() < deadline, "the server never served the last build"
            time.sleep(0.5)
        while {p.name for p in (index_dir / "builds").iterdir()} != {published[-1]}:
            assert time.monotonic() < deadline, "builds nobody reads were not retired"
            time.sleep(0.5)
    log = (tmp_path / "server.log").read_text()
    assert "Traceback" not in log and "not serving" not in log, log[-3000:]
