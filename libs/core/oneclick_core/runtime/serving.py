"""Running an ASGI app with uvicorn inside a service's event loop, under the runtime's lifecycle."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from typing import Any

import uvicorn


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind before serving so port 0 resolves to a known port we can report."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def socket_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{'[' + host + ']' if ':' in host else host}:{port}"


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The service runtime owns SIGTERM/SIGINT and stops servers in order; uvicorn must not.
        yield


class AsgiServer:
    def __init__(self, app: Any, host: str, port: int, **config: Any) -> None:
        self._app = app
        self._host = host
        self._port = port
        self._config = config
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None
        self.url: str | None = None

    async def start(self) -> str:
        sock = bind_socket(self._host, self._port)
        self.url = socket_url(sock)
        config = uvicorn.Config(self._app, log_config=None, access_log=False, **self._config)
        self._server = _Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name=f"asgi-{self.url}")
        # Surface bind/startup failures now rather than at shutdown.
        while not self._server.started:
            if self._task.done():
                self._task.result()
                raise RuntimeError(f"server on {self.url} stopped during start-up")
            await asyncio.sleep(0.01)
        return self.url

    async def stop(self, grace: float = 10.0) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout=grace)
            except TimeoutError:
                assert self._server is not None
                self._server.force_exit = True
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await self._task
