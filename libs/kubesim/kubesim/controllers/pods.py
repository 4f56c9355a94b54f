"""The scheduler and the kubelet of the one node: binding, volumes, image pulls, container starts, readiness,
crashes with back-off, run-to-completion containers, graceful termination, and the events they record.

Image markers (documented in docs/kubesim.md):
- ``fail-pull``, ``does-not-exist``, ``doesnotexist``, ``nonexistent`` anywhere in the image: the pull fails
  (ErrImagePull, then ImagePullBackOff).
- a ``crash`` or ``crashloop`` word in the image (words split at ``/ : . _ - @``): the container exits with code 1
  shortly after starting (CrashLoopBackOff with a growing restartCount under restartPolicy Always).
- an ``oom`` word: like crash, but OOMKilled with exit code 137.
"""

from __future__ import annotations

import copy
import ipaddress
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kubesim import bootstrap, clock, quantity
from kubesim.apiserver import WriteOptions
from kubesim.controllers.base import Controller, split_key
from kubesim.controllers.events import NORMAL, WARNING
from kubesim.names import stable_digest, stable_fraction
from kubesim.status import ApiError
from kubesim.store import Change
from kubesim.timings import Timings

if TYPE_CHECKING:
    from kubesim.cluster import Cluster

JSON = dict[str, Any]
KUBELET = "kubelet"
SCHEDULER = "default-scheduler"
FAIL_PULL_MARKERS = ("fail-pull", "does-not-exist", "doesnotexist", "nonexistent")
CRASH_WORDS = ("crash", "crashloop", "crashing")
OOM_WORDS = ("oom", "oomkilled")
POD_CIDR = ipaddress.ip_network("10.244.0.0/16")


def image_behaviour(image: str) -> str:
    """``pull-fail``, ``crash``, ``oom`` or ``ok`` for an image reference."""
    lowered = image.lower()
    if any(marker in lowered for marker in FAIL_PULL_MARKERS):
        return "pull-fail"
    words = set(re.split(r"[/:._\-@]+", lowered))
    if words & set(OOM_WORDS):
        return "oom"
    if words & set(CRASH_WORDS):
        return "crash"
    return "ok"


def normalize_image(image: str) -> str:
    """What the runtime reports: ``nginx:1.25`` -> ``docker.io/library/nginx:1.25``."""
    name = image
    if "@" not in name and ":" not in name.rsplit("/", 1)[-1]:
        name += ":latest"
    first = name.split("/", 1)[0]
    if "/" not in name or ("." not in first and ":" not in first and first != "localhost"):
        name = "docker.io/" + (name if "/" in name else "library/" + name)
    return name


def _image_id(image: str) -> str:
    repo = normalize_image(image).split("@", 1)[0]
    last = repo.rsplit("/", 1)
    repo = repo if ":" not in last[-1] else repo.rsplit(":", 1)[0]
    return f"{repo}@sha256:{stable_digest('image', image)}"


@dataclass
class ContainerRun:
    name: str
    image: str
    init: bool
    restart: bool  # restarted after it exits (policy Always, or OnFailure after a failure)
    step: str = "pending"  # pending, pull, pulling, pull-failed, pull-backoff, create, config-wait, running,
    #                        exited, crash-backoff, done
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


@dataclass
class PodRun:
    uid: str
    step: str = "unscheduled"  # unscheduled, sandbox, containers, terminating
    due: float = 0.0
    ip: str = ""
    start_time: float | None = None
    containers: list[ContainerRun] = field(default_factory=list)
    transitions: dict[str, tuple[str, str]] = field(default_factory=dict)  # type -> (status, since)
    killing_until: float | None = None
    scheduling_message: str = ""
    mount_failures: int = 0
    sandbox_ready: bool = False
    scheduled: bool = False


