"""Load shedding (search_api/interfaces/http/shedding.py): searches beyond the limit are
refused at once with 503, Retry-After and the error shape, before anything of the app runs
(not even the checks of the request's parameters); the rest of the API still answers.

The searches are held in flight deterministically, never by racing threads: end to end by a
request whose body has not finished arriving (the server has started it and waits for the
rest), in process by an app that waits for the test's signal.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from urllib.parse import urlsplit

import httpx
import psutil
import pytest

from search_api.interfaces.http.errors import ErrorResponse
from search_api.interfaces.http.shedding import LoadShedding


def _assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert set(error) == {"status", "code", "message", "field"}  # the one error shape
    ErrorResponse.model_validate(response.json())
    assert error["code"] == "overloaded" and error["status"] == 503
    assert error["field"] is None
    assert "retry in 1 s" in error["message"]


@pytest.mark.slow
def test_a_search_beyond_the_limit_is_refused_end_to_end(start_server, small_index_dir,
                                                         tmp_path, monkeypatch):
    monkeypatch.setenv("DEBATE_SEARCH_MAX_IN_FLIGHT", "1")
    with start_server(small_index_dir, tmp_path / "server.log") as url:
        body = json.dumps({"q": "swine flu vaccination", "k": 3}).encode()
        address = urlsplit(url)
        held = socket.create_connection((address.hostname, address.port), timeout=30)
        try:  # headers and half the body: the server has started this search
            held.sendall(b"POST /search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                         b"\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % len(body)
                         + body[:5])
            refused = _first_refusal(url)
            _assert_refused(refused)
            # Refused before the route is chosen or its parameters checked: neither an
            # invalid parameter (400 when admitted) nor a body that is not JSON is looked at.
            _assert_refused(httpx.get(f"{url}/search", params={"q": "x", "k": "many"},
                                      timeout=30))
            _assert_refused(httpx.post(f"{url}/context", content=b"{not json", timeout=30))
            # The rest of the API is not counted.
            assert httpx.get(f"{url}/health", timeout=10).status_code == 200
            held.sendall(body[5:])  # the held search completes, and is answered
            answer = _read_all(held)
        finally:
            held.close()
        assert answer.startswith(b"HTTP/1.1 200")
        assert httpx.get(f"{url}/search", params={"q": "swine flu"}, timeout=30).status_code == 200
        admitted = httpx.get(f"{url}/search", params={"q": "x", "k": "many"}, timeout=30)
        assert admitted.json()["error"]["code"] == "invalid_parameter"
        server = _server_process(url)
    # The access log has a line for every request answered but those refused.
    access = [line for line in (tmp_path / "server.log").read_text().splitlines()
              if '"GET /' in line or '"POST /' in line]
    assert any('"GET /health HTTP/1.1" 200' in line for line in access)
    assert any('"POST /search HTTP/1.1" 200' in line for line in access)
    assert not [line for line in access if " 503" in line]
    # It ran on uvicorn[standard]'s C parser and event loop, not h11 and asyncio's.
    assert {"httptools", "uvloop"} <= server["libraries"]


def _server_process(url: str) -> dict:
    """The shared libraries of the `serve` process listening at `url` (a child of this one)."""
    port = str(urlsplit(url).port)
    process = next(child for child in psutil.Process().children(recursive=True)
                   if "serve" in child.cmdline() and port in child.cmdline())
    return {"libraries": {part for mapped in process.memory_maps()
                          for part in mapped.path.split("/")}}


def _first_refusal(url: str) -> httpx.Response:
    """The first answer to a search while the held one is in flight: the server may not yet
    have read the held request's headers, so a 200 before it means "not yet", never more
    than a few times."""
    for _ in range(50):
        response = httpx.get(f"{url}/answer", params={"q": "swine flu"}, timeout=30)
        if response.status_code != 200:
            return response
    pytest.fail("no search was refused while one was held in flight with a limit of 1")


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


class _Gate:
    """An app whose searches wait until `open` is set; other paths answer at once."""

    def __init__(self):
        self.open = asyncio.Event()
        self.waiting = 0

    async def __call__(self, scope, receive, send):
        if scope["query_string"] == b"fail":
            raise RuntimeError("a failing search")
        if scope["path"] != "/health":
            self.waiting += 1
            await self.open.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def test_the_limit_counts_searches_in_flight_and_frees_them():
    async def run():
        gate = _Gate()
        shedding = LoadShedding(gate, limit=2, workers=2)
        transport = httpx.ASGITransport(app=shedding)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            held = [asyncio.create_task(client.get(path)) for path in ("/search", "/answer")]
            while gate.waiting < 2:
                await asyncio.sleep(0)
            _assert_refused(await client.post("/context"))
            assert gate.waiting == 2  # the refused request never reached the app
            assert (await client.get("/health")).status_code == 200
            gate.open.set()
            assert [r.status_code for r in await asyncio.gather(*held)] == [200, 200]
            assert shedding.in_flight == 0
            with pytest.raises(RuntimeError):
                await client.get("/search?fail")  # a search that fails frees its place
            assert shedding.in_flight == 0

    asyncio.run(run())


def test_searches_beyond_the_workers_wait_their_turn():
    async def run():
        gate = _Gate()
        shedding = LoadShedding(gate, limit=2, workers=1)
        transport = httpx.ASGITransport(app=shedding)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            held = [asyncio.create_task(client.get("/search")) for _ in range(2)]
            while shedding.in_flight < 2:
                await asyncio.sleep(0)
            for _ in range(10):  # the second is admitted, and waits for the first
                await asyncio.sleep(0)
            assert gate.waiting == 1
            _assert_refused(await client.get("/search"))
            gate.open.set()
            assert [r.status_code for r in await asyncio.gather(*held)] == [200, 200]
            assert gate.waiting == 2 and shedding.in_flight == 0

    asyncio.run(run())


def test_a_refusal_is_sent_after_a_pause_that_holds_nothing_up():
    async def run():
        gate = _Gate()
        shedding = LoadShedding(gate, limit=1, workers=1, refusal_pause_s=0.3)
        transport = httpx.ASGITransport(app=shedding)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            held = asyncio.create_task(client.get("/search"))
            while gate.waiting < 1:
                await asyncio.sleep(0)
            started = time.monotonic()
            refused = asyncio.create_task(client.get("/search"))
            await asyncio.sleep(0.05)
            assert (await client.get("/health")).status_code == 200  # answered meanwhile
            assert not refused.done()
            _assert_refused(await refused)
            assert time.monotonic() - started >= 0.3  # an impatient client asks no sooner
            gate.open.set()
            await held

    asyncio.run(run())


def test_refusals_are_counted_in_the_log_once_in_a_while(caplog):
    async def run():
        gate = _Gate()
        shedding = LoadShedding(gate, limit=1, workers=1, report_every_s=0, refusal_pause_s=0)
        transport = httpx.ASGITransport(app=shedding)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            held = asyncio.create_task(client.get("/search"))
            while gate.waiting < 1:
                await asyncio.sleep(0)
            for _ in range(3):
                _assert_refused(await client.get("/answer"))
            await asyncio.sleep(0.01)  # the loop runs the report, due at once, meanwhile
            _assert_refused(await client.get("/search"))
            await asyncio.sleep(0.01)
            gate.open.set()
            await held

    with caplog.at_level(logging.WARNING, logger="uvicorn.error"):
        asyncio.run(run())
    assert [r.getMessage() for r in caplog.records] == [
        "searches refused in the last 0 s: 3 (1 in hand, the most taken at once)",
        "searches refused in the last 0 s: 1 (1 in hand, the most taken at once)"]


def test_a_batch_of_n_weighs_n_searches_under_load_shedding():
    async def run():
        gate = _Gate()
        shedding = LoadShedding(gate, limit=4, workers=2, refusal_pause_s=0)
        transport = httpx.ASGITransport(app=shedding)
        three = {"searches": [{"q": "x"}] * 3}
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            held = [asyncio.create_task(client.post("/search/batch", json=three))]
            while shedding.in_flight < 3:
                await asyncio.sleep(0)
            refused = await client.post("/search/batch", json={"searches": [{"q": "x"}] * 2})
            assert refused.status_code == 503
            assert "a batch of 2 searches would pass the 4" in refused.json()["error"]["message"]
            held.append(asyncio.create_task(client.get("/search")))  # the fourth: admitted
            while shedding.in_flight < 4:
                await asyncio.sleep(0)
            assert (await client.get("/answer")).status_code == 503
            for _ in range(10):  # the batch holds both workers: the single search waits
                await asyncio.sleep(0)
            assert gate.waiting == 1
            gate.open.set()
            assert [r.status_code for r in await asyncio.gather(*held)] == [200, 200]
            assert shedding.in_flight == 0
            # A batch larger than the limit is admitted when nothing else is in hand.
            assert (await client.post("/search/batch", json={"searches": [{"q": "x"}] * 9})
                    ).status_code == 200
            # A body that is not a batch weighs one; the route gives its 400.
            assert (await client.post("/search/batch", content=b"{not json")).status_code == 200

    asyncio.run(run())


def test_limits_below_one_are_refused():
    with pytest.raises(ValueError, match="at least 1"):
        LoadShedding(_Gate(), limit=0, workers=1)
    with pytest.raises(ValueError, match="at least 1"):
        LoadShedding(_Gate(), limit=1, workers=0)
