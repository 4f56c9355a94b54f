"""Helpers of the streaming tests: WebSocket clients that keep every frame, and Kubernetes objects in kubesim."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx
import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from kubesim.testing import KubesimProcess
from oneclick_core.tokens import USERS_COLLECTION_ID, SigningKey, TokenClaims
from oneclick_manifest.naming import DEPLOYMENT_ID_LABEL, MANAGED_BY, MANAGED_BY_LABEL, PROJECT_ID_LABEL
from oneclick_testing.platform import Platform, User
from oneclick_testing.waiting import eventually

JSON = dict[str, Any]


class LiveSocket:
    """A WebSocket client that records every text frame it receives, and how the server closed it."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.frames: list[str] = []
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open(
        cls,
        platform: Platform,
        path: str,
        request: JSON,
        *,
        token: str | None = None,
        via: str = "query",
        headers: dict[str, str] | None = None,
    ) -> LiveSocket:
        url = platform.url.replace("http://", "ws://") + path
        extra = dict(headers or {})
        body = dict(request)
        if token is not None and via == "query":
            url += f"?token={token}"
        elif token is not None and via == "message":
            body["token"] = token
        elif token is not None and via == "cookie":
            cookie = httpx.QueryParams({"pb_auth": orjson.dumps({"token": token, "record": {}}).decode()})
            extra["Cookie"] = str(cookie)
        connection = await connect(url, additional_headers=extra, open_timeout=10, max_queue=None, max_size=None)
        live = cls(connection)
        await connection.send(orjson.dumps(body).decode())
        return live

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for frame in self.connection:
                self.frames.append(frame if isinstance(frame, str) else frame.decode())

    def messages(self) -> list[JSON]:
        return [orjson.loads(frame) for frame in self.frames]

    @property
    def text(self) -> str:
        return "".join(self.frames)

    async def closed_with(self) -> tuple[int | None, str]:
        await asyncio.wait_for(self.connection.wait_closed(), timeout=30)
        await self._reader
        return self.connection.close_code, self.connection.close_reason or ""

    async def close(self) -> None:
        await self.connection.close()
        await self._reader


