"""Request bodies above a size are refused with PocketBase's 413 as they arrive, before they fill memory or
an RPC message (NATS takes 8 MB).

Starlette's own limit answers in plain text; this one answers in the error shape every other error has.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from oneclick_core.errors import ApiError
from oneclick_edge.errors import error_response


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await error_response(ApiError(413))(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                # Raised inside the handler reading the body, so the edge's error handlers answer it.
                raise ApiError(413)
            return message

        await self.app(scope, limited, send)
