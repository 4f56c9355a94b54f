"""The pod status the kubelet reports for a run: phase, conditions, container statuses (pure, but for the
transition times a run remembers)."""

from __future__ import annotations

from typing import Any

from kubesim import bootstrap, clock
from kubesim.controllers.kubelet.images import normalize_image
from kubesim.controllers.kubelet.runs import ContainerRun, PodRun

JSON = dict[str, Any]


def condition(run: PodRun, kind: str, ok: bool, now: float, reason: str = "", message: str = "") -> JSON:
    """A pod condition; its ``lastTransitionTime`` is when the run last saw its status change."""
    value = "True" if ok else "False"
    before = run.transitions.get(kind)
    if before is None or before[0] != value:
        run.transitions[kind] = (value, clock.rfc3339(now))
    cond: JSON = {"type": kind, "status": value, "lastProbeTime": None, "lastTransitionTime": run.transitions[kind][1]}
    if not ok and reason:
        cond["reason"] = reason
        if message:
            cond["message"] = message
    return cond


def container_status(c: ContainerRun, initializing: bool) -> JSON:
    """A container's status; main containers wait with ``PodInitializing`` while init containers run."""
    if c.state == "running":
        state: JSON = {"running": {"startedAt": clock.rfc3339(c.started_at or 0)}}
    elif c.state == "terminated":
        state = {
            "terminated": {
                "exitCode": c.exit_code,
                "reason": c.exit_reason or c.reason,
                "startedAt": clock.rfc3339(c.started_at or 0),
                "finishedAt": clock.rfc3339(c.finished_at or 0),
                "containerID": c.container_id,
            }
        }
    else:
        reason = "PodInitializing" if initializing and not c.init and c.reason == "ContainerCreating" else c.reason
        waiting: JSON = {"reason": reason}
        if c.message:
            waiting["message"] = c.message
        state = {"waiting": waiting}
    out: JSON = {
        "name": c.name,
        "state": state,
        "lastState": {"terminated": c.last_terminated} if c.last_terminated else {},
        "ready": c.ready,
        "restartCount": c.restart_count,
        "image": normalize_image(c.image),
        "imageID": c.image_id,
        "started": c.state == "running",
    }
    if c.container_id:
        out["containerID"] = c.container_id
    return out


def phase(restart_policy: str, run: PodRun) -> str:
    """The pod phase from its containers, as the kubelet computes it."""
    inits = run.inits
    if any(c.step != "done" or c.exit_code != 0 for c in inits):
        return "Failed" if any(c.step == "done" and c.exit_code != 0 for c in inits) else "Pending"
    mains = run.mains
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
    if waiting:
        return "Pending"
    if running:
        return "Running"
    if not stopped:
        return "Pending"
    if restart_policy == "Always":
        return "Running"
    if succeeded == len(mains):
        return "Succeeded"
    if restart_policy == "OnFailure" and any(c.step != "done" for c in mains):
        return "Running"
    return "Failed" if failed else "Running"


def pod_status(pod: JSON, run: PodRun, now: float) -> JSON:
    """The status of ``pod`` (as stored now) for ``run``; the QoS class is kept from the stored status."""
    status: JSON = {"phase": phase((pod.get("spec") or {}).get("restartPolicy", "Always"), run)}
    inits, mains = run.inits, run.mains
    initializing = any(c.step != "done" for c in inits)
    terminal = status["phase"] in ("Succeeded", "Failed")
    not_ready = [c.name for c in mains if not c.ready]
    incomplete = [c.name for c in inits if c.step != "done" or c.exit_code != 0]
    if terminal:
        ready_reason, ready_message = "PodCompleted", ""
    else:
        ready_reason = "ContainersNotReady"
        ready_message = f"containers with unready status: [{' '.join(not_ready)}]"
    all_ready = not not_ready and not terminal and not pod["metadata"].get("deletionTimestamp")
    status["conditions"] = [
        condition(run, "PodReadyToStartContainers", run.sandbox_ready and not terminal, now),
        condition(
            run,
            "Initialized",
            not incomplete,
            now,
            "ContainersNotInitialized",
            f"containers with incomplete status: [{' '.join(incomplete)}]",
        ),
        condition(run, "Ready", all_ready, now, ready_reason, ready_message),
        condition(run, "ContainersReady", all_ready, now, ready_reason, ready_message),
        condition(run, "PodScheduled", True, now),
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
        status["initContainerStatuses"] = [container_status(c, False) for c in inits]
    status["containerStatuses"] = [container_status(c, initializing) for c in mains]
    status["qosClass"] = (pod.get("status") or {}).get("qosClass") or "BestEffort"
    return status
