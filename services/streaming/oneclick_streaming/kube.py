"""Reading the Kubernetes API: lists, watch streams and log streams, as plain JSON over kubernetes-asyncio.

The typed models of kubernetes-asyncio would be serialized straight back to JSON for the browser, so the
service asks for raw responses and parses the JSON itself (watch streams are one JSON event per line).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import orjson
from kubernetes_asyncio import client, config

from oneclick_core.contracts.streaming import SECRET_KIND, LiveKind
from oneclick_streaming.settings import StreamingSettings

JSON = dict[str, Any]
JSON_ACCEPT = "application/json"
# Secrets are read as metadata only, so their values never reach this process from a real API server.
METADATA_ACCEPT = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
METADATA_WATCH_ACCEPT = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json"


class KubeError(Exception):
    """The API server answered with an error status."""

    def __init__(self, status: int, body: bytes) -> None:
        self.status = status
        self.reason = ""
        self.message = body.decode(errors="replace")[:500]
        with contextlib.suppress(orjson.JSONDecodeError, AttributeError):
            parsed = orjson.loads(body)
            self.reason = str(parsed.get("reason") or "")
            self.message = str(parsed.get("message") or self.message)
        super().__init__(f"{status} {self.reason}: {self.message}")


class KubeApi:
    """One connection pool to the API server for everything this replica reads."""

    def __init__(self, api: client.ApiClient) -> None:
        self._api = api

    @classmethod
    async def connect(cls, settings: StreamingSettings) -> KubeApi:
        configuration = client.Configuration()
        kubeconfig = settings.effective_kubeconfig()
        if kubeconfig is not None:
            await config.load_kube_config(config_file=str(kubeconfig), client_configuration=configuration)
        else:
            config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
        # Every watch and log follow holds a connection for as long as it runs.
        configuration.connection_pool_maxsize = settings.streaming_kube_connections
        return cls(client.ApiClient(configuration=configuration))

    async def close(self) -> None:
        await self._api.close()

    async def _get(self, path: str, query: dict[str, str], *, accept: str = JSON_ACCEPT,
                   read_timeout: float | None = None) -> aiohttp.ClientResponse:
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=read_timeout)
        response: aiohttp.ClientResponse = await self._api.call_api(
            path, "GET", query_params=list(query.items()), header_params={"Accept": accept},
            auth_settings=["BearerToken"], _preload_content=False, _request_timeout=timeout)
        if response.status >= 300:
            body = await response.read()
            response.release()
            raise KubeError(response.status, body)
        return response

    async def list(self, kind: LiveKind, namespace: str) -> tuple[list[JSON], str]:
        """The objects of a kind in a namespace and the list's resourceVersion."""
        accept = METADATA_ACCEPT if kind is SECRET_KIND else JSON_ACCEPT
        response = await self._get(kind.path(namespace), {}, accept=accept, read_timeout=60)
        try:
            body = orjson.loads(await response.read())
        finally:
            response.release()
        items = [item for item in body.get("items") or [] if isinstance(item, dict)]
        return items, str((body.get("metadata") or {}).get("resourceVersion") or "")

    async def watch(self, kind: LiveKind, namespace: str, resource_version: str,
                    timeout_seconds: int) -> AsyncIterator[tuple[str, JSON]]:
        """Watch events (type, object) from ``resource_version``, bookmarks included, until the server ends it."""
        accept = METADATA_WATCH_ACCEPT if kind is SECRET_KIND else JSON_ACCEPT
        query = {"watch": "true", "resourceVersion": resource_version, "allowWatchBookmarks": "true",
                 "timeoutSeconds": str(timeout_seconds)}
        # Bookmarks arrive well within this; a silent connection for longer is a dead one.
        response = await self._get(kind.path(namespace), query, accept=accept, read_timeout=timeout_seconds + 30)
        try:
            while line := await response.content.readline():
                if not line.strip():
                    continue
                event = orjson.loads(line)
                obj = event.get("object")
                yield str(event.get("type") or ""), obj if isinstance(obj, dict) else {}
        finally:
            response.release()

    async def pod(self, namespace: str, name: str) -> JSON:
        response = await self._get(f"/api/v1/namespaces/{namespace}/pods/{name}", {}, read_timeout=30)
        try:
            pod: JSON = orjson.loads(await response.read())
        finally:
            response.release()
        return pod

    async def follow_logs(self, namespace: str, pod: str, container: str, *, tail: int | None,
                          since: datetime | None) -> AsyncIterator[tuple[int, str]]:
        """Lines (nanoseconds timestamp, text) of a container, following new ones until the container stops."""
        query = {"follow": "true", "timestamps": "true", "container": container}
        if tail is not None:
            query["tailLines"] = str(tail)
        if since is not None:
            query["sinceTime"] = since.strftime("%Y-%m-%dT%H:%M:%SZ")
        response = await self._get(f"/api/v1/namespaces/{namespace}/pods/{pod}/log", query, accept="*/*")
        try:
            while line := await response.content.readline():
                yield split_timestamp(line.decode(errors="replace").rstrip("\r\n"))
        finally:
            response.release()


def split_timestamp(line: str) -> tuple[int, str]:
    """``2024-05-01T10:00:00.123456789Z text`` → (nanoseconds since the epoch, text)."""
    stamp, _, text = line.partition(" ")
    return parse_nanos(stamp), text


def parse_nanos(stamp: str) -> int:
    """RFC 3339 with up to nine fraction digits (Kubernetes trims trailing zeros) → nanoseconds; 0 if unreadable."""
    body = stamp.removesuffix("Z")
    whole, _, fraction = body.partition(".")
    try:
        seconds = int(datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC).timestamp())
        nanos = int((fraction + "000000000")[:9]) if fraction else 0
    except ValueError:
        return 0
    return seconds * 1_000_000_000 + nanos


def nanos_to_datetime(nanos: int) -> datetime:
    return datetime.fromtimestamp(nanos // 1_000_000_000, UTC)
