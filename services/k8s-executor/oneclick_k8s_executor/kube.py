"""The Kubernetes API as the executor uses it: JSON objects in and out over kubernetes-asyncio's ApiClient.

Raw REST paths rather than the typed clients: the renderer already produces API JSON, server-side apply
needs ``application/apply-patch+yaml`` (a JSON body is valid YAML), and the CR and ``metrics.k8s.io`` have
no typed client anyway. Failures become :class:`KubeError` with the API's ``Status`` reason and message.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import aiohttp
import orjson
from kubernetes_asyncio import client, config

from oneclick_core.logs import get_logger
from oneclick_k8s_executor.settings import ExecutorSettings

log = get_logger(__name__)

JsonObject = dict[str, Any]
APPLY_PATCH = "application/apply-patch+yaml"
# Statuses worth retrying: the API server or a webhook is busy, restarting or racing another writer.
TRANSIENT_STATUSES = frozenset({0, 408, 409, 429, 500, 502, 503, 504})
_OBJECT = {200: "object", 201: "object", 202: "object"}


class KubeError(Exception):
    """A request the API refused or could not answer; ``status`` 0 means it was not reached at all."""

    def __init__(self, status: int, reason: str, message: str, causes: list[str] | None = None) -> None:
        self.status = status
        self.reason = reason
        self.message = message
        self.causes = causes or []
        super().__init__(f"{status} {reason}: {message}")

    @property
    def transient(self) -> bool:
        # A namespace being deleted refuses new objects for a moment; by the retry records says it is gone.
        terminating = "NamespaceTerminating" in self.causes or "being terminated" in self.message
        return self.status in TRANSIENT_STATUSES or terminating

    @classmethod
    def from_api_exception(cls, exc: client.ApiException) -> KubeError:
        status = int(exc.status or 0)
        body: Any = None
        try:
            body = orjson.loads(exc.body) if exc.body else None
        except orjson.JSONDecodeError:
            body = None
        if isinstance(body, dict) and body.get("kind") == "Status":
            details = body.get("details")
            listed = details.get("causes") if isinstance(details, dict) else None
            causes = [str(cause.get("reason")) for cause in listed or [] if isinstance(cause, dict)]
            return cls(status, str(body.get("reason") or exc.reason or ""), str(body.get("message") or ""), causes)
        return cls(status, str(exc.reason or "Unknown"), str(exc.body or exc.reason or "")[:500])


def resource_path(api_version: str, plural: str, namespace: str | None = None, name: str | None = None) -> str:
    """REST path of a collection (``name`` None) or object: ``/api/v1/...`` for the core group, ``/apis/...``."""
    path = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
    if namespace is not None:
        path += f"/namespaces/{namespace}"
    path += f"/{plural}"
    if name is not None:
        path += f"/{name}"
    return path


class Kube:
    """One connection pool to the API server, shared by every handler of the process."""

    def __init__(self, api: client.ApiClient, timeout: float) -> None:
        self._api = api
        self._timeout = timeout

    @classmethod
    async def connect(cls, settings: ExecutorSettings) -> Kube | None:
        """From the kubeconfig (``KUBECONFIG``, or One-Click's ``LOCAL`` + ``LOCAL_KUBECONFIG_FILE``), else the
        in-cluster service account; None when neither exists (the service then answers 503)."""
        # The client logs every response body at debug level: Secrets and the Rollout CR hold secret values.
        logging.getLogger("kubernetes_asyncio.client.rest").setLevel(logging.INFO)
        configuration = client.Configuration()
        kubeconfig = settings.effective_kubeconfig()
        if kubeconfig is not None:
            await config.load_kube_config(config_file=str(kubeconfig), client_configuration=configuration)
            log.info("kubernetes.config", source="kubeconfig", path=str(kubeconfig), host=configuration.host)
        elif os.environ.get("KUBERNETES_SERVICE_HOST"):
            config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
            log.info("kubernetes.config", source="in-cluster", host=configuration.host)
        else:
            log.error("kubernetes.not_configured",
                      hint="set KUBECONFIG (or LOCAL=true and LOCAL_KUBECONFIG_FILE), or run inside a cluster")
            return None
        return cls(client.ApiClient(configuration=configuration), settings.kubernetes_timeout)

    async def close(self) -> None:
        await self._api.close()

    async def request(self, method: str, path: str, *, query: list[tuple[str, str]] | None = None,
                      body: JsonObject | None = None, content_type: str = "application/json") -> JsonObject:
        try:
            result: JsonObject = await self._api.call_api(
                path, method, query_params=query or [], body=body,
                header_params={"Accept": "application/json", "Content-Type": content_type},
                response_types_map=_OBJECT, auth_settings=["BearerToken"], _return_http_data_only=True,
                _request_timeout=self._timeout)
        except client.ApiException as exc:
            raise KubeError.from_api_exception(exc) from None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise KubeError(0, "Unreachable", f"The Kubernetes API did not answer: {type(exc).__name__}") from None
        return result if isinstance(result, dict) else {}

    async def get(self, path: str) -> JsonObject | None:
        try:
            return await self.request("GET", path)
        except KubeError as exc:
            if exc.status == 404:
                return None
            raise

    async def list(self, path: str, *, labels: str | None = None, fields: str | None = None) -> list[JsonObject]:
        query = [(key, value) for key, value in (("labelSelector", labels), ("fieldSelector", fields)) if value]
        items = (await self.request("GET", path, query=query)).get("items")
        return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []

    async def apply(self, path: str, body: JsonObject, field_manager: str) -> JsonObject:
        """Server-side apply, taking over fields other managers set (the platform is the owner)."""
        return await self.request("PATCH", path, body=body, content_type=APPLY_PATCH,
                                  query=[("fieldManager", field_manager), ("force", "true")])

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
