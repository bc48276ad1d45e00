"""End to end: `debate-search serve` in a subprocess, queried over loopback with httpx."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

START_TIMEOUT_S = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _command() -> list[str]:
    script = Path(sys.executable).parent / "debate-search"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "search_api.cli"]


@pytest.fixture(scope="module")
def server_url(small_index_dir: Path, tmp_path_factory):
    port = _free_port()
    log_path = tmp_path_factory.mktemp("server") / "server.log"
    env = os.environ | {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [*_command(), "serve", "--host", "127.0.0.1", "--port", str(port),
             "--index", str(small_index_dir)],
            stdout=log, stderr=subprocess.STDOUT, env=env,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"server exited with {process.returncode}:\n{log_path.read_text()}")
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server not answering after {START_TIMEOUT_S} s:\n"
                            f"{log_path.read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_search_over_http(server_url):
    response = httpx.get(f"{server_url}/search?q=police+use+of+Tasers&k=5", timeout=60)
    assert response.status_code == 200
    page = response.json()
    assert (page["query"], page["count"]) == ("police use of Tasers", 5)
    results = page["results"]
    assert results[0]["debate"]["title"] == "HOME DEPARTMENT — Tasers"
    assert {"David Hanson", "Norman Baker"} <= {r["speaker"]["name"] for r in results}
    for r in results:
        assert (r["house"], r["date"], r["kind"]) == ("House of Commons", "2009-10-26", "speech")
        speaker = r["speaker"]
        assert speaker["person_id"].startswith("uk.org.publicwhip/person/")
        assert speaker["party"] and speaker["constituency"]
        assert r["source_url"].startswith("http://www.publications.parliament.uk/")
        assert r["snippet"]["sentence"] in r["snippet"]["text"]


def test_error_over_http(server_url):
    response = httpx.get(f"{server_url}/search", params={"q": "Tasers", "party": "Labor"},
                         timeout=30)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert set(error) == {"status", "code", "message", "field"}
    assert (error["status"], error["code"], error["field"]) == (400, "invalid_parameter", "party")
    assert "Labour" in error["message"]
