"""Load shedding: a bound on the searches in flight, the rest refused at once.

Without a bound a burst makes every request wait (64 clients on 2 cores: p50 3.0 s, nothing
refused). Like Elasticsearch's search thread pool and its queue, at most `workers` searches
run at once, up to `limit` are admitted (the others wait their turn), and beyond that a
request is answered straight away with 503, a Retry-After header and the usual error shape,
so the ones accepted keep their latency and a client knows to come back. Running no more
searches than there are cores also keeps the event loop quick: every search thread competes
for the GIL with the loop that reads requests and sends refusals. Only the routes that search
are counted: the page, /health and single contributions stay cheap and always answer.

Pure ASGI, not Starlette's BaseHTTPMiddleware: the count changes on the event loop only (no
lock needed), and a refusal never waits for a worker thread.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send

from search_api.interfaces.http.errors import error_response

SHED_PATHS = frozenset({"/search", "/answer", "/context"})


class LoadShedding:
    """At most `limit` requests to SHED_PATHS admitted, `workers` of them running; more are
    refused with 503."""

    def __init__(self, app: ASGIApp, limit: int, workers: int, retry_after_s: int = 1):
        if limit < 1 or workers < 1:
            raise ValueError(f"max_in_flight and search_workers must be at least 1, not "
                             f"{limit} and {workers}")
        self.app, self.limit, self.retry_after_s = app, limit, retry_after_s
        self.in_flight = 0
        self._running = asyncio.Semaphore(workers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].rstrip("/") not in SHED_PATHS:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            refusal = error_response(
                503, "overloaded",
                f"the server has {self.in_flight} searches in hand, the most it takes at "
                f"once; retry in {self.retry_after_s} s",
                headers={"Retry-After": str(self.retry_after_s)})
            await refusal(scope, receive, send)
            return
        self.in_flight += 1
        try:
            async with self._running:
                await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
