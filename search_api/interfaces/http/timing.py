"""The Server-Timing header: where a search request's time went, stage by stage
(engine/stages.py), for benchmarks and browsers' developer tools."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from search_api.engine.stages import recording, server_timing


class ServerTiming:
    """Records the stages of the searches a request runs and names them in its response's
    Server-Timing header (none where it ran no search). A plain ASGI middleware: the route
    runs in a worker thread with a copy of this context, which shares the record."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with recording() as record:

            async def send_timed(message: Message) -> None:
                if message["type"] == "http.response.start" and record:
                    message = {**message, "headers": [
                        *message.get("headers", []),
                        (b"server-timing", server_timing(record).encode("ascii"))]}
                await send(message)

            await self.app(scope, receive, send_timed)
