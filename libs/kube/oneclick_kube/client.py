"""The Kubernetes API as One-Click's services use it: JSON objects in and out over kubernetes-asyncio's ApiClient.

Raw REST paths rather than the typed clients: the renderer already produces API JSON, the live views send the
API's JSON on as it is, server-side apply needs ``application/apply-patch+yaml`` (a JSON body is valid YAML),
and the Rollout CR and ``metrics.k8s.io`` have no typed client anyway. Every response is read unparsed by the
client and decoded here, so one path turns every failure into a :class:`~oneclick_kube.errors.KubeError`: a
refusal with the API's ``Status``, or status 0 when the API did not answer (connection, timeout, a stream cut).
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import aiohttp
import orjson
from kubernetes_asyncio import client, config

from oneclick_core.kinds import POD
from oneclick_core.observability.logs import get_logger
from oneclick_kube.errors import KubeError
from oneclick_kube.loglines import split_timestamp
from oneclick_kube.paths import resource_path

log = get_logger(__name__)

JsonObject = dict[str, Any]
Query = list[tuple[str, str]]  # (name, value) pairs, in order (a name may repeat)
# A request's limit: seconds for the whole request, aiohttp's finer limits, or None for the connection's own.
Timeout = float | aiohttp.ClientTimeout | None
ClusterSource = Literal["kubeconfig", "in-cluster"]

JSON = "application/json"
APPLY_PATCH = "application/apply-patch+yaml"
# Metadata only (PartialObjectMetadata), for kinds whose content must never reach the process (Secret values).
METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
METADATA_WATCH = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json"
_CONNECT_TIMEOUT = 10.0  # seconds to open a connection for a long read, which has no limit on its whole length
# A watch ends itself after timeoutSeconds and sends bookmarks well within that; a connection silent for this
# much longer is a dead one.
_WATCH_GRACE = 30
_NOT_REACHED = (aiohttp.ClientError, TimeoutError, OSError)


@dataclass(frozen=True)
class KubeSettings:
    """What connecting needs, taken from a service's settings (a library never imports a service)."""

    # The kubeconfig to use (``CoreSettings.effective_kubeconfig()``: ``KUBECONFIG``, or One-Click's ``LOCAL`` +
    # ``LOCAL_KUBECONFIG_FILE``); None: the in-cluster service account, if there is one.
    kubeconfig: Path | None
    # Seconds a request may take in all, unless the call says otherwise; None: no overall limit (a service
    # whose reads are watches and follows gives each call its own :func:`read_timeout`).
    timeout: float | None = None
    # Most simultaneous connections to the API server; None: kubernetes-asyncio's default.
    connections: int | None = None


def cluster_source(kubeconfig: Path | None, environ: Mapping[str, str]) -> ClusterSource | None:
    """Where the cluster's address and credentials come from; None when there is no cluster to talk to."""
    if kubeconfig is not None:
        return "kubeconfig"
    # The kubelet sets this in every pod; load_incluster_config reads it (and the service account's token).
    if environ.get("KUBERNETES_SERVICE_HOST"):
        return "in-cluster"
    return None


def read_timeout(seconds: float | None) -> aiohttp.ClientTimeout:
    """For reads that last (lists of a namespace, watches, log follows): no limit on the whole request, only on
    connecting and on silence between two chunks (``None``: none on silence either)."""
    return aiohttp.ClientTimeout(total=None, sock_connect=_CONNECT_TIMEOUT, sock_read=seconds)


