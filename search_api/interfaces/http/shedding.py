"""Load shedding: a bound on the searches in flight, the rest refused at once.

Without a bound a burst makes every request wait (64 clients on 2 cores: p50 3.0 s, nothing
refused). Like Elasticsearch's search thread pool and its queue, at most `workers` searches
run at once, up to `limit` are admitted (the others wait their turn), and beyond that a
request is answered straight away with 503, a Retry-After header and the usual error shape,
so the ones accepted keep their latency and a client knows to come back. Running no more
searches than there are cores also keeps the event loop quick: every search thread competes
for the GIL with the loop that reads requests and sends refusals. Only the routes that search
are counted: the page, /health and single contributions stay cheap and always answer.

Refusing must cost almost nothing, or clients that ask again at once take the cores from the
searches admitted: `serve` puts this in front of the whole app (app.create_server_app), so a
refusal is decided from the path alone, before FastAPI's middleware, routing, parameter
validation or any model, and sent as bytes encoded once. Nor does each refusal write a line to
the access log (QuietRefusals; that line was a quarter of a refusal's cost, and a flood of them
fills the log): how many were refused is logged instead, once every `report_every_s` while
they last. Nor is a refusal sent the moment it is decided: it waits REFUSAL_PAUSE_S first (on
the event loop, holding nothing), so a client that asks again at once asks at most that
often: 64 such clients on the machine's own cores otherwise spend the cores on asking and
being refused, and the searches admitted starve (docs/benchmarks.md, "Impatient clients").
A polite client loses nothing: it waits Retry-After anyway. Pure ASGI, not Starlette's
BaseHTTPMiddleware: the count changes on the event loop only (no lock needed), and a refusal
never waits for a worker thread.

A batch (POST /search/batch) is n searches' work and counts as n (at most `limit`: a batch
larger than the limit is admitted only when nothing else is in hand), and runs on as many of
the `workers` places as it has searches. Its size is in its body, so a batch not refused by
its path alone (all places taken) is read first: the body is parsed once more here, a few
microseconds for 100 searches, and one that is not JSON counts as one search and gets its 400
from the route. Elasticsearch's _msearch likewise runs each search of a batch in the search
thread pool as a search of its own.
"""

from __future__ import annotations

import asyncio
import json
import logging
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from search_api.interfaces.http.errors import encoded_error

BATCH_PATH = "/search/batch"  # counted as the searches it holds
SHED_PATHS = frozenset({"/search", "/answer", "/context", "/feeds/search.atom", BATCH_PATH})
REPORT_EVERY_S = 10
REFUSAL_PAUSE_S = 0.02  # well inside the 50 ms a refusal may take (issue 25)
log = logging.getLogger("uvicorn.error")  # the server's own log, beside its access log
# Set in the task of a request being refused (uvicorn runs each request in a task of its
# own, with its own context), where the access log's line of that request is written.
_refusing: ContextVar[bool] = ContextVar("refusing", default=False)


class LoadShedding:
    """At most `limit` requests to SHED_PATHS admitted, `workers` of them running; more are
    refused with 503."""

    def __init__(self, app: ASGIApp, limit: int, workers: int, retry_after_s: int = 1,
                 report_every_s: float = REPORT_EVERY_S,
                 refusal_pause_s: float = REFUSAL_PAUSE_S):
        if limit < 1 or workers < 1:
            raise ValueError(f"max_in_flight and search_workers must be at least 1, not "
                             f"{limit} and {workers}")
        self.app, self.limit, self.retry_after_s = app, limit, retry_after_s
        self.report_every_s, self.refusal_pause_s = report_every_s, refusal_pause_s
        self.in_flight = 0  # searches: a batch counts its own
        self._workers = workers
        self._running = asyncio.Semaphore(workers)
        self._claiming = asyncio.Lock()
        # A search is refused only with `limit` in hand, so the refusal never changes.
        self._refusal_body = encoded_error(
            503, "overloaded", f"the server has {limit} searches in hand, the most it takes "
                               f"at once; retry in {retry_after_s} s")
        self._refusal_headers = ((b"content-type", b"application/json"),
                                 (b"content-length", b"%d" % len(self._refusal_body)),
                                 (b"retry-after", b"%d" % retry_after_s))
        self.refused = 0  # since the last report
        self._report: asyncio.TimerHandle | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"].rstrip("/") if scope["type"] == "http" else None
        if path not in SHED_PATHS:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            await self._refuse(send, self._refusal_body)
            return
        weight = 1
        if path == BATCH_PATH and scope["method"] == "POST":
            body, receive = await _read_body(receive)
            weight = min(_searches_in(body), self.limit)
            if self.in_flight + weight > self.limit:
                await self._refuse(send, encoded_error(
                    503, "overloaded", f"a batch of {weight} searches would pass the "
                                       f"{self.limit} the server takes at once "
                                       f"({self.in_flight} in hand); retry in "
                                       f"{self.retry_after_s} s"))
                return
        self.in_flight += weight
        try:
            if weight == 1:
                async with self._running:
                    await self.app(scope, receive, send)
                return
            places = min(weight, self._workers)
            async with self._claiming:  # one batch claims at a time: no two wait on each other
                for _ in range(places):
                    await self._running.acquire()
            try:
                await self.app(scope, receive, send)
            finally:
                for _ in range(places):
                    self._running.release()
        finally:
            self.in_flight -= weight

    async def _refuse(self, send: Send, body: bytes) -> None:
        self._count_refusal()
        refusing = _refusing.set(True)
        try:
            if self.refusal_pause_s:
                await asyncio.sleep(self.refusal_pause_s)
            headers = self._refusal_headers
            if body is not self._refusal_body:
                headers = ((headers[0], (b"content-length", b"%d" % len(body)), headers[2]))
            await send({"type": "http.response.start", "status": 503, "headers": headers})
            await send({"type": "http.response.body", "body": body})
        finally:  # in-process clients run requests in their own task, one after another
            _refusing.reset(refusing)

    def _count_refusal(self) -> None:
        self.refused += 1
        if self._report is None:
            self._report = asyncio.get_running_loop().call_later(self.report_every_s,
                                                                 self._log_refusals)

    def _log_refusals(self) -> None:
        log.warning("searches refused in the last %g s: %d (%d in hand, the most taken at "
                    "once)", self.report_every_s, self.refused, self.limit)
        self.refused, self._report = 0, None


async def _read_body(receive: Receive) -> tuple[bytes, Receive]:
    """A request's whole body, and a `receive` that gives it to the app again."""
    parts, more = [], True
    while more:
        message = await receive()
        if message["type"] != "http.request":  # the client went away: the app will see it
            break
        parts.append(message.get("body", b""))
        more = message.get("more_body", False)
    body, given = b"".join(parts), False

    async def replay() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return body, replay


def _searches_in(body: bytes) -> int:
    """How many searches a batch's body asks for (1 where it is not a batch: its 400 is the
    route's to give)."""
    try:
        searches = json.loads(body).get("searches")
    except (ValueError, AttributeError):
        return 1
    return max(len(searches), 1) if isinstance(searches, list) else 1


class QuietRefusals(logging.Filter):
    """The access log's filter: leaves out the line of each request LoadShedding refuses."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not _refusing.get()
