"""The streaming service's live messages, interest records and RPC methods.

Live messages are core NATS (not persisted), published only while someone listens:

- ``oneclick.live.k8s.<namespace>.<kind>``: a :class:`LiveChange` of one Kubernetes object;
- ``oneclick.live.events.<namespace>``: a :class:`LiveChange` of one Kubernetes Event;
- ``oneclick.live.logs.<namespace>.<pod>``: :class:`LogLines` of one container of a pod;
- ``oneclick.live.status.<namespace>``: a :class:`LiveStatus` heartbeat of the replica serving the namespace.

Changes of a namespace (both subjects) share one ``seq`` counter per ``epoch`` (one epoch per time a replica
starts serving the namespace), so a subscriber detects a lost message as a gap and a new owner as a new epoch,
and then resyncs from :data:`SNAPSHOT` without showing anything twice.

Who listens is told through the KV bucket :data:`LIVE_BUCKET`: each edge replica keeps one
:class:`LiveInterest` under ``interest.<edge>`` (re-put every ``ttl``/3, deleted on shutdown); streaming replicas
announce themselves under ``replica.<instance>`` and split the namespaces between them.

Objects never carry Secret values: Secrets are watched as metadata only, and ``data``/``stringData`` and the
``kubectl.kubernetes.io/last-applied-configuration`` annotation are removed before anything is cached or sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from nats.js import JetStreamContext
from nats.js.errors import BucketNotFoundError
from nats.js.kv import KeyValue
from pydantic import BaseModel, Field

# The kinds module by name: this contract's SERVICE is the streaming service, not the Kubernetes kind.
from oneclick_core import kinds
from oneclick_core.contracts.envelope import LIVE_SUBJECT_PREFIX
from oneclick_core.contracts.rpc import RpcMethod
from oneclick_core.kinds import ObjectType

SERVICE = "streaming"
LIVE_BUCKET = "oneclick-live"
INTEREST_KEY_PREFIX = "interest."
REPLICA_KEY_PREFIX = "replica."

JsonObject = dict[str, Any]
# Names end up in NATS subjects and API paths: only what Kubernetes allows for them.
NAMESPACE_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
POD_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
CONTAINER_PATTERN = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$"
Namespace = Annotated[str, Field(pattern=NAMESPACE_PATTERN, max_length=63)]
PodName = Annotated[str, Field(pattern=POD_PATTERN, max_length=253)]
ContainerName = Annotated[str, Field(pattern=CONTAINER_PATTERN, max_length=63)]
ChangeType = Literal["ADDED", "MODIFIED", "DELETED"]


@dataclass(frozen=True)
class LiveKind:
    """A kind of Kubernetes object the live views show, under One-Click's name for it."""

    name: str  # One-Click's name in WebSocket messages (``pod``, ``pvc``, ``sa``, ...)
    object_type: ObjectType

    @property
    def kind(self) -> str:
        """The Kubernetes kind (``Pod``), as in an Event's involvedObject.kind."""
        return self.object_type.kind


EVENT_KIND = LiveKind("event", kinds.EVENT)
SECRET_KIND = LiveKind("secret", kinds.SECRET)

# The original's kind names first (``pv`` is left out: PersistentVolumes are cluster-scoped, carry no
# One-Click labels and were never shown); Deployments, ReplicaSets and HPAs are new.
MAP_KINDS: tuple[LiveKind, ...] = (
    LiveKind("pod", kinds.POD),
    LiveKind("service", kinds.SERVICE),
    LiveKind("ingress", kinds.INGRESS),
    LiveKind("configmap", kinds.CONFIG_MAP),
    SECRET_KIND,
    LiveKind("pvc", kinds.PERSISTENT_VOLUME_CLAIM),
    LiveKind("sa", kinds.SERVICE_ACCOUNT),
    LiveKind("deployment", kinds.DEPLOYMENT),
    LiveKind("replicaset", kinds.REPLICA_SET),
    LiveKind("job", kinds.JOB),
    LiveKind("cronjob", kinds.CRONJOB),
    LiveKind("hpa", kinds.HORIZONTAL_POD_AUTOSCALER),
)
LIVE_KINDS: tuple[LiveKind, ...] = (*MAP_KINDS, EVENT_KIND)
KINDS_BY_NAME: dict[str, LiveKind] = {kind.name: kind for kind in LIVE_KINDS}
KINDS_BY_KUBERNETES_KIND: dict[str, LiveKind] = {kind.kind: kind for kind in LIVE_KINDS}


def changes_subject(namespace: str, kind: str) -> str:
    if kind == EVENT_KIND.name:
        return f"{LIVE_SUBJECT_PREFIX}.events.{namespace}"
    return f"{LIVE_SUBJECT_PREFIX}.k8s.{namespace}.{kind}"


def logs_subject(namespace: str, pod: str) -> str:
    return f"{LIVE_SUBJECT_PREFIX}.logs.{namespace}.{pod}"


