"""One shared watch of a kind in a namespace, informer style.

List, then watch from the list's resourceVersion with bookmarks; when a watch ends or its connection drops,
watch again from the last resourceVersion seen (events are not lost); when the API server answers 410 Gone
(that version is compacted), list again and report the difference to the cache as changes. The cache holds
objects cleaned by :func:`clean` (no Secret values, no managedFields).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from oneclick_core.contracts.streaming import SECRET_KIND, ChangeType, LiveKind
from oneclick_core.observability.logs import get_logger
from oneclick_kube.client import Kube, read_timeout
from oneclick_kube.errors import KubeError
from oneclick_kube.paths import resource_path

log = get_logger(__name__)

JSON = dict[str, Any]
ChangeHandler = Callable[[LiveKind, ChangeType, JSON], Awaitable[None]]
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_RETRY_FIRST, _RETRY_MAX = 0.2, 5.0
_LIST_READ_TIMEOUT = 60  # seconds a list may stay silent (a namespace's objects come in one answer)


class Gone(Exception):
    """The resourceVersion to watch from has been compacted away."""


def clean(kind: LiveKind, obj: JSON) -> JSON:
    """What may be cached and sent: no managedFields (bulk the UI never uses); of a Secret only its metadata,
    without the last-applied annotation (kubectl copies the whole Secret, values included, into it)."""
    metadata = dict(obj.get("metadata") or {})
    metadata.pop("managedFields", None)
    if kind is SECRET_KIND:
        annotations = {k: v for k, v in (metadata.get("annotations") or {}).items() if k != LAST_APPLIED}
        if annotations:
            metadata["annotations"] = annotations
        else:
            metadata.pop("annotations", None)
        cleaned: JSON = {"apiVersion": kind.object_type.api_version, "kind": kind.kind, "metadata": metadata}
        if isinstance(obj.get("type"), str):
            cleaned["type"] = obj["type"]
        return cleaned
    # List items carry no apiVersion/kind (the list does); make every object say what it is.
    return {
        **obj,
        "apiVersion": obj.get("apiVersion") or kind.object_type.api_version,
        "kind": obj.get("kind") or kind.kind,
        "metadata": metadata,
    }


def _name(obj: JSON) -> str:
    return str((obj.get("metadata") or {}).get("name") or "")


def _version(obj: JSON) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion") or "")


class Informer:
    def __init__(
        self,
        kube: Kube,
        kind: LiveKind,
        namespace: str,
        on_change: ChangeHandler,
        *,
        watch_timeout: int,
        relisted: Callable[[], None] = lambda: None,
    ) -> None:
        self.kube = kube
        self.kind = kind
        self.namespace = namespace
        self._path = resource_path(kind.object_type, namespace)
        # Secrets are read as metadata only, so their values never reach this process from a real API server.
        self._metadata_only = kind is SECRET_KIND
        self.cache: dict[str, JSON] = {}
        self.synced = asyncio.Event()
        self._on_change = on_change
        self._watch_timeout = watch_timeout
        self._relisted = relisted
        self._resource_version: str | None = None

    async def run(self) -> None:
        failures = 0
        while True:
            try:
                if self._resource_version is None:
                    await self._relist()
                await self._watch()
                failures = 0
            except Gone:
                log.info("informer.relist", kind=self.kind.name, namespace=self.namespace, reason="410")
                self._relisted()
                self._resource_version = None
            except Exception as exc:  # the API server or the network: watch again from where we were
                failures += 1
                delay = min(_RETRY_MAX, _RETRY_FIRST * 2 ** (failures - 1))
                expected = isinstance(exc, KubeError | orjson.JSONDecodeError)  # the client's failures, a bad line
                (log.warning if expected else log.exception)(
                    "informer.retry",
                    kind=self.kind.name,
                    namespace=self.namespace,
                    error=repr(exc),
                    resume_from=self._resource_version,
                    delay=delay,
                )
                await asyncio.sleep(delay)

    async def _relist(self) -> None:
        items, resource_version = await self.kube.list_with_version(
            self._path, metadata_only=self._metadata_only, timeout=read_timeout(_LIST_READ_TIMEOUT)
        )
        fresh = {_name(item): clean(self.kind, item) for item in items}
        for name, obj in fresh.items():
            old = self.cache.get(name)
            if old is None:
                self.cache[name] = obj
                await self._on_change(self.kind, "ADDED", obj)
            elif _version(old) != _version(obj):
                self.cache[name] = obj
                await self._on_change(self.kind, "MODIFIED", obj)
        for name in [name for name in self.cache if name not in fresh]:
            await self._on_change(self.kind, "DELETED", self.cache.pop(name))
        self._resource_version = resource_version
        self.synced.set()

    async def _watch(self) -> None:
        try:
            await self._follow()
        except KubeError as exc:
            # Some API servers refuse a watch from a compacted version with an HTTP 410 instead of an ERROR
            # event in the stream: the same Gone, and retrying from that version would never succeed.
            if exc.status == 410:
                raise Gone from exc
            raise

    async def _follow(self) -> None:
        assert self._resource_version is not None
        async for event_type, obj in self.kube.watch(
            self._path, self._resource_version, timeout_seconds=self._watch_timeout, metadata_only=self._metadata_only
        ):
            if event_type == "ERROR":
                if obj.get("code") == 410:
                    raise Gone
                raise KubeError.from_status(int(obj.get("code") or 500), obj)
            version = _version(obj)
            if event_type == "BOOKMARK":
                self._resource_version = version or self._resource_version
                continue
            await self._apply(event_type, clean(self.kind, obj))
            if version:
                self._resource_version = version

    async def _apply(self, event_type: str, obj: JSON) -> None:
        name = _name(obj)
        old = self.cache.get(name)
        if event_type == "DELETED":
            if old is not None:
                del self.cache[name]
                await self._on_change(self.kind, "DELETED", obj)
            return
        if event_type not in ("ADDED", "MODIFIED"):
            return
        if old is not None and _version(old) == _version(obj):
            return  # replayed after a resume: nothing new
        self.cache[name] = obj
        await self._on_change(self.kind, "ADDED" if old is None else "MODIFIED", obj)
