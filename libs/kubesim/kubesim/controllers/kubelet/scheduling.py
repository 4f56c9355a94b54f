"""The default scheduler for the one node: a pod is bound when its claims are bound (or wait for their first
consumer), the node is schedulable and matches its selector, and it fits into what the node has left."""

from __future__ import annotations

import copy
from typing import Any

from kubesim import bootstrap, clock, quantity
from kubesim.apiserver import WriteOptions
from kubesim.controllers.base import Context
from kubesim.controllers.events import NORMAL, WARNING
from kubesim.controllers.kubelet.runs import SCHEDULER, PodRun, pod_event
from kubesim.status import ApiError

JSON = dict[str, Any]
NO_PREEMPTION = " preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
WAIT = "wait"  # a claim is being provisioned for the pod: no event, try again soon


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


class Scheduler:
    def __init__(self, context: Context) -> None:
        self.context = context
        self.api = context.api
        self.store = context.store

    def schedule(self, pod: JSON, run: PodRun, now: float) -> tuple[bool, float | None]:
        """Bind the pod when it fits; (bound, seconds until the next attempt)."""
        if now < run.due:
            return False, run.due - now
        problem = self.fit(pod)
        if problem == WAIT:
            return False, max(0.05, self.context.timings.schedule * 5)
        if problem:
            return False, self._unschedulable(pod, run, problem, now)
        ns, name = pod["metadata"].get("namespace"), pod["metadata"]["name"]
        try:
            self.api.bind(ns, name, bootstrap.NODE_NAME, WriteOptions(field_manager=SCHEDULER))
        except ApiError:
            return False, 0.1
        run.scheduled = True
        run.transitions["PodScheduled"] = ("True", clock.rfc3339(now))
        pod_event(
            self.context.events,
            pod,
            NORMAL,
            "Scheduled",
            f"Successfully assigned {ns}/{name} to {bootstrap.NODE_NAME}",
            component=SCHEDULER,
        )
        run.step = "sandbox"
        run.start_time = now
        run.due = now + self.context.timings.sandbox
        return True, 0.0

    def _unschedulable(self, pod: JSON, run: PodRun, problem: str, now: float) -> float:
        """Report why the pod does not fit (event and PodScheduled condition, once per message); the retry delay."""
        retry = max(1.0, self.context.timings.backoff_base * 5)
        message = f"0/1 nodes are available: {problem}"
        if run.scheduling_message != message or now >= run.due:
            pod_event(self.context.events, pod, WARNING, "FailedScheduling", message, component=SCHEDULER)
            run.scheduling_message = message
        status = copy.deepcopy(pod.get("status") or {})
        cond = {
            "type": "PodScheduled",
            "status": "False",
            "lastProbeTime": None,
            "lastTransitionTime": clock.rfc3339(now),
            "reason": "Unschedulable",
            "message": message,
        }
        existing = [c for c in status.get("conditions") or [] if c.get("type") == "PodScheduled"]
        if not existing or existing[0].get("message") != message:
            status["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"] + [
                cond
            ]
            status["phase"] = "Pending"
            updated = copy.deepcopy(pod)
            updated["status"] = status
            self.api.write(self.api.rt("", "pods"), updated, SCHEDULER, "status")
        run.due = now + retry
        return retry

    def fit(self, pod: JSON) -> str:
        """Why the pod cannot go on the node ("" when it fits, ``WAIT`` while volumes are being provisioned)."""
        spec = pod.get("spec") or {}
        node = self.store.get("/nodes", "", bootstrap.NODE_NAME)
        if node is None:
            return "no nodes available to schedule pods."
        problem = self._claims_problem(pod)
        if problem:
            return problem
        if (node.get("spec") or {}).get("unschedulable"):
            return f"1 node(s) were unschedulable.{NO_PREEMPTION}"
        labels = node["metadata"].get("labels") or {}
        for key, value in (spec.get("nodeSelector") or {}).items():
            if labels.get(key) != value:
                return f"1 node(s) didn't match Pod's node affinity/selector.{NO_PREEMPTION}"
        return self._resources_problem(node, spec)

    def _claims_problem(self, pod: JSON) -> str:
        """A claim the pod uses that is missing or not bound (a claim waiting for its first consumer gets this
        node selected, and the pod waits)."""
        namespace = str(pod["metadata"].get("namespace"))
        for volume in (pod.get("spec") or {}).get("volumes") or []:
            claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            if not claim:
                continue
            pvc = self.store.get("/persistentvolumeclaims", namespace, str(claim))
            if pvc is None:
                return f'persistentvolumeclaim "{claim}" not found.{NO_PREEMPTION}'
            if (pvc.get("status") or {}).get("phase") == "Bound":
                continue
            sc = self.store.get(
                "storage.k8s.io/storageclasses", "", str((pvc.get("spec") or {}).get("storageClassName") or "")
            )
            if sc is not None and sc.get("volumeBindingMode") == "WaitForFirstConsumer":
                self._select_node(pvc)
                return WAIT
            return f"pod has unbound immediate PersistentVolumeClaims.{NO_PREEMPTION}"
        return ""

    def _resources_problem(self, node: JSON, spec: JSON) -> str:
        """What the node lacks for the pod, after the requests of the pods already on it."""
        allocatable = (node.get("status") or {}).get("allocatable") or {}
        cpu_free = quantity.cpu_millis(allocatable.get("cpu"))
        mem_free = quantity.memory_bytes(allocatable.get("memory"))
        pods_free = int(allocatable.get("pods") or 110)
        for other in self.store.list("/pods"):
            other_spec = other.get("spec") or {}
            if other_spec.get("nodeName") != bootstrap.NODE_NAME or (other.get("status") or {}).get("phase") in (
                "Succeeded",
                "Failed",
            ):
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
            return (
                ", ".join(missing) + ". preemption: 0/1 nodes are available: 1 No preemption victims found "
                "for incoming pod."
            )
        return ""

    def _select_node(self, pvc: JSON) -> None:
        annotations = pvc["metadata"].get("annotations") or {}
        if annotations.get("volume.kubernetes.io/selected-node") == bootstrap.NODE_NAME:
            return
        updated = copy.deepcopy(pvc)
        updated["metadata"].setdefault("annotations", {})["volume.kubernetes.io/selected-node"] = bootstrap.NODE_NAME
        self.api.write(self.api.rt("", "persistentvolumeclaims"), updated, SCHEDULER)