def status_subject(namespace: str) -> str:
    return f"{LIVE_SUBJECT_PREFIX}.status.{namespace}"


def owner_subject(namespace: str, what: Literal["snapshot", "logs"]) -> str:
    """Where the replica serving a namespace answers (the RPC front door forwards there)."""
    return f"{LIVE_SUBJECT_PREFIX}.owner.{namespace}.{what}"


_KEY_UNSAFE = re.compile(r"[^-_a-zA-Z0-9]")


def _kv_token(value: str) -> str:
    # Instance ids hold host names (dots and more); a KV key token may not.
    return _KEY_UNSAFE.sub("_", value)


def interest_key(edge: str) -> str:
    return INTEREST_KEY_PREFIX + _kv_token(edge)


def replica_key(instance: str) -> str:
    return REPLICA_KEY_PREFIX + _kv_token(instance)


async def live_bucket(js: JetStreamContext, replicas: int = 1) -> KeyValue:
    """The bucket of interest and replica records (created by whichever side comes first)."""
    try:
        return await js.key_value(LIVE_BUCKET)
    except BucketNotFoundError:
        # Entries are re-put every few seconds; max_age only clears those of processes that died.
        return await js.create_key_value(
            bucket=LIVE_BUCKET,
            history=1,
            replicas=replicas,
            ttl=300,
            description="Who watches what live (edges) and who serves it (streaming)",
        )


# -- live messages ------------------------------------------------------------------------------------------


class LiveChange(BaseModel):
    """One object was added, changed or deleted (``object`` as it is after the change, before it if deleted)."""

    epoch: str
    seq: int
    kind: str = Field(description="One-Click's kind name, e.g. pod, pvc, event.")
    type: ChangeType
    object: JsonObject


class LiveStatus(BaseModel):
    """Heartbeat of the replica serving a namespace: the newest ``seq`` of its changes."""

    epoch: str
    seq: int
    replica: str
    logs: dict[str, int] = Field(
        default_factory=dict, description="`pod/container` → newest `seq` of its log follower."
    )


class LogLine(BaseModel):
    ts: int = Field(description="When the container wrote the line, nanoseconds since the epoch.")
    text: str


class LogLines(BaseModel):
    epoch: str
    seq: int
    pod: str
    container: str
    lines: list[LogLine] = Field(default_factory=list)
    ended: bool = Field(False, description="The pod is gone; no more lines will come.")


# -- interest (KV) -------------------------------------------------------------------------------------------


class LogTarget(BaseModel):
    namespace: Namespace
    pod: PodName
    container: ContainerName = Field("", description="Empty: the pod's default container.")


class LiveInterest(BaseModel):
    """What one edge replica's viewers watch right now."""

    edge: str
    ttl: float = Field(description="Seconds after which this record counts as gone unless re-put.")
    namespaces: list[Namespace] = Field(default_factory=list)
    logs: list[LogTarget] = Field(default_factory=list)


class ReplicaAnnouncement(BaseModel):
    instance: str
    ttl: float
    at: float = Field(description="Wall-clock seconds of the announcement.")


# -- RPC ------------------------------------------------------------------------------------------------------


class SnapshotRequest(BaseModel):
    namespace: Namespace
    after: str | None = Field(None, description="Continue after this object key (the previous page's `next`).")


class SnapshotObject(BaseModel):
    kind: str
    seq: int = Field(description="The change that last set this object.")
    object: JsonObject


class Snapshot(BaseModel):
    """A page of the objects of a namespace from the serving replica's caches."""

    epoch: str
    seq: int = Field(description="The namespace's newest change when this page was cut.")
    objects: list[SnapshotObject]
    next: str | None = Field(None, description="Ask again with `after` = this for the next page.")


class LogTailRequest(BaseModel):
    namespace: Namespace
    pod: PodName
    container: ContainerName = ""


class LogTail(BaseModel):
    epoch: str
    seq: int
    pod: str
    container: str
    lines: list[LogLine]
    ended: bool = False
    waiting: str | None = Field(None, description="Why there are no logs yet (e.g. the container is starting).")


def _method(name: str, request: type[Any], response: type[Any], description: str) -> RpcMethod[Any, Any]:
    return RpcMethod(SERVICE, name, request, response, description)


SNAPSHOT: RpcMethod[SnapshotRequest, Snapshot] = _method(
    "snapshot",
    SnapshotRequest,
    Snapshot,
    "Internal (edge): the cached objects of a namespace someone watches, a page at a time, with the epoch and "
    "seq to continue from on the live subjects. 503 until a replica serves the namespace.",
)
LOG_TAIL: RpcMethod[LogTailRequest, LogTail] = _method(
    "log_tail",
    LogTailRequest,
    LogTail,
    "Internal (edge): the last lines of a pod's container from the shared log follower, with the epoch and seq "
    "to continue from on oneclick.live.logs.<namespace>.<pod>; 404 when the pod does not exist.",
)

STREAMING_RPC: tuple[RpcMethod[Any, Any], ...] = (SNAPSHOT, LOG_TAIL)
