"""The kubelet of the one node: it has pods scheduled (``scheduling``), sets up their sandbox (volumes, an IP),
runs their containers through the runtime (``runtime``), stops them when they are deleted, and writes their status
(``status``) after every step."""

from __future__ import annotations

import ipaddress
from typing import Any

from kubesim import clock
from kubesim.controllers.base import Context, Controller
from kubesim.controllers.events import NORMAL, WARNING
from kubesim.controllers.kubelet.runs import KUBELET, ContainerRun, PodRun, pod_event
from kubesim.controllers.kubelet.runtime import ContainerRuntime
from kubesim.controllers.kubelet.scheduling import Scheduler
from kubesim.controllers.kubelet.status import pod_status
from kubesim.controllers.objects import split_key
from kubesim.store import Change

JSON = dict[str, Any]
POD_CIDR = ipaddress.ip_network("10.244.0.0/16")


class Kubelet(Controller):
    name = "kubelet"
    component = KUBELET
    watches = ("/pods", "/persistentvolumeclaims", "/configmaps", "/secrets")
    resync_on_start = ("/pods",)

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.runs: dict[str, PodRun] = {}  # by pod uid
        self.runtime = ContainerRuntime(context)
        self.scheduler = Scheduler(context)
        self._ips: set[str] = set()
        self._next_ip = 2

    def keys_for(self, change: Change) -> list[str]:
        meta = change.obj["metadata"]
        if change.resource == "/pods":
            return [f"{meta.get('namespace')}/{meta['name']}"]
        # A claim got bound, a ConfigMap or Secret appeared: pending pods of the namespace may proceed.
        namespace = str(meta.get("namespace") or "")
        return [
            f"{namespace}/{pod['metadata']['name']}"
            for pod in self.store.list("/pods", namespace)
            if (pod.get("status") or {}).get("phase") == "Pending"
        ]

    def reconcile(self, key: str) -> float | None:
        namespace, name = split_key(key)
        pod = self.store.get("/pods", namespace, name)
        if pod is None:
            self._forget()
            return None
        uid = str(pod["metadata"].get("uid"))
        now = clock.now()
        run = self.runs.get(uid)
        if run is None:
            run = self.runs[uid] = self._adopt(pod, now)
        if pod["metadata"].get("deletionTimestamp"):
            return self._terminate(pod, run, now)
        phase = (pod.get("status") or {}).get("phase")
        if (
            phase in ("Succeeded", "Failed")
            and run.step == "containers"
            and all(c.step == "done" for c in run.containers)
        ):
            return None
        if not run.scheduled:
            bound, delay = self.scheduler.schedule(pod, run, now)
            if not bound:
                return delay
            pod = self.store.get("/pods", namespace, name) or pod
        # Every step that is due, up to a bound: a pod never keeps the kubelet from its other pods for long.
        for _ in range(50):
            if not self._advance(pod, run, clock.now()):
                break
        self._write_status(pod, run, clock.now())
        return run.next_due(clock.now())

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

    def _forget(self) -> None:
        live = {str(p["metadata"].get("uid")) for p in self.store.list("/pods")}
        for uid in [u for u in self.runs if u not in live]:
            run = self.runs.pop(uid)
            self._ips.discard(run.ip)

    # --- a pod's life ---------------------------------------------------------------------------------------------

    def _advance(self, pod: JSON, run: PodRun, now: float) -> bool:
        """Take the step that is due (the sandbox's, or the current container's); True when something changed."""
        if run.step == "sandbox":
            if now < run.due:
                return False
            problem = self._mount_problem(pod)
            if problem:
                run.mount_failures += 1
                pod_event(self.context.events, pod, WARNING, "FailedMount", problem)
                run.due = now + self.timings.backoff(run.mount_failures)
                return False
            run.ip = run.ip or self._allocate_ip()
            run.sandbox_ready = True
            run.step = "containers"
            return True
        if run.step != "containers":
            return False
        current = run.current()
        if current is None:
            return False
        return self.runtime.advance(pod, current, now)

    def _mount_problem(self, pod: JSON) -> str:
        """A ConfigMap or Secret volume whose source is missing (the sandbox waits for it)."""
        namespace = str(pod["metadata"].get("namespace"))
        for volume in (pod.get("spec") or {}).get("volumes") or []:
            for source, resource, ref_key in (
                ("configMap", "/configmaps", "name"),
                ("secret", "/secrets", "secretName"),
            ):
                ref = volume.get(source)
                if isinstance(ref, dict) and not ref.get("optional"):
                    target = str(ref.get(ref_key) or "")
                    if self.store.get(resource, namespace, target) is None:
                        kind = "configmap" if source == "configMap" else "secret"
                        return (
                            f'MountVolume.SetUp failed for volume "{volume.get("name")}" : {kind} "{target}" not found'
                        )
        return ""

    def _allocate_ip(self) -> str:
        for _ in range(POD_CIDR.num_addresses):
            candidate = str(POD_CIDR.network_address + self._next_ip)
            self._next_ip = self._next_ip + 1 if self._next_ip < POD_CIDR.num_addresses - 2 else 2
            if candidate not in self._ips:
                self._ips.add(candidate)
                return candidate
        raise RuntimeError("pod CIDR exhausted")

    def _terminate(self, pod: JSON, run: PodRun, now: float) -> float | None:
        """Stop the containers of a pod being deleted (within its grace period, scaled); then the deletion
        completes."""
        if run.killing_until is None:
            grace = int(pod["metadata"].get("deletionGracePeriodSeconds") or 0)
            running = [c for c in run.containers if c.state == "running"]
            for c in running:
                pod_event(self.context.events, pod, NORMAL, "Killing", f"Stopping container {c.name}", c)
            t = self.timings
            delay = min(t.terminate, grace * t.spec_seconds_scale + t.terminate) if running else 0.0
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

    def _write_status(self, pod: JSON, run: PodRun, now: float) -> None:
        current = self.store.get("/pods", str(pod["metadata"].get("namespace")), pod["metadata"]["name"])
        if current is not None:
            self.write_status("/pods", current, pod_status(current, run, now))

    # --- after a restart --------------------------------------------------------------------------------------------

    def _adopt(self, pod: JSON, now: float) -> PodRun:
        """The kubelet's view of a pod it has not seen: new, or rebuilt from its status after a restart from a
        snapshot."""
        spec = pod.get("spec") or {}
        policy = spec.get("restartPolicy", "Always")
        run = PodRun(uid=str(pod["metadata"].get("uid")), due=now + self.timings.schedule)
        for c in spec.get("initContainers") or []:
            run.containers.append(
                ContainerRun(
                    str(c["name"]), str(c.get("image") or ""), True, restart=policy != "Never", reason="PodInitializing"
                )
            )
        for c in spec.get("containers") or []:
            run.containers.append(
                ContainerRun(str(c["name"]), str(c.get("image") or ""), False, restart=policy == "Always")
            )
        status = pod.get("status") or {}
        if not spec.get("nodeName"):
            return run
        run.scheduled = True
        run.start_time = clock.parse_time(status.get("startTime")) or now
        run.ip = str(status.get("podIP") or "")
        if run.ip:
            self._ips.add(run.ip)
        for cond in status.get("conditions") or []:
            run.transitions[str(cond.get("type"))] = (
                str(cond.get("status")),
                str(cond.get("lastTransitionTime") or clock.rfc3339(now)),
            )
        if not run.ip:
            run.step, run.due = "sandbox", now
            return run
        run.step, run.sandbox_ready = "containers", True
        statuses = {
            cs.get("name"): cs
            for cs in (status.get("containerStatuses") or []) + (status.get("initContainerStatuses") or [])
        }
        for c in run.containers:
            if c.name in statuses:
                self._adopt_container(pod, c, statuses[c.name], now)
        return run

    def _adopt_container(self, pod: JSON, c: ContainerRun, cs: JSON, now: float) -> None:
        """A container's state from its status: running on, finished, or back-off before a restart."""
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
            c.exit_at = self.runtime.exit_time(pod, c, c.started_at)
            self.runtime.images.add(c.image)
        elif state.get("terminated") and not c.restart:
            term = state["terminated"]
            c.step, c.state = "done", "terminated"
            c.started_at = clock.parse_time(term.get("startedAt"))
            c.finished_at = clock.parse_time(term.get("finishedAt"))
            c.exit_code = int(term.get("exitCode") or 0)
            c.exit_reason = str(term.get("reason") or "")
        elif c.last_terminated or state.get("terminated"):
            c.started_at = clock.parse_time((c.last_terminated or state.get("terminated") or {}).get("startedAt"))
            c.step, c.due = "crash-backoff", now + self.timings.backoff(1)
            c.state, c.reason = "waiting", "CrashLoopBackOff"
            c.failures = 1
