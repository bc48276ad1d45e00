"""A running server picks up a newly published build without a restart, and the requests
it answers meanwhile do not fail."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

# A real server, and builds: slow.
pytestmark = pytest.mark.slow

WMS_26 = "wms/ministerial2009-10-26c.xml"
WMS_27 = "wms/ministerial2009-10-27a.xml"
SWITCH_SECONDS = 60  # the server looks every 2 s; opening a small build takes seconds


def _build(uk_data, files, out, embedder, cache):
    from indexer.pipeline.build import build_index
    from indexer.sources import resolve_inputs

    inputs = resolve_inputs([uk_data / f for f in files], cache, progress=False)
    return build_index(inputs, out, embedder, progress=False, cache_dir=cache)


def test_a_new_build_is_served_without_a_restart(uk_data, embedder, session_cache,
                                                 small_index_dir, start_server, tmp_path):
    # small_index_dir: the small index holds these files, so their vectors are cached.
    index_dir = tmp_path / "index"
    first = _build(uk_data, [WMS_27], index_dir, embedder, session_cache)
    with start_server(index_dir, tmp_path / "server.log") as url:
        before = httpx.get(f"{url}/health", timeout=30).json()
        assert before["contributions"] == first.contributions
        failures, answered, stop = [], [], threading.Event()

        def keep_searching() -> None:  # one client searching all along
            with httpx.Client(base_url=url, timeout=60) as client:
                while not stop.is_set():
                    response = client.get("/search", params={"q": "prisons", "k": 5})
                    (answered if response.status_code == 200 else failures).append(response)

        searcher = threading.Thread(target=keep_searching)
        searcher.start()
        try:
            grown = _build(uk_data, [WMS_26, WMS_27], index_dir, embedder, session_cache)
            assert grown.embedded == 0 and grown.contributions > first.contributions
            deadline = time.monotonic() + SWITCH_SECONDS
            while httpx.get(f"{url}/health", timeout=30).json()["contributions"] \
                    != grown.contributions:
                assert time.monotonic() < deadline, "the server still serves the old build"
                time.sleep(0.5)
            time.sleep(1)  # some requests on the new build too
        finally:
            stop.set()
            searcher.join()
        after = httpx.get(f"{url}/health", timeout=30).json()
        assert after["build_id"] != before["build_id"]
        assert not failures, [f.text for f in failures[:3]]
        assert len(answered) > 5
        # The new build's contributions are found: a statement of 26 October.
        found = httpx.get(f"{url}/search", params={"q": "MAPPA annual reports", "k": 3,
                                                   "date_to": "2009-10-26"}, timeout=30).json()
        assert found["count"] > 0
