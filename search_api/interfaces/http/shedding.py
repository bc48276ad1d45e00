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
"""

from __future__ import annotations

import asyncio
import logging
from contextvars import ContextVar

from starlette.types import ASGIApp, Receive, Scope, Send

from search_api.interfaces.http.errors import encoded_error

SHED_PATHS = frozenset({"/search", "/answer", "/context", "/feeds/search.atom"})
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
        self.in_flight = 0
        self._running = asyncio.Semaphore(workers)
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
        if scope["type"] != "http" or scope["path"].rstrip("/") not in SHED_PATHS:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            self._count_refusal()
            refusing = _refusing.set(True)
            try:
                if self.refusal_pause_s:
                    await asyncio.sleep(self.refusal_pause_s)
                await send({"type": "http.response.start", "status": 503,
                            "headers": self._refusal_headers})
                await send({"type": "http.response.body", "body": self._refusal_body})
            finally:  # in-process clients run requests in their own task, one after another
                _refusing.reset(refusing)
            return
        self.in_flight += 1
        try:
            async with self._running:
                await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1

    def _count_refusal(self) -> None:
        self.refused += 1
        if self._report is None:
            self._report = asyncio.get_running_loop().call_later(self.report_every_s,
                                                                 self._log_refusals)

    def _log_refusals(self) -> None:
        log.warning("searches refused in the last %g s: %d (%d in hand, the most taken at "
                    "once)", self.report_every_s, self.refused, self.limit)
        self.refused, self._report = 0, None


class QuietRefusals(logging.Filter):
    """The access log's filter: leaves out the line of each request LoadShedding refuses."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not _refusing.get()
