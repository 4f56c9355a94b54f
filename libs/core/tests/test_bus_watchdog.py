"""The connection watchdog against a real NATS server, seen through a TCP proxy that can stop forwarding.

A frozen proxy keeps both sockets open but moves no bytes, like a peer that stopped reading: the client's
writes back up, its flusher blocks, and (once its queue is full) so do publishes and its own PINGs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import nats
import pytest
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg

from oneclick_core.bus.watchdog import ConnectionWatchdog
from oneclick_testing.waiting import eventually


class FreezableProxy:
    """Forwards TCP to NATS; :meth:`freeze` stops every connection open now, later ones flow again."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 4222
        self._frozen: list[asyncio.Event] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None
        self.connections = 0

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"nats://127.0.0.1:{port}"

    def freeze(self) -> None:
        for frozen in self._frozen:
            frozen.set()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        server_reader, server_writer = await asyncio.open_connection(self._host, self._port)
        frozen = asyncio.Event()
        self._frozen.append(frozen)
        for reader, writer in ((client_reader, server_writer), (server_reader, client_writer)):
            task = asyncio.create_task(self._pump(reader, writer, frozen))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, frozen: asyncio.Event) -> None:
        try:
            while not frozen.is_set():
                chunk = await reader.read(65536)
                if not chunk or frozen.is_set():
                    break
                writer.write(chunk)
                await writer.drain()
            if frozen.is_set():
                await asyncio.Event().wait()  # hold the socket open, read nothing, forever
        finally:
            writer.close()


@pytest.fixture
async def proxy(nats_url: str) -> AsyncIterator[tuple[FreezableProxy, str]]:
    forwarding = FreezableProxy(nats_url)
    url = await forwarding.start()
    yield forwarding, url
    await forwarding.close()


async def test_a_connection_that_stopped_moving_bytes_is_replaced(proxy: tuple[FreezableProxy, str], nc: NATS) -> None:
    forwarding, url = proxy
    reconnected = asyncio.Event()

    async def on_reconnect() -> None:
        reconnected.set()

    # The client's own stale check is set far out, so whatever reconnects within the test is the watchdog.
    client = await nats.connect(
        url,
        ping_interval=3600,
        max_outstanding_pings=10,
        reconnect_time_wait=0.1,
        max_reconnect_attempts=-1,
        reconnected_cb=on_reconnect,
    )
    watchdog = ConnectionWatchdog(client, interval=0.2, timeout=1)
    watching = asyncio.create_task(watchdog.run())
    received: list[bytes] = []

    async def on_message(msg: Msg) -> None:
        received.append(msg.data)

    await nc.subscribe("watchdog.after", cb=on_message)
    await nc.flush()
    try:
        await client.flush(timeout=5)
        assert watchdog.reconnects_forced == 0  # a healthy connection is left alone

        forwarding.freeze()
        payload = b"x" * 8192

        async def flood() -> None:
            # Far more than the kernel's socket buffers hold: the flusher blocks, then its queue fills.
            for _ in range(4000):
                await client.publish("watchdog.flood", payload)

        flooding = asyncio.create_task(flood())
        await eventually(reconnected.is_set, timeout=30, message="the client reconnected")
        assert watchdog.reconnects_forced >= 1
        assert forwarding.connections >= 2  # a new TCP connection, not the frozen one resumed
        await asyncio.wait_for(flooding, timeout=60)  # every blocked publish went out on the new connection

        await client.publish("watchdog.after", b"through")
        await client.flush(timeout=5)
        await eventually(lambda: received == [b"through"], message="a message sent after the reconnect arrived")
    finally:
        await watchdog.stop()
        await watching
        with contextlib.suppress(Exception):
            await client.close()


async def test_stop_ends_the_watch_promptly(nats_url: str) -> None:
    client = await nats.connect(nats_url)
    watchdog = ConnectionWatchdog(client, interval=60, timeout=1)
    watching = asyncio.create_task(watchdog.run())
    await asyncio.sleep(0)
    await watchdog.stop()
    await asyncio.wait_for(watching, timeout=5)
    assert watchdog.reconnects_forced == 0
    await client.close()
