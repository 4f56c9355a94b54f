"""A namespace this replica serves: one informer per live kind, the log followers viewers asked for, the
numbered changes they publish, heartbeats, and answers to snapshot and log-tail requests.

Every change of the namespace gets the next ``seq`` of this session's ``epoch``; subscribers use them to spot
lost messages and a new serving replica (see ``oneclick_core.contracts.streaming``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import nats.errors
import orjson
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from pydantic import BaseModel, ValidationError

from oneclick_core.bus.rpc import error_reply
from oneclick_core.contracts.streaming import (
    KINDS_BY_NAME,
    LIVE_KINDS,
    ChangeType,
    LiveChange,
    LiveKind,
    LiveStatus,
    LogLines,
    LogTail,
    LogTailRequest,
    Snapshot,
    SnapshotObject,
    SnapshotRequest,
    changes_subject,
    logs_subject,
    owner_subject,
    status_subject,
)
from oneclick_core.errors import ApiError
from oneclick_core.ids import new_event_id
from oneclick_core.observability.logs import get_logger
from oneclick_kube.client import Kube
from oneclick_streaming.informer import Informer
from oneclick_streaming.logs import LogFollower
from oneclick_streaming.metrics import StreamingMetrics
from oneclick_streaming.settings import StreamingSettings

log = get_logger(__name__)

JSON = dict[str, Any]
LogKey = tuple[str, str]  # (pod, container)
SYNC_WAIT = 3.0  # seconds a request waits for the first list of every kind
TAIL_WAIT = 1.0  # seconds a log-tail request waits for a new follower's first lines
DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container"


def object_key(kind: str, name: str) -> str:
    return f"{kind}/{name}"


class NamespaceSession:
    def __init__(
        self, namespace: str, kube: Kube, nc: NATS, settings: StreamingSettings, replica: str, metrics: StreamingMetrics
    ) -> None:
        self.namespace = namespace
        self._metrics = metrics
        self.epoch = new_event_id()
        self.seq = 0
        self._kube = kube
        self._nc = nc
        self._settings = settings
        self._replica = replica
        self._objects: dict[str, tuple[str, int, JSON]] = {}  # key → (kind, seq, object)
        self._informers = [
            Informer(
                kube,
                kind,
                namespace,
                self._changed,
                watch_timeout=settings.streaming_watch_timeout,
                relisted=metrics.relists.labels(kind.name).inc,
            )
            for kind in LIVE_KINDS
        ]
        self._followers: dict[LogKey, tuple[LogFollower, asyncio.Task[None]]] = {}
        self._wanted_logs: set[LogKey] = set()
        self._touched: dict[LogKey, float] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._subscriptions: list[Subscription] = []

    @property
    def watches(self) -> int:
        """Kubernetes watches this session holds open: one per live kind while it runs."""
        return len(self._informers) if self._tasks else 0

    @property
    def log_followers(self) -> int:
        """Pod logs this session follows now (a follower whose pod ended no longer counts)."""
        return sum(1 for _, task in self._followers.values() if not task.done())

    # -- life ------------------------------------------------------------------------------------------------
    async def start(self) -> None:
        log.info("session.start", namespace=self.namespace, epoch=self.epoch)
        for informer in self._informers:
            name = f"informer:{self.namespace}:{informer.kind.name}"
            self._tasks.append(asyncio.create_task(informer.run(), name=name))
        self._tasks.append(asyncio.create_task(self._heartbeat(), name=f"heartbeat:{self.namespace}"))
        self._subscriptions = [
            await self._nc.subscribe(owner_subject(self.namespace, "snapshot"), cb=self._on_snapshot),
            await self._nc.subscribe(owner_subject(self.namespace, "logs"), cb=self._on_log_tail),
        ]

    async def stop(self) -> None:
        log.info("session.stop", namespace=self.namespace, epoch=self.epoch)
        for subscription in self._subscriptions:
            with contextlib.suppress(nats.errors.Error):
                await subscription.unsubscribe()
        tasks = self._tasks + [task for _, task in self._followers.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._followers.clear()

    # -- resources -------------------------------------------------------------------------------------------
    async def _changed(self, kind: LiveKind, change: ChangeType, obj: JSON) -> None:
        self.seq += 1
        key = object_key(kind.name, str(obj["metadata"].get("name") or ""))
        if change == "DELETED":
            self._objects.pop(key, None)
        else:
            self._objects[key] = (kind.name, self.seq, obj)
        message = LiveChange(epoch=self.epoch, seq=self.seq, kind=kind.name, type=change, object=obj)
        self._metrics.changes.labels(kind.name).inc()
        await self._publish(changes_subject(self.namespace, kind.name), message)

    async def _publish(self, subject: str, message: BaseModel) -> None:
        try:
            await self._nc.publish(subject, message.model_dump_json().encode())
        except nats.errors.Error as exc:
            # Subscribers see the gap in seq (or the heartbeat's seq) and resync.
            log.warning("session.publish_failed", subject=subject, error=str(exc))

    async def _heartbeat(self) -> None:
        while True:
            logs = {f"{pod}/{container}": follower.seq for (pod, container), (follower, _) in self._followers.items()}
            await self._publish(
                status_subject(self.namespace),
                LiveStatus(epoch=self.epoch, seq=self.seq, replica=self._replica, logs=logs),
            )
            await asyncio.sleep(self._settings.streaming_heartbeat)

    async def wait_synced(self) -> None:
        try:
            await asyncio.wait_for(
                asyncio.gather(*(informer.synced.wait() for informer in self._informers)), timeout=SYNC_WAIT
            )
        except TimeoutError:
            raise ApiError.unavailable(f"The Kubernetes objects of {self.namespace} are not loaded yet.") from None

    async def snapshot(self, after: str | None) -> Snapshot:
        await self.wait_synced()
        budget = self._settings.streaming_snapshot_page_bytes
        objects: list[SnapshotObject] = []
        used = 0
        following: str | None = None
        for key in sorted(k for k in self._objects if after is None or k > after):
            kind, seq, obj = self._objects[key]
            size = len(orjson.dumps(obj))
            if objects and used + size > budget:
                following = object_key(objects[-1].kind, str(objects[-1].object["metadata"].get("name") or ""))
                break
            objects.append(SnapshotObject(kind=kind, seq=seq, object=obj))
            used += size
        return Snapshot(epoch=self.epoch, seq=self.seq, objects=objects, next=following)

    # -- logs ------------------------------------------------------------------------------------------------
    def want_logs(self, wanted: set[LogKey]) -> None:
        """The (pod, container) pairs viewers follow now; others stop once they were not asked for a while."""
        self._wanted_logs = wanted
        now = time.monotonic()
        for key in wanted:
            self._touched[key] = now
        for key in list(self._touched):
            if now - self._touched[key] > self._settings.streaming_linger:
                del self._touched[key]
        for key in list(self._followers):
            follower, task = self._followers[key]
            if key not in self._touched and not self._wants(key):
                task.cancel()
                del self._followers[key]
            elif task.done() and not follower.ended:
                del self._followers[key]  # crashed: the next request starts it again
        for key in wanted:
            with contextlib.suppress(ApiError):  # the pod is not known (yet): asked again next round
                self._follower(key)

    def _wants(self, key: LogKey) -> bool:
        pod, _ = key
        return key in self._wanted_logs or (pod, "") in self._wanted_logs

    def _default_container(self, pod_name: str) -> str:
        pods = next(informer for informer in self._informers if informer.kind is KINDS_BY_NAME["pod"])
        pod = pods.cache.get(pod_name)
        if pod is None:
            if pods.synced.is_set():
                raise ApiError.not_found(f'pods "{pod_name}" not found')
            raise ApiError.unavailable(f"The pods of {self.namespace} are not loaded yet.")
        containers = [str(c.get("name")) for c in (pod.get("spec") or {}).get("containers") or []]
        default = ((pod.get("metadata") or {}).get("annotations") or {}).get(DEFAULT_CONTAINER_ANNOTATION)
        if default in containers:
            return str(default)
        if not containers:
            raise ApiError.not_found(f'pod "{pod_name}" has no containers')
        return containers[0]

    def _follower(self, key: LogKey) -> LogFollower:
        pod, container = key
        if not container:
            container = self._default_container(pod)
            key = (pod, container)
        found = self._followers.get(key)
        if found is not None and not found[0].ended:
            return found[0]

        async def publish(lines: LogLines) -> None:
            await self._publish(logs_subject(self.namespace, pod), lines)

        follower = LogFollower(
            self._kube,
            self.namespace,
            pod,
            container,
            self.epoch,
            tail=self._settings.streaming_log_tail,
            publish=publish,
        )
        task = asyncio.create_task(follower.run(), name=f"logs:{self.namespace}:{pod}:{container}")
        self._followers[key] = (follower, task)
        self._touched[key] = time.monotonic()
        return follower

    async def log_tail(self, pod: str, container: str) -> LogTail:
        if not container:
            await self.wait_synced()
        follower = self._follower((pod, container))
        self._touched[(follower.pod, follower.container)] = time.monotonic()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(follower.ready.wait(), timeout=TAIL_WAIT)
        if follower.ended and follower.seq <= 1 and not follower.tail().lines:
            raise ApiError.not_found(f'pods "{pod}" not found')
        return follower.tail()

    # -- requests from the RPC front door --------------------------------------------------------------------
    async def _on_snapshot(self, msg: Msg) -> None:
        await self._answer(msg, SnapshotRequest, lambda request: self.snapshot(request.after))

    async def _on_log_tail(self, msg: Msg) -> None:
        await self._answer(msg, LogTailRequest, lambda request: self.log_tail(request.pod, request.container))

    async def _answer(self, msg: Msg, model: type[Any], handle: Any) -> None:
        # Answered in a task: nats-py runs a subscription's callbacks one at a time.
        async def reply() -> None:
            try:
                request = model.model_validate_json(msg.data)
                response: BaseModel = await handle(request)
                body = b'{"result":' + response.model_dump_json().encode() + b"}"
            except ValidationError as exc:
                body = error_reply(ApiError.from_validation(exc))
            except ApiError as exc:
                body = error_reply(exc)
            except Exception:
                log.exception("session.request_failed", namespace=self.namespace)
                body = error_reply(ApiError(500))
            with contextlib.suppress(nats.errors.Error):
                await msg.respond(body)

        task = asyncio.create_task(reply())
        self._tasks.append(task)
        task.add_done_callback(self._tasks_done)

    def _tasks_done(self, task: asyncio.Task[None]) -> None:
        with contextlib.suppress(ValueError):
            self._tasks.remove(task)