class Kube:
    """One connection pool to the API server, shared by everything the process asks."""

    def __init__(self, api: client.ApiClient, timeout: float | None) -> None:
        self._api = api
        self._timeout = timeout

    @classmethod
    async def connect(cls, settings: KubeSettings) -> Kube | None:
        """From the kubeconfig, else the in-cluster service account; None when neither exists."""
        # The client logs every response body at debug level: Secrets and the Rollout CR hold secret values.
        logging.getLogger("kubernetes_asyncio.client.rest").setLevel(logging.INFO)
        configuration = client.Configuration()
        source = cluster_source(settings.kubeconfig, os.environ)
        if source == "kubeconfig":
            await config.load_kube_config(config_file=str(settings.kubeconfig), client_configuration=configuration)
            log.info("kubernetes.config", source=source, path=str(settings.kubeconfig), host=configuration.host)
        elif source == "in-cluster":
            config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
            log.info("kubernetes.config", source=source, host=configuration.host)
        else:
            log.error(
                "kubernetes.not_configured",
                hint="set KUBECONFIG (or LOCAL=true and LOCAL_KUBECONFIG_FILE), or run inside a cluster",
            )
            return None
        if settings.connections is not None:
            configuration.connection_pool_maxsize = settings.connections
        return cls(client.ApiClient(configuration=configuration), settings.timeout)

    async def close(self) -> None:
        await self._api.close()

    # -- objects ------------------------------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: Query | None = None,
        body: JsonObject | None = None,
        content_type: str = JSON,
        accept: str = JSON,
        timeout: Timeout = None,
    ) -> JsonObject:
        """One call answered with a JSON object (``{}`` for an empty answer; a body that is no JSON at all raises
        ``orjson.JSONDecodeError``, so a broken answer is never taken for an empty one)."""
        response = await self._send(
            method, path, query=query, body=body, content_type=content_type, accept=accept, timeout=timeout
        )
        data = await _read(response)
        parsed = orjson.loads(data) if data.strip() else {}
        return parsed if isinstance(parsed, dict) else {}

    async def get(self, path: str, *, timeout: Timeout = None) -> JsonObject | None:
        """The object; None when it does not exist."""
        try:
            return await self.request("GET", path, timeout=timeout)
        except KubeError as exc:
            if exc.status == 404:
                return None
            raise

    async def list_with_version(
        self,
        path: str,
        *,
        labels: str | None = None,
        fields: str | None = None,
        metadata_only: bool = False,
        timeout: Timeout = None,
    ) -> tuple[list[JsonObject], str]:
        """The objects of a collection, and the list's resourceVersion (where a watch of it starts)."""
        query = [(key, value) for key, value in (("labelSelector", labels), ("fieldSelector", fields)) if value]
        listed = await self.request(
            "GET", path, query=query, accept=METADATA_LIST if metadata_only else JSON, timeout=timeout
        )
        items = listed.get("items")
        metadata = listed.get("metadata")
        version = str(metadata.get("resourceVersion") or "") if isinstance(metadata, dict) else ""
        return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else [], version

    async def list(self, path: str, *, labels: str | None = None, fields: str | None = None) -> list[JsonObject]:
        items, _ = await self.list_with_version(path, labels=labels, fields=fields)
        return items

    async def apply(self, path: str, body: JsonObject, field_manager: str) -> JsonObject:
        """Server-side apply, taking over fields other managers set (the platform is the owner)."""
        return await self.request(
            "PATCH",
            path,
            body=body,
            content_type=APPLY_PATCH,
            query=[("fieldManager", field_manager), ("force", "true")],
        )

    async def create(self, path: str, body: JsonObject) -> JsonObject:
        return await self.request("POST", path, body=body)

    async def replace(self, path: str, body: JsonObject) -> JsonObject:
        return await self.request("PUT", path, body=body)

    async def delete(self, path: str, *, propagation: str | None = None) -> bool:
        """Delete; False when it was already gone."""
        body = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": propagation} if propagation else None
        try:
            await self.request("DELETE", path, body=body)
        except KubeError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    # -- streams ------------------------------------------------------------------------------------------------

    async def watch(
        self, path: str, resource_version: str, *, timeout_seconds: int, metadata_only: bool = False
    ) -> AsyncIterator[tuple[str, JsonObject]]:
        """Watch events (type, object) of a collection from ``resource_version``, bookmarks included, until the
        server ends the watch after ``timeout_seconds``. An ERROR event is passed on as it is (its object is a
        ``Status``; 410 means that version is gone)."""
        query = [
            ("watch", "true"),
            ("resourceVersion", resource_version),
            ("allowWatchBookmarks", "true"),
            ("timeoutSeconds", str(timeout_seconds)),
        ]
        lines = self._lines(
            path,
            query,
            accept=METADATA_WATCH if metadata_only else JSON,
            timeout=read_timeout(timeout_seconds + _WATCH_GRACE),
        )
        async for line in lines:
            if not line.strip():
                continue
            event = orjson.loads(line)
            obj = event.get("object")
            yield str(event.get("type") or ""), obj if isinstance(obj, dict) else {}

    async def follow_logs(
        self, namespace: str, pod: str, container: str, *, tail: int | None, since: datetime | None
    ) -> AsyncIterator[tuple[int, str]]:
        """Lines (nanoseconds timestamp, text) of a container, following new ones until the container stops."""
        query = [("follow", "true"), ("timestamps", "true"), ("container", container)]
        if tail is not None:
            query.append(("tailLines", str(tail)))
        if since is not None:
            query.append(("sinceTime", since.strftime("%Y-%m-%dT%H:%M:%SZ")))
        async for line in self._lines(
            resource_path(POD, namespace, pod, "log"), query, accept="*/*", timeout=read_timeout(None)
        ):
            yield split_timestamp(line.decode(errors="replace").rstrip("\r\n"))

    # -- the wire -----------------------------------------------------------------------------------------------

    async def _send(
        self,
        method: str,
        path: str,
        *,
        query: Query | None = None,
        body: JsonObject | None = None,
        content_type: str = JSON,
        accept: str = JSON,
        timeout: Timeout = None,
    ) -> aiohttp.ClientResponse:
        """The response of a successful call, unread (the caller releases it); a failure as a KubeError."""
        try:
            response: aiohttp.ClientResponse = await self._api.call_api(
                path,
                method,
                query_params=query or [],
                body=body,
                header_params={"Accept": accept, "Content-Type": content_type},
                auth_settings=["BearerToken"],
                _preload_content=False,
                _request_timeout=self._timeout if timeout is None else timeout,
            )
        except _NOT_REACHED as exc:
            raise KubeError.unreachable(exc) from None
        if response.status < 300:
            return response
        raise KubeError.from_response(response.status, await _read(response), response.reason)

    async def _lines(self, path: str, query: Query, *, accept: str, timeout: Timeout) -> AsyncIterator[bytes]:
        """The lines of a streamed answer (watch events, log lines) as they arrive, until the server ends it."""
        response = await self._send("GET", path, query=query, accept=accept, timeout=timeout)
        try:
            while True:
                try:
                    line = await response.content.readline()
                except _NOT_REACHED as exc:
                    raise KubeError.unreachable(exc) from None
                if not line:
                    return
                yield line
        finally:
            response.release()


async def _read(response: aiohttp.ClientResponse) -> bytes:
    """The whole body of a response, which is then released; a connection cut meanwhile is a KubeError."""
    try:
        return await response.read()
    except _NOT_REACHED as exc:
        raise KubeError.unreachable(exc) from None
    finally:
        response.release()