class Kubelet(Controller):
    name = "kubelet"
    watches = ("/pods", "/persistentvolumeclaims", "/configmaps", "/secrets")
    resync_on_start = ("/pods",)

    def __init__(self, cluster: Cluster) -> None:
        super().__init__(cluster)
        self.runs: dict[str, PodRun] = {}
        self.images: set[str] = set()
        self._ips: set[str] = set()
        self._next_ip = 2

    @property
    def t(self) -> Timings:
        return self.cluster.timings

    def keys_for(self, change: Change) -> list[str]:
        meta = change.obj["metadata"]
        if change.resource == "/pods":
            return [f"{meta.get('namespace')}/{meta['name']}"]
        # A claim got bound, a ConfigMap or Secret appeared: pending pods of the namespace may proceed.
        namespace = str(meta.get("namespace") or "")
        return [f"{namespace}/{pod['metadata']['name']}" for pod in self.store.list("/pods", namespace)
                if (pod.get("status") or {}).get("phase") == "Pending"]

    # --- helpers --------------------------------------------------------------------------------------------

    def _allocate_ip(self) -> str:
        for _ in range(POD_CIDR.num_addresses):
            candidate = str(POD_CIDR.network_address + self._next_ip)
            self._next_ip = self._next_ip + 1 if self._next_ip < POD_CIDR.num_addresses - 2 else 2
            if candidate not in self._ips:
                self._ips.add(candidate)
                return candidate
        raise RuntimeError("pod CIDR exhausted")

    def _event(self, pod: JSON, type_: str, reason: str, message: str, container: ContainerRun | None = None,
               component: str = KUBELET) -> None:
        field_path = ""
        if container is not None:
            field_path = f"spec.{'initContainers' if container.init else 'containers'}{{{container.name}}}"
        host = bootstrap.NODE_NAME if component == KUBELET else ""
        self.cluster.events.record(pod, type_, reason, message, component, host=host, field_path=field_path)

    def _backoff(self, failures: int) -> float:
        return float(min(self.t.backoff_max, self.t.backoff_base * (2 ** max(0, failures - 1))))

    def _new_run(self, pod: JSON, now: float) -> PodRun:
        spec = pod.get("spec") or {}
        policy = spec.get("restartPolicy", "Always")
        run = PodRun(uid=str(pod["metadata"].get("uid")), due=now + self.t.schedule)
        for c in spec.get("initContainers") or []:
            run.containers.append(ContainerRun(str(c["name"]), str(c.get("image") or ""), True,
                                               restart=policy != "Never", reason="PodInitializing"))
        for c in spec.get("containers") or []:
            run.containers.append(ContainerRun(str(c["name"]), str(c.get("image") or ""), False,
                                               restart=policy == "Always"))
        return run

    def _adopt(self, pod: JSON, now: float) -> PodRun:
        """Rebuild the kubelet's view from a pod's status (after a restart from a snapshot)."""
        run = self._new_run(pod, now)
        status = pod.get("status") or {}
        spec = pod.get("spec") or {}
        if not spec.get("nodeName"):
            return run
        run.scheduled = True
        run.start_time = clock.parse_time(status.get("startTime")) or now
        run.ip = str(status.get("podIP") or "")
        if run.ip:
            self._ips.add(run.ip)
        for cond in status.get("conditions") or []:
            run.transitions[str(cond.get("type"))] = (str(cond.get("status")),
                                                      str(cond.get("lastTransitionTime") or clock.rfc3339(now)))
        statuses = {cs.get("name"): cs for cs in (status.get("containerStatuses") or []) +
                    (status.get("initContainerStatuses") or [])}
        if not run.ip:
            run.step, run.due = "sandbox", now
            return run
        run.step, run.sandbox_ready = "containers", True
        for c in run.containers:
            cs = statuses.get(c.name)
            if cs is None:
                continue
            state = cs.get("state") or {}
            c.restart_count = int(cs.get("restartCount") or 0)
            c.container_id = str(cs.get("containerID") or "")
            c.image_id = str(cs.get("imageID") or "")
            c.last_terminated = (cs.get("lastState") or {}).get("terminated")
            if state.get("running"):
                c.step, c.state = "running", "running"
                c.started_at = clock.parse_time(state["running"].get("startedAt")) or now
                c.started = True
                c.ready = bool(cs.get("ready"))
                c.ready_at = c.started_at if c.ready else now
                c.exit_at = self._exit_time(pod, c, c.started_at)
                self.images.add(c.image)
            elif state.get("terminated") and not c.restart:
                term = state["terminated"]
                c.step, c.state = "done", "terminated"
                c.started_at = clock.parse_time(term.get("startedAt"))
                c.finished_at = clock.parse_time(term.get("finishedAt"))
                c.exit_code = int(term.get("exitCode") or 0)
                c.exit_reason = str(term.get("reason") or "")
            elif c.last_terminated or state.get("terminated"):
                c.started_at = clock.parse_time((c.last_terminated or state.get("terminated") or {}).get(
                    "startedAt"))
                c.step, c.due = "crash-backoff", now + self._backoff(1)
                c.state, c.reason = "waiting", "CrashLoopBackOff"
                c.failures = 1
        return run

    # --- reconcile ------------------------------------------------------------------------------------------

    def reconcile(self, key: str) -> float | None:
        namespace, name = split_key(key)
        pod = self.store.get("/pods", namespace, name)
        uid_runs = self.runs
        if pod is None:
            self._forget()
            return None
        uid = str(pod["metadata"].get("uid"))
        now = clock.now()
        run = uid_runs.get(uid)
        if run is None:
            run = self._adopt(pod, now)
            uid_runs[uid] = run
        if pod["metadata"].get("deletionTimestamp"):
            return self._terminate(pod, run, now)
        phase = (pod.get("status") or {}).get("phase")
        if phase in ("Succeeded", "Failed") and run.step == "containers" and \
                all(c.step == "done" for c in run.containers):
            return None
        if not run.scheduled:
            bound, delay = self._schedule(pod, run, now)
            if not bound:
                return delay
            pod = self.store.get("/pods", namespace, name) or pod
        for _ in range(50):
            if not self._advance(pod, run, clock.now()):
                break
        self._write_status(pod, run, clock.now())
        return self._next_due(run, clock.now())

    def _forget(self) -> None:
        live = {str(p["metadata"].get("uid")) for p in self.store.list("/pods")}
        for uid in [u for u in self.runs if u not in live]:
            run = self.runs.pop(uid)
            self._ips.discard(run.ip)

    def _next_due(self, run: PodRun, now: float) -> float | None:
        dues = [run.due] if run.step in ("unscheduled", "sandbox") else []
        for c in run.containers:
            if c.step in ("pull", "pulling", "pull-failed", "pull-backoff", "create", "config-wait", "exited",
                          "crash-backoff"):
                dues.append(c.due)
            elif c.step == "running":
                if not c.ready and c.ready_at is not None:
                    dues.append(c.ready_at)
                if c.exit_at is not None:
                    dues.append(c.exit_at)
        if not dues:
            return None
        return max(0.001, min(dues) - now)

    # --- scheduling -----------------------------------------------------------------------------------------

    def _schedule(self, pod: JSON, run: PodRun, now: float) -> tuple[bool, float | None]:
        """Bind the pod when it fits; (bound, seconds until the next attempt)."""
        if now < run.due:
            return False, run.due - now
        problem = self._fit(pod)
        ns, name = pod["metadata"].get("namespace"), pod["metadata"]["name"]
        if problem == "wait":
            return False, max(0.05, self.t.schedule * 5)
        if problem:
            retry = max(1.0, self.t.backoff_base * 5)
            message = f"0/1 nodes are available: {problem}"
            if run.scheduling_message != message or now >= run.due:
                self._event(pod, WARNING, "FailedScheduling", message, component=SCHEDULER)
                run.scheduling_message = message
            status = copy.deepcopy(pod.get("status") or {})
            cond = {"type": "PodScheduled", "status": "False", "lastProbeTime": None,
                    "lastTransitionTime": clock.rfc3339(now), "reason": "Unschedulable", "message": message}
            existing = [c for c in status.get("conditions") or [] if c.get("type") == "PodScheduled"]
            if not existing or existing[0].get("message") != message:
                status["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"] \
                    + [cond]
                status["phase"] = "Pending"
                updated = copy.deepcopy(pod)
                updated["status"] = status
                self.api.write(self.api.rt("", "pods"), updated, SCHEDULER, "status")
            run.due = now + retry
            return False, retry
        try:
            self.api.bind(ns, name, bootstrap.NODE_NAME, WriteOptions(field_manager=SCHEDULER))
        except ApiError:
            return False, 0.1
        run.scheduled = True
        run.transitions["PodScheduled"] = ("True", clock.rfc3339(now))
        self._event(pod, NORMAL, "Scheduled", f"Successfully assigned {ns}/{name} to {bootstrap.NODE_NAME}",
                    component=SCHEDULER)
        run.step = "sandbox"
        run.start_time = now
        run.due = now + self.t.sandbox
        return True, 0.0

    def _fit(self, pod: JSON) -> str:
        """Why the pod cannot go on the node ("" when it fits, "wait" while volumes are being provisioned)."""
        spec = pod.get("spec") or {}
        node = self.store.get("/nodes", "", bootstrap.NODE_NAME)
        if node is None:
            return "no nodes available to schedule pods."
        tail = " preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
        namespace = str(pod["metadata"].get("namespace"))
        for volume in spec.get("volumes") or []:
            claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            if not claim:
                continue
            pvc = self.store.get("/persistentvolumeclaims", namespace, str(claim))
            if pvc is None:
                return f'persistentvolumeclaim "{claim}" not found.{tail}'
            if (pvc.get("status") or {}).get("phase") == "Bound":
                continue
            sc = self.store.get("storage.k8s.io/storageclasses", "", str((pvc.get("spec") or {}).get(
                "storageClassName") or ""))
            if sc is not None and sc.get("volumeBindingMode") == "WaitForFirstConsumer":
                self._select_node(pvc)
                return "wait"
            return f"pod has unbound immediate PersistentVolumeClaims.{tail}"
        if (node.get("spec") or {}).get("unschedulable"):
            return f"1 node(s) were unschedulable.{tail}"
        labels = node["metadata"].get("labels") or {}
        for key, value in (spec.get("nodeSelector") or {}).items():
            if labels.get(key) != value:
                return f"1 node(s) didn't match Pod's node affinity/selector.{tail}"
        allocatable = (node.get("status") or {}).get("allocatable") or {}
        cpu_free = quantity.cpu_millis(allocatable.get("cpu"))
        mem_free = quantity.memory_bytes(allocatable.get("memory"))
        pods_free = int(allocatable.get("pods") or 110)
        for other in self.store.list("/pods"):
            other_spec = other.get("spec") or {}
            if other_spec.get("nodeName") != bootstrap.NODE_NAME or \
                    (other.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
                continue
            cpu, mem = pod_requests(other_spec)
            cpu_free -= cpu
            mem_free -= mem
            pods_free -= 1
        cpu, mem = pod_requests(spec)
        missing = []
        if cpu > cpu_free:
            missing.append("1 Insufficient cpu")
        if mem > mem_free:
            missing.append("1 Insufficient memory")
        if pods_free <= 0:
            missing.append("1 Too many pods")
        if missing:
            return ", ".join(missing) + ". preemption: 0/1 nodes are available: 1 No preemption victims found " \
                                        "for incoming pod."
        return ""

    def _select_node(self, pvc: JSON) -> None:
        annotations = pvc["metadata"].get("annotations") or {}
        if annotations.get("volume.kubernetes.io/selected-node") == bootstrap.NODE_NAME:
            return
        updated = copy.deepcopy(pvc)
        updated["metadata"].setdefault("annotations", {})["volume.kubernetes.io/selected-node"] = \
            bootstrap.NODE_NAME
        self.api.write(self.api.rt("", "persistentvolumeclaims"), updated, SCHEDULER)

    # --- the kubelet's state machine -----------------------------------------------------------------------

    def _advance(self, pod: JSON, run: PodRun, now: float) -> bool:
        """Take every step that is due; True when something changed (call again)."""
        if run.step == "sandbox":
            if now < run.due:
                return False
            problem = self._mount_problem(pod)
            if problem:
                run.mount_failures += 1
                self._event(pod, WARNING, "FailedMount", problem)
                run.due = now + self._backoff(run.mount_failures)
                return False
            run.ip = run.ip or self._allocate_ip()
            run.sandbox_ready = True
            run.step = "containers"
            return True
        if run.step != "containers":
            return False
        current = self._current(run)
        if current is None:
            return False
        return self._advance_container(pod, run, current, now)

    def _current(self, run: PodRun) -> ContainerRun | None:
        """The container the kubelet works on: init containers one by one, then main containers in order."""
        for c in run.containers:
            if c.init and c.step != "done":
                if c.step == "pending":
                    c.step, c.due = "pull", 0.0
                return c
        progressing = None
        for c in run.containers:
            if c.init:
                continue
            if c.step == "pending":
                if progressing is None:
                    c.step, c.due = "pull", 0.0
                    return c
                return progressing
            if c.step in ("pull", "pulling", "pull-failed", "pull-backoff", "create", "config-wait") \
                    and progressing is None:
                progressing = c
        if progressing is not None:
            return progressing
        # Everything started: look at whichever container has the earliest due step.
        active = [c for c in run.containers if not c.init and c.step not in ("done",)]
        if not active:
            return None
        return min(active, key=lambda c: self._container_due(c))

    @staticmethod
    def _container_due(c: ContainerRun) -> float:
        if c.step == "running":
            candidates = [t for t in (c.ready_at if not c.ready else None, c.exit_at) if t is not None]
            return min(candidates) if candidates else float("inf")
        return c.due

    def _advance_container(self, pod: JSON, run: PodRun, c: ContainerRun, now: float) -> bool:
        spec = pod.get("spec") or {}
        definition: JSON = next((d for d in (spec.get("initContainers") or []) + (spec.get("containers") or [])
                                 if d.get("name") == c.name), {})
        behaviour = image_behaviour(c.image)
        if c.step == "pull":
            if now < c.due:
                return False
            policy = definition.get("imagePullPolicy", "IfNotPresent")
            if policy == "Never" or (policy == "IfNotPresent" and c.image in self.images):
                if policy == "Never" and c.image not in self.images and behaviour == "pull-fail":
                    c.state, c.reason = "waiting", "ErrImageNeverPull"
                    c.message = f'Container image "{c.image}" is not present with pull policy of Never'
                    self._event(pod, WARNING, "ErrImageNeverPull", c.message, c)
                    c.step, c.due = "pull-backoff", now + self._backoff(c.failures + 1)
                    return True
                self._event(pod, NORMAL, "Pulled", f'Container image "{c.image}" already present on machine', c)
                c.step, c.due = "create", now + self.t.start
                return True
            self._event(pod, NORMAL, "Pulling", f'Pulling image "{c.image}"', c)
            c.step, c.due, c.pull_started = "pulling", now + self.t.pull, now
            return True
        if c.step == "pulling":
            if now < c.due:
                return False
            if behaviour == "pull-fail":
                c.failures += 1
                ref = normalize_image(c.image)
                self._event(pod, WARNING, "Failed",
                            f'Failed to pull image "{c.image}": rpc error: code = NotFound desc = failed to pull and '
                            f'unpack image "{ref}": failed to resolve reference "{ref}": {ref}: not found', c)
                self._event(pod, WARNING, "Failed", "Error: ErrImagePull", c)
                c.state, c.reason = "waiting", "ErrImagePull"
                c.message = f'rpc error: code = NotFound desc = failed to pull and unpack image "{ref}": failed to ' \
                            f'resolve reference "{ref}": {ref}: not found'
                c.step, c.due = "pull-failed", now + min(self._backoff(c.failures) / 2, 2.0)
                return True
            took = now - c.pull_started
            size = 10_000_000 + int(stable_fraction(c.image) * 150_000_000)
            self._event(pod, NORMAL, "Pulled", f'Successfully pulled image "{c.image}" in {took:.3f}s '
                                               f'({took:.3f}s including waiting). Image size: {size} bytes.', c)
            self.images.add(c.image)
            c.step, c.due = "create", now + self.t.start
            return True
        if c.step == "pull-failed":
            if now < c.due:
                return False
            self._event(pod, NORMAL, "BackOff", f'Back-off pulling image "{c.image}"', c)
            self._event(pod, WARNING, "Failed", "Error: ImagePullBackOff", c)
            c.state, c.reason = "waiting", "ImagePullBackOff"
            c.message = f'Back-off pulling image "{c.image}": ErrImagePull: {c.message}'
            c.step, c.due = "pull-backoff", now + self._backoff(c.failures)
            return True
        if c.step == "pull-backoff":
            if now < c.due:
                return False
            c.step, c.due = "pull", now
            return True
        if c.step in ("create", "config-wait"):
            if now < c.due:
                return False
            problem = self._config_problem(pod, definition)
            if problem:
                c.failures += 1
                c.state, c.reason, c.message = "waiting", "CreateContainerConfigError", problem
                self._event(pod, WARNING, "Failed", f"Error: {problem}", c)
                c.step, c.due = "config-wait", now + self._backoff(c.failures)
                return True
            if c.started_at is not None or c.last_terminated is not None:
                c.restart_count += 1
            self._event(pod, NORMAL, "Created", f"Created container: {c.name}", c)
            self._event(pod, NORMAL, "Started", f"Started container {c.name}", c)
            c.state, c.reason, c.message = "running", "", ""
            c.step = "running"
            c.started_at = now
            c.finished_at = None
            c.started = True
            c.container_id = "containerd://" + self.cluster.names.hex(64)
            c.image_id = _image_id(c.image)
            c.ready = False
            c.ready_at = None if c.init else now + self._ready_delay(definition)
            c.exit_at = self._exit_time(pod, c, now)
            return True
        if c.step == "running":
            changed = False
            if c.ready_at is not None and not c.ready and now >= c.ready_at:
                c.ready = True
                changed = True
            if c.exit_at is not None and now >= c.exit_at:
                self._exit(pod, c, behaviour, now)
                return True
            return changed
        if c.step == "exited":
            if now < c.due:
                return False
            c.state, c.reason = "waiting", "CrashLoopBackOff"
            delay = self._backoff(c.failures)
            uid = pod["metadata"].get("uid")
            c.message = (f"back-off {int(delay)}s restarting failed container={c.name} "
                         f"pod={pod['metadata']['name']}_{pod['metadata'].get('namespace')}({uid})")
            self._event(pod, WARNING, "BackOff",
                        f"Back-off restarting failed container {c.name} in pod "
                        f"{pod['metadata']['name']}_{pod['metadata'].get('namespace')}({uid})", c)
            c.step, c.due = "crash-backoff", now + delay
            return True
        if c.step == "crash-backoff":
            if now < c.due:
                return False
            c.step, c.due = "pull", now
            return True
        return False

    def _exit(self, pod: JSON, c: ContainerRun, behaviour: str, now: float) -> None:
        if behaviour == "oom":
            code, reason = 137, "OOMKilled"
        elif behaviour == "crash":
            code, reason = 1, "Error"
        else:
            code, reason = 0, "Completed"
        c.exit_code, c.exit_reason = code, reason
        c.finished_at = now
        c.ready = False
        c.exit_at = None
        terminated = {"exitCode": code, "reason": reason, "startedAt": clock.rfc3339(c.started_at or now),
                      "finishedAt": clock.rfc3339(now), "containerID": c.container_id}
        restart = c.restart or (code != 0 and pod.get("spec", {}).get("restartPolicy") == "OnFailure")
        if c.init and code == 0:
            restart = False
        if restart:
            c.failures += 1
            c.last_terminated = terminated
            c.last_started, c.last_finished = c.started_at, now
            c.state, c.reason = "terminated", reason
            c.step, c.due = "exited", now + max(self.t.start, 0.01)
        else:
            c.state, c.reason = "terminated", reason
            c.step = "done"

    def _exit_time(self, pod: JSON, c: ContainerRun, started: float) -> float | None:
        behaviour = image_behaviour(c.image)
        if behaviour in ("crash", "oom"):
            return started + self.t.crash_after
        policy = (pod.get("spec") or {}).get("restartPolicy", "Always")
        if c.init:
            return started + self._run_time(pod, c, default=self.t.job_run / 3)
        if policy != "Always":
            return started + self._run_time(pod, c)
        return None

    def _run_time(self, pod: JSON, c: ContainerRun, default: float | None = None) -> float:
        """How long a run-to-completion container runs: ``sleep N`` in its command is honoured (scaled)."""
        spec = pod.get("spec") or {}
        definitions = spec.get("initContainers" if c.init else "containers") or []
        definition: JSON = next((d for d in definitions if d.get("name") == c.name), {})
        words = [str(w) for w in (definition.get("command") or []) + (definition.get("args") or [])]
        text = " ".join(words)
        match = re.search(r"\bsleep\s+(\d+(?:\.\d+)?)\b", text)
        if match:
            return float(match.group(1)) * self.t.spec_seconds_scale + self.t.start
        return float(self.t.job_run if default is None else default)

    def instance_times(self, uid: str, container: str, previous: bool) -> tuple[float, float | None] | None:
        """Exact (start, end) of a container's current or previous instance, when this kubelet ran it."""
        run = self.runs.get(uid)
        if run is None:
            return None
        for c in run.containers:
            if c.name != container:
                continue
            if previous:
                return (c.last_started, c.last_finished) if c.last_started is not None else None
            if c.started_at is None:
                return None
            return c.started_at, c.finished_at if c.state == "terminated" else None
        return None

    def _ready_delay(self, definition: JSON) -> float:
        probe = definition.get("readinessProbe") or definition.get("startupProbe")
        if not probe:
            return 0.0
        return float(probe.get("initialDelaySeconds") or 0) * self.t.spec_seconds_scale + self.t.ready

    def _mount_problem(self, pod: JSON) -> str:
        namespace = str(pod["metadata"].get("namespace"))
        for volume in (pod.get("spec") or {}).get("volumes") or []:
            for source, resource, ref_key in (("configMap", "/configmaps", "name"),
                                              ("secret", "/secrets", "secretName")):
                ref = volume.get(source)
                if isinstance(ref, dict) and not ref.get("optional"):
                    target = str(ref.get(ref_key) or "")
                    if self.store.get(resource, namespace, target) is None:
                        kind = "configmap" if source == "configMap" else "secret"
                        return f'MountVolume.SetUp failed for volume "{volume.get("name")}" : {kind} "{target}" ' \
                               f'not found'
        return ""

    def _config_problem(self, pod: JSON, definition: JSON) -> str:
        namespace = str(pod["metadata"].get("namespace"))
        for env in definition.get("env") or []:
            source = env.get("valueFrom") or {}
            for key, resource, kind in (("secretKeyRef", "/secrets", "secret"),
                                        ("configMapKeyRef", "/configmaps", "configmap")):
                ref = source.get(key)
                if not isinstance(ref, dict) or ref.get("optional"):
                    continue
                obj = self.store.get(resource, namespace, str(ref.get("name") or ""))
                if obj is None:
                    return f'{kind} "{ref.get("name")}" not found'
                data = obj.get("data") or {}
                if ref.get("key") not in data and ref.get("key") not in (obj.get("binaryData") or {}):
                    return f"couldn't find key {ref.get('key')} in {'Secret' if kind == 'secret' else 'ConfigMap'} " \
                           f"{namespace}/{ref.get('name')}"
        for source in definition.get("envFrom") or []:
            for key, resource, kind in (("secretRef", "/secrets", "secret"), ("configMapRef", "/configmaps",
                                                                              "configmap")):
                ref = source.get(key)
                if isinstance(ref, dict) and not ref.get("optional") and \
                        self.store.get(resource, namespace, str(ref.get("name") or "")) is None:
                    return f'{kind} "{ref.get("name")}" not found'
        return ""

    # --- termination ----------------------------------------------------------------------------------------

    def _terminate(self, pod: JSON, run: PodRun, now: float) -> float | None:
        if run.killing_until is None:
            grace = int(pod["metadata"].get("deletionGracePeriodSeconds") or 0)
            running = [c for c in run.containers if c.state == "running"]
            for c in running:
                self._event(pod, NORMAL, "Killing", f"Stopping container {c.name}", c)
            delay = min(self.t.terminate, grace * self.t.spec_seconds_scale + self.t.terminate) if running else 0.0
            run.killing_until = now + delay
            for c in run.containers:
                c.ready = False
            run.step = "terminating"
            if running:
                self._write_status(pod, run, now)
        if now < run.killing_until:
            return run.killing_until - now
        self.api.finish_pod_termination(str(pod["metadata"].get("namespace")), pod["metadata"]["name"])
        return None

    # --- status ---------------------------------------------------------------------------------------------

    def _condition(self, run: PodRun, kind: str, ok: bool, now: float, reason: str = "",
                   message: str = "") -> JSON:
        value = "True" if ok else "False"
        before = run.transitions.get(kind)
        if before is None or before[0] != value:
            run.transitions[kind] = (value, clock.rfc3339(now))
        cond: JSON = {"type": kind, "status": value, "lastProbeTime": None,
                      "lastTransitionTime": run.transitions[kind][1]}
        if not ok and reason:
            cond["reason"] = reason
            if message:
                cond["message"] = message
        return cond

    def _container_status(self, c: ContainerRun, initializing: bool) -> JSON:
        if c.state == "running":
            state: JSON = {"running": {"startedAt": clock.rfc3339(c.started_at or 0)}}
        elif c.state == "terminated":
            state = {"terminated": {"exitCode": c.exit_code, "reason": c.exit_reason or c.reason,
                                    "startedAt": clock.rfc3339(c.started_at or 0),
                                    "finishedAt": clock.rfc3339(c.finished_at or 0),
                                    "containerID": c.container_id}}
        else:
            reason = "PodInitializing" if initializing and not c.init and c.reason == "ContainerCreating" \
                else c.reason
            waiting: JSON = {"reason": reason}
            if c.message:
                waiting["message"] = c.message
            state = {"waiting": waiting}
        out: JSON = {"name": c.name, "state": state,
                     "lastState": {"terminated": c.last_terminated} if c.last_terminated else {},
                     "ready": c.ready, "restartCount": c.restart_count, "image": normalize_image(c.image),
                     "imageID": c.image_id, "started": c.state == "running"}
        if c.container_id:
            out["containerID"] = c.container_id
        return out

    def _phase(self, pod: JSON, run: PodRun) -> str:
        mains = [c for c in run.containers if not c.init]
        inits = [c for c in run.containers if c.init]
        if any(c.step != "done" or c.exit_code != 0 for c in inits):
            failed_init = [c for c in inits if c.step == "done" and c.exit_code != 0]
            return "Failed" if failed_init else "Pending"
        waiting = running = stopped = succeeded = failed = 0
        for c in mains:
            if c.state == "running":
                running += 1
            elif c.state == "terminated" or c.last_terminated:
                stopped += 1
                if c.state == "terminated" and c.step == "done":
                    if c.exit_code == 0:
                        succeeded += 1
                    else:
                        failed += 1
            else:
                waiting += 1
        policy = (pod.get("spec") or {}).get("restartPolicy", "Always")
        if waiting:
            return "Pending"
        if running:
            return "Running"
        if stopped:
            if policy == "Always":
                return "Running"
            if succeeded == len(mains):
                return "Succeeded"
            if policy == "OnFailure" and any(c.step != "done" for c in mains):
                return "Running"
            return "Failed" if failed else "Running"
        return "Pending"

    def _write_status(self, pod: JSON, run: PodRun, now: float) -> None:
        current = self.store.get("/pods", str(pod["metadata"].get("namespace")), pod["metadata"]["name"])
        if current is None:
            return
        old_status = current.get("status") or {}
        status: JSON = {"phase": self._phase(current, run)}
        inits = [c for c in run.containers if c.init]
        mains = [c for c in run.containers if not c.init]
        initializing = any(c.step != "done" for c in inits)
        terminal = status["phase"] in ("Succeeded", "Failed")
        not_ready = [c.name for c in mains if not c.ready]
        incomplete = [c.name for c in inits if c.step != "done" or c.exit_code != 0]
        if terminal:
            ready_reason, ready_message = "PodCompleted", ""
        else:
            ready_reason = "ContainersNotReady"
            ready_message = f"containers with unready status: [{' '.join(not_ready)}]"
        all_ready = not not_ready and not terminal and not current["metadata"].get("deletionTimestamp")
        status["conditions"] = [
            self._condition(run, "PodReadyToStartContainers", run.sandbox_ready and not terminal, now),
            self._condition(run, "Initialized", not incomplete, now, "ContainersNotInitialized",
                            f"containers with incomplete status: [{' '.join(incomplete)}]"),
            self._condition(run, "Ready", all_ready, now, ready_reason, ready_message),
            self._condition(run, "ContainersReady", all_ready, now, ready_reason, ready_message),
            self._condition(run, "PodScheduled", True, now),
        ]
        if terminal and inits:
            status["conditions"][1] = {**status["conditions"][1], "reason": "PodCompleted"}
            status["conditions"][1].pop("message", None)
        status["hostIP"] = bootstrap.NODE_IP
        status["hostIPs"] = [{"ip": bootstrap.NODE_IP}]
        if run.ip:
            status["podIP"] = run.ip
            status["podIPs"] = [{"ip": run.ip}]
        status["startTime"] = clock.rfc3339(run.start_time or now)
        if inits:
            status["initContainerStatuses"] = [self._container_status(c, False) for c in inits]
        status["containerStatuses"] = [self._container_status(c, initializing) for c in mains]
        status["qosClass"] = old_status.get("qosClass") or "BestEffort"
        if old_status == status:
            return
        updated = copy.deepcopy(current)
        updated["status"] = status
        self.api.write(self.api.rt("", "pods"), updated, KUBELET, "status")


def pod_requests(spec: JSON) -> tuple[int, int]:
    """(CPU millicores, memory bytes) a pod requests (init containers count by their maximum)."""
    cpu = mem = 0
    for c in spec.get("containers") or []:
        requests = (c.get("resources") or {}).get("requests") or {}
        cpu += quantity.cpu_millis(requests.get("cpu"))
        mem += quantity.memory_bytes(requests.get("memory"))
    for c in spec.get("initContainers") or []:
        requests = (c.get("resources") or {}).get("requests") or {}
        cpu = max(cpu, quantity.cpu_millis(requests.get("cpu")))
        mem = max(mem, quantity.memory_bytes(requests.get("memory")))
    return cpu, mem
