"""What the kubelet knows of each pod it runs (``PodRun``) and of each container (``ContainerRun``): the step each
is at and when the next one is due. Statuses are written from this state, never the other way round, except
after a restart from a snapshot (``kubelet.Kubelet._adopt``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kubesim import bootstrap

if TYPE_CHECKING:
    from kubesim.controllers.base import EventSink

JSON = dict[str, Any]
KUBELET = "kubelet"
SCHEDULER = "default-scheduler"
# Steps of a container on its way to running: the kubelet finishes them one container at a time.
STARTING = ("pull", "pulling", "pull-failed", "pull-backoff", "create", "config-wait")
# Steps that wait for ``ContainerRun.due``.
WAITING = (*STARTING, "exited", "crash-backoff")


@dataclass
class ContainerRun:
    name: str
    image: str
    init: bool
    restart: bool  # restarted after it exits (policy Always, or OnFailure after a failure)
    step: str = "pending"  # pending, then STARTING, running, exited, crash-backoff, done
    due: float = 0.0
    state: str = "waiting"  # waiting, running, terminated
    reason: str = "ContainerCreating"
    message: str = ""
    started_at: float | None = None
    finished_at: float | None = None
    exit_code: int = 0
    exit_reason: str = ""
    exit_at: float | None = None
    ready_at: float | None = None
    ready: bool = False
    started: bool = False
    restart_count: int = 0
    failures: int = 0
    last_terminated: JSON | None = None
    last_started: float | None = None  # exact times of the previous instance (statuses have whole seconds)
    last_finished: float | None = None
    container_id: str = ""
    image_id: str = ""
    pull_started: float = 0.0

    def next_due(self) -> float:
        """When something next happens to the container (infinity when nothing will by itself)."""
        if self.step == "running":
            candidates = [t for t in (self.ready_at if not self.ready else None, self.exit_at) if t is not None]
            return min(candidates) if candidates else float("inf")
        return self.due


@dataclass
class PodRun:
    uid: str
    step: str = "unscheduled"  # unscheduled, sandbox, containers, terminating
    due: float = 0.0
    ip: str = ""
    start_time: float | None = None
    containers: list[ContainerRun] = field(default_factory=list)
    transitions: dict[str, tuple[str, str]] = field(default_factory=dict)  # condition type -> (status, since)
    killing_until: float | None = None
    scheduling_message: str = ""
    mount_failures: int = 0
    sandbox_ready: bool = False
    scheduled: bool = False

    @property
    def inits(self) -> list[ContainerRun]:
        return [c for c in self.containers if c.init]

    @property
    def mains(self) -> list[ContainerRun]:
        return [c for c in self.containers if not c.init]

    def current(self) -> ContainerRun | None:
        """The container the kubelet works on: init containers one by one, then main containers in order until
        each has started, then whichever has the earliest due step."""
        for c in self.inits:
            if c.step != "done":
                if c.step == "pending":
                    c.step, c.due = "pull", 0.0
                return c
        progressing = None
        for c in self.mains:
            if c.step == "pending":
                if progressing is None:
                    c.step, c.due = "pull", 0.0
                    return c
                return progressing
            if c.step in STARTING and progressing is None:
                progressing = c
        if progressing is not None:
            return progressing
        unfinished = [c for c in self.mains if c.step != "done"]
        return min(unfinished, key=ContainerRun.next_due) if unfinished else None

    def next_due(self, now: float) -> float | None:
        """Seconds until something is due, or None when nothing will happen by itself."""
        dues = [self.due] if self.step in ("unscheduled", "sandbox") else []
        for c in self.containers:
            if c.step in WAITING:
                dues.append(c.due)
            elif c.step == "running":
                if not c.ready and c.ready_at is not None:
                    dues.append(c.ready_at)
                if c.exit_at is not None:
                    dues.append(c.exit_at)
        if not dues:
            return None
        return max(0.001, min(dues) - now)


def definition(pod: JSON, c: ContainerRun) -> JSON:
    """The container's entry in the pod spec (init containers first, as names are unique across both)."""
    spec = pod.get("spec") or {}
    return next(
        (d for d in (spec.get("initContainers") or []) + (spec.get("containers") or []) if d.get("name") == c.name), {}
    )


def pod_event(
    events: EventSink,
    pod: JSON,
    type_: str,
    reason: str,
    message: str,
    container: ContainerRun | None = None,
    component: str = KUBELET,
) -> None:
    """An event about a pod (or one of its containers, as ``fieldPath``) from the kubelet or the scheduler."""
    field_path = ""
    if container is not None:
        field_path = f"spec.{'initContainers' if container.init else 'containers'}{{{container.name}}}"
    host = bootstrap.NODE_NAME if component == KUBELET else ""
    events.record(pod, type_, reason, message, component, host=host, field_path=field_path)
