"""A registry whose tag list holds a tag PostgreSQL cannot store (a NUL): the listing leaves that tag out, so
storing the shared listing (and a rollout with a chosen tag) cannot fail on it. A real HTTP server on loopback,
which the client here is allowed to reach."""

from __future__ import annotations

import ipaddress
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from oneclick_updater.addresses import AddressPolicy
from oneclick_updater.registry import RegistryClient, Repository

LOCAL = AddressPolicy((ipaddress.ip_network("127.0.0.1/32"),))
TAGS = ["1.0.0", "1.1.0\x00", "\x00", "2.0.0"]


@pytest.fixture
def registry() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"name": "app", "tags": TAGS}).encode()  # the NULs as \u0000 escapes
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_tags_postgresql_cannot_store_are_left_out(registry: str) -> None:
    client = RegistryClient(LOCAL, timeout=5)
    try:
        listing = await client.list_tags(Repository.of(registry, "team/app"))
    finally:
        await client.aclose()
    assert listing.tags == ["1.0.0", "2.0.0"]
