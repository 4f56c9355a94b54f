"""What a hostile tenant points the updater at: listening sockets that record every connection they accept (to
prove the updater never connected), one answering HTTP and one speaking something else, and a registry front
that redirects every request elsewhere. Real sockets on loopback, each served by a thread."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from oneclick_cli.processes import free_port

_TAGS = b'{"name":"x","tags":["9.9.9"]}'
HTTP_ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
    b"Content-Length: " + str(len(_TAGS)).encode() + b"\r\n\r\n" + _TAGS
)
BANNER = b"SSH-2.0-OpenSSH_9.6\r\n"


class AcceptRecorder:
    """A TCP listener on ``host`` that counts the connections it accepts. ``speaks="http"`` answers any request
    with a tag list; ``"banner"`` greets like an SSH server, as an open port of another protocol would."""

    def __init__(self, speaks: Literal["http", "banner"], host: str = "127.0.0.1") -> None:
        self.speaks = speaks
        self.host = host
        self.accepted = 0
        self._lock = threading.Lock()
        self._socket = socket.create_server((host, 0))
        self._socket.settimeout(0.2)
        self.port: int = self._socket.getsockname()[1]
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> AcceptRecorder:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(5)
        self._socket.close()

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.accepted += 1
            with conn:
                try:
                    conn.settimeout(2)
                    if self.speaks == "banner":
                        conn.sendall(BANNER)
                    else:
                        conn.recv(65536)
                        conn.sendall(HTTP_ANSWER)
                except OSError:
                    pass


@contextlib.contextmanager
def port_probes() -> Iterator[tuple[AcceptRecorder, AcceptRecorder]]:
    """What a port scan through the updater would aim at: an open HTTP port and an open port of another
    protocol, each counting the connections it accepts."""
    http, banner = AcceptRecorder("http").start(), AcceptRecorder("banner").start()
    try:
        yield http, banner
    finally:
        http.stop()
        banner.stop()


def closed_port() -> int:
    """A loopback port nothing listens on (connecting is refused at once)."""
    return free_port()


class Redirector:
    """An HTTP server on 127.0.0.1 answering every request with ``status`` and ``Location: <target><path>``."""

    def __init__(self, target: str, status: int = 307) -> None:
        self.target = target.rstrip("/")
        self.status = status
        self.requests = 0
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        redirector = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                redirector.requests += 1
                self.send_response(redirector.status)
                self.send_header("Location", redirector.target + self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> Redirector:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
