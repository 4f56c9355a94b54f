"""PocketBase's realtime connection (``GET /api/realtime``, server-sent events), read as the SDK reads it."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import httpx
import orjson

Message = tuple[str, Any]  # (event, decoded data)


class RealtimeConnection:
    """An open realtime connection, read in the background from the moment it is open.

    ``messages`` holds every message that arrived, ``PB_CONNECT`` first; ``next`` hands out the ones after
    ``PB_CONNECT`` one at a time, for tests that follow the stream in order.
    """

    def __init__(self, stream: contextlib.AbstractAsyncContextManager[httpx.Response]) -> None:
        self._stream = stream
        self.messages: list[Message] = []
        self._unread: asyncio.Queue[Message] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None
        self.client_id = ""

    @classmethod
    async def open(cls, client: httpx.AsyncClient, timeout: float = 20.0) -> RealtimeConnection:
        """Connected: the server's ``PB_CONNECT`` (with the client id subscriptions name) has arrived."""
        # No read timeout: a connection nothing is published to is silent for as long as the test lasts.
        connection = cls(client.stream("GET", "/api/realtime", timeout=httpx.Timeout(15, read=None)))
        response = await connection._stream.__aenter__()
        try:
            assert response.status_code == 200, (response.status_code, await response.aread())
            assert response.headers["content-type"].startswith("text/event-stream"), response.headers
            connection._reader = asyncio.create_task(connection._read(response))
            event, data = await connection.next(timeout)
            assert event == "PB_CONNECT", event
        except BaseException:
            await connection.close()
            raise
        connection.client_id = data["clientId"]
        return connection

    async def _read(self, response: httpx.Response) -> None:
        fields: dict[str, str] = {}
        with contextlib.suppress(httpx.HTTPError):  # the connection ends with the test
            async for line in response.aiter_lines():
                if line:
                    name, _, value = line.partition(":")
                    if name:  # a line starting with ":" is a comment (keep-alive)
                        fields[name] = value
                    continue
                if "event" in fields:  # an empty line ends a message
                    message = (fields["event"], orjson.loads(fields.get("data", "null")))
                    self.messages.append(message)
                    self._unread.put_nowait(message)
                fields = {}

    async def next(self, timeout: float = 20.0) -> Message:
        """The next message not handed out yet, waiting up to ``timeout`` seconds for it."""
        return await asyncio.wait_for(self._unread.get(), timeout)

    async def nothing_for(self, seconds: float) -> bool:
        """Whether no further message arrives within ``seconds``."""
        with contextlib.suppress(TimeoutError):
            await self.next(seconds)
            return False
        return True

    def events(self, name: str) -> list[Any]:
        """The data of every message of the event ``name`` so far."""
        return [data for event, data in self.messages if event == name]

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        with contextlib.suppress(httpx.HTTPError):
            await self._stream.__aexit__(None, None, None)