class StalledSocket:
    """A WebSocket client that sends its request and then stops reading, like a hung browser tab.

    Written on a raw socket with a small receive buffer, so the server soon cannot write to it any more (a
    client library would keep reading into its own buffers)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    @classmethod
    async def open(cls, platform: Platform, path: str, request: JSON, token: str) -> StalledSocket:
        host, port = platform.url.removeprefix("http://").split(":")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
        await asyncio.to_thread(sock.connect, (host, int(port)))
        handshake = (
            f"GET {path}?token={token} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        )
        sock.sendall(handshake.encode())
        response = b""
        while b"\r\n\r\n" not in response:
            response += await asyncio.to_thread(sock.recv, 1)
        assert response.startswith(b"HTTP/1.1 101"), response
        payload = orjson.dumps(request)
        mask = b"\x01\x02\x03\x04"
        masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
        assert len(payload) < 126
        sock.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + masked)
        return cls(sock)

    async def read_until_closed(self) -> tuple[int, str, int]:
        """Read everything the server sent: (close code, close reason, text frames before the close)."""
        buffer = b""
        texts = 0
        while True:
            chunk = await asyncio.to_thread(self.sock.recv, 1 << 20)
            if not chunk:
                raise AssertionError("connection ended without a close frame")
            buffer += chunk
            while len(buffer) >= 2:
                opcode, length, offset = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
                if length == 126:
                    length, offset = int.from_bytes(buffer[2:4], "big"), 4
                elif length == 127:
                    length, offset = int.from_bytes(buffer[2:10], "big"), 10
                if len(buffer) < offset + length:
                    break
                body, buffer = buffer[offset : offset + length], buffer[offset + length :]
                if opcode == 0x8:
                    self.sock.close()
                    return int.from_bytes(body[:2], "big"), body[2:].decode(), texts
                texts += opcode == 0x1


def pod_phase(message: JSON) -> str:
    return str(((message.get("object") or {}).get("status") or {}).get("phase") or "")


async def wait_for_messages(
    socket: LiveSocket,
    condition: Callable[[list[JSON]], bool],
    timeout: float = 30,
    message: str = "frames not received",
) -> None:
    await eventually(lambda: condition(socket.messages()), timeout=timeout, message=message)


# -- Kubernetes objects ----------------------------------------------------------------------------------------


def labels(project: str, deployment: str | None = None) -> dict[str, str]:
    found = {PROJECT_ID_LABEL: project, MANAGED_BY_LABEL: MANAGED_BY}
    if deployment is not None:
        found[DEPLOYMENT_ID_LABEL] = deployment
    return found


class Cluster:
    """Writes to kubesim the way the executor would (namespace per project, One-Click labels)."""

    def __init__(self, kubesim: KubesimProcess) -> None:
        self.kubesim = kubesim
        self.client = httpx.AsyncClient(base_url=kubesim.url, timeout=30)

    async def close(self) -> None:
        await self.client.aclose()

    async def request(self, method: str, path: str, body: Any = None, *, patch: bool = False) -> JSON:
        headers = {"Content-Type": "application/merge-patch+json"} if patch else {}
        response = await self.client.request(
            method, path, content=orjson.dumps(body) if body is not None else None, headers=headers
        )
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        result: JSON = response.json()
        return result

    async def namespace(self, name: str) -> None:
        await self.request(
            "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        )

    async def deployment(self, project: str, deployment: str, *, replicas: int = 1, image: str = "nginx:1.25") -> JSON:
        objects_labels = labels(project, deployment)
        return await self.request(
            "POST",
            f"/apis/apps/v1/namespaces/{project}/deployments",
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": deployment, "namespace": project, "labels": objects_labels},
                "spec": {
                    "replicas": replicas,
                    "selector": {"matchLabels": {DEPLOYMENT_ID_LABEL: deployment}},
                    "template": {
                        "metadata": {"labels": objects_labels},
                        "spec": {
                            "containers": [{"name": deployment, "image": image, "ports": [{"containerPort": 80}]}]
                        },
                    },
                },
            },
        )

    async def scale(self, project: str, deployment: str, replicas: int) -> None:
        await self.request(
            "PATCH",
            f"/apis/apps/v1/namespaces/{project}/deployments/{deployment}",
            {"spec": {"replicas": replicas}},
            patch=True,
        )

    async def pods(self, project: str, deployment: str) -> list[JSON]:
        response = await self.client.get(
            f"/api/v1/namespaces/{project}/pods", params={"labelSelector": f"{DEPLOYMENT_ID_LABEL}={deployment}"}
        )
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    async def running_pods(self, project: str, deployment: str) -> list[str]:
        return sorted(
            p["metadata"]["name"]
            for p in await self.pods(project, deployment)
            if (p.get("status") or {}).get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")
        )

    async def delete_pod(self, project: str, pod: str) -> None:
        await self.request("DELETE", f"/api/v1/namespaces/{project}/pods/{pod}")


# -- records and tokens ----------------------------------------------------------------------------------------


async def project_with_deployment(user: User, name: str = "shop") -> tuple[str, str]:
    created = await user.client.post("/api/collections/projects/records", json={"name": name})
    assert created.status_code == 200, created.text
    project = created.json()["id"]
    deployed = await user.client.post("/api/collections/deployments/records", json={"name": "web", "project": project})
    assert deployed.status_code == 200, deployed.text
    return project, deployed.json()["id"]


async def expired_token(database_url: str, user_id: str) -> str:
    """A token auth could have signed (its current key, read from its schema) that expired ten seconds ago."""
    conn = await asyncpg.connect(database_url)
    try:
        row = await conn.fetchrow("SELECT kid, private_key FROM auth.signing_keys ORDER BY created DESC LIMIT 1")
    finally:
        await conn.close()
    assert row is not None
    key = SigningKey.from_pem(row["kid"], bytes(row["private_key"]))
    now = int(time.time())
    return key.sign(
        TokenClaims(
            subject=user_id,
            collection_id=USERS_COLLECTION_ID,
            type="auth",
            issued_at=now - 3600,
            expires_at=now - 10,
            version=1,
        )
    )
