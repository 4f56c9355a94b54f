"""The node's container runtime as the kubelet drives it: pulling images (with the markers of ``images``),
creating and starting containers, readiness, exits, and the back-offs in between. One call advances one container
by one step, recording the events the kubelet records for it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from kubesim import clock
from kubesim.controllers.base import Context
from kubesim.controllers.events import NORMAL, WARNING
from kubesim.controllers.kubelet.images import image_behaviour, image_id, normalize_image
from kubesim.controllers.kubelet.runs import WAITING, ContainerRun, definition, pod_event
from kubesim.names import stable_fraction
from kubesim.timings import Timings

JSON = dict[str, Any]
Step = Callable[[JSON, ContainerRun, float], bool]


class ContainerRuntime:
    def __init__(self, context: Context) -> None:
        self.context = context
        self.store = context.store
        self.images: set[str] = set()  # pulled onto the node (``IfNotPresent`` does not pull them again)
        self._steps: dict[str, Step] = {
            "pull": self._pull,
            "pulling": self._pulled,
            "pull-failed": self._pull_failed,
            "pull-backoff": self._retry,
            "create": self._start,
            "config-wait": self._start,
            "running": self._running,
            "exited": self._exited,
            "crash-backoff": self._retry,
        }

    @property
    def t(self) -> Timings:
        return self.context.timings

    def _event(self, pod: JSON, type_: str, reason: str, message: str, c: ContainerRun) -> None:
        pod_event(self.context.events, pod, type_, reason, message, c)

    def advance(self, pod: JSON, c: ContainerRun, now: float) -> bool:
        """Take the container's next step if it is due; True when something changed."""
        if c.step in WAITING and now < c.due:
            return False
        step = self._steps.get(c.step)
        return step(pod, c, now) if step is not None else False

    # --- images -------------------------------------------------------------------------------------------------

    def _pull(self, pod: JSON, c: ContainerRun, now: float) -> bool:
        policy = definition(pod, c).get("imagePullPolicy", "IfNotPresent")
        if policy == "Never" or (policy == "IfNotPresent" and c.image in self.images):
            if policy == "Never" and c.image not in self.images and image_behaviour(c.image) == "pull-fail":
                c.state, c.reason = "waiting", "ErrImageNeverPull"
                c.message = f'Container image "{c.image}" is not present with pull policy of Never'
                self._event(pod, WARNING, "ErrImageNeverPull", c.message, c)
                c.step, c.due = "pull-backoff", now + self.t.backoff(c.failures + 1)
                return True
            self._event(pod, NORMAL, "Pulled", f'Container image "{c.image}" already present on machine', c)
            c.step, c.due = "create", now + self.t.start
            return True
        self._event(pod, NORMAL, "Pulling", f'Pulling image "{c.image}"', c)
        c.step, c.due, c.pull_started = "pulling", now + self.t.pull, now
        return True

    def _pulled(self, pod: JSON, c: ContainerRun, now: float) -> bool:
        """The pull finishes: the image is on the node, or (marked images) the registry does not have it."""
        if image_behaviour(c.image) == "pull-fail":
            c.failures += 1
            ref = normalize_image(c.image)
            not_found = (
                f'failed to pull and unpack image "{ref}": failed to resolve reference "{ref}": {ref}: not found'
            )
            self._event(
                pod,
                WARNING,
                "Failed",
                f'Failed to pull image "{c.image}": rpc error: code = NotFound desc = {not_found}',
                c,
            )
            self._event(pod, WARNING, "Failed", "Error: ErrImagePull", c)
            c.state, c.reason = "waiting", "ErrImagePull"
            c.message = f"rpc error: code = NotFound desc = {not_found}"
            c.step, c.due = "pull-failed", now + min(self.t.backoff(c.failures) / 2, 2.0)
            return True
        took = now - c.pull_started
        size = 10_000_000 + int(stable_fraction(c.image) * 150_000_000)
        self._event(
            pod,
            NORMAL,
            "Pulled",
            f'Successfully pulled image "{c.image}" in {took:.3f}s '
            f"({took:.3f}s including waiting). Image size: {size} bytes.",
            c,
        )
        self.images.add(c.image)
        c.step, c.due = "create", now + self.t.start
        return True

    def _pull_failed(self, pod: JSON, c: ContainerRun, now: float) -> bool:
        self._event(pod, NORMAL, "BackOff", f'Back-off pulling image "{c.image}"', c)
        self._event(pod, WARNING, "Failed", "Error: ImagePullBackOff", c)
        c.state, c.reason = "waiting", "ImagePullBackOff"
        c.message = f'Back-off pulling image "{c.image}": ErrImagePull: {c.message}'
        c.step, c.due = "pull-backoff", now + self.t.backoff(c.failures)
        return True

    @staticmethod
    def _retry(pod: JSON, c: ContainerRun, now: float) -> bool:
        """A back-off is over: pull again (which finds the image on the node when it was pulled before)."""
        c.step, c.due = "pull", now
        return True

    # --- running ------------------------------------------------------------------------------------------------

    def _start(self, pod: JSON, c: ContainerRun, now: float) -> bool:
        """Create and start the container, unless a ConfigMap or Secret it reads is missing."""
        spec_entry = definition(pod, c)
        problem = self._config_problem(pod, spec_entry)
        if problem:
            c.failures += 1
            c.state, c.reason, c.message = "waiting", "CreateContainerConfigError", problem
            self._event(pod, WARNING, "Failed", f"Error: {problem}", c)
            c.step, c.due = "config-wait", now + self.t.backoff(c.failures)
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
        c.container_id = "containerd://" + self.context.names.hex(64)
        c.image_id = image_id(c.image)
        c.ready = False
        c.ready_at = None if c.init else now + self._ready_delay(spec_entry)
        c.exit_at = self.exit_time(pod, c, now)
        return True

    def _running(self, pod: JSON, c: ContainerRun, now: float) -> bool:
        changed = False
        if c.ready_at is not None and not c.ready and now >= c.ready_at:
            c.ready = True
            changed = True
        if c.exit_at is not None and now >= c.exit_at:
            self._exit(pod, c, now)
            return True
        return changed

    def _exited(self, pod: JSON, c: ContainerRun, now: float) -> bool:
        """A container that exited and is restarted waits in CrashLoopBackOff first."""
        c.state, c.reason = "waiting", "CrashLoopBackOff"
        delay = self.t.backoff(c.failures)
        meta = pod["metadata"]
        who = f"pod={meta['name']}_{meta.get('namespace')}({meta.get('uid')})"
        c.message = f"back-off {int(delay)}s restarting failed container={c.name} {who}"
        self._event(
            pod,
            WARNING,
            "BackOff",
            f"Back-off restarting failed container {c.name} in pod {who.removeprefix('pod=')}",
            c,
        )
        c.step, c.due = "crash-backoff", now + delay
        return True

    def _exit(self, pod: JSON, c: ContainerRun, now: float) -> None:
        behaviour = image_behaviour(c.image)
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
        restart = c.restart or (code != 0 and pod.get("spec", {}).get("restartPolicy") == "OnFailure")
        if c.init and code == 0:
            restart = False
        c.state, c.reason = "terminated", reason
        if not restart:
            c.step = "done"
            return
        c.failures += 1
        c.last_terminated = {
            "exitCode": code,
            "reason": reason,
            "startedAt": clock.rfc3339(c.started_at or now),
            "finishedAt": clock.rfc3339(now),
            "containerID": c.container_id,
        }
        c.last_started, c.last_finished = c.started_at, now
        c.step, c.due = "exited", now + max(self.t.start, 0.01)

    # --- timing -------------------------------------------------------------------------------------------------

    def exit_time(self, pod: JSON, c: ContainerRun, started: float) -> float | None:
        """When a container started at ``started`` exits by itself (None: it runs until it is stopped)."""
        if image_behaviour(c.image) in ("crash", "oom"):
            return started + self.t.crash_after
        if c.init:
            return started + self._run_time(pod, c, default=self.t.job_run / 3)
        if (pod.get("spec") or {}).get("restartPolicy", "Always") != "Always":
            return started + self._run_time(pod, c)
        return None

    def _run_time(self, pod: JSON, c: ContainerRun, default: float | None = None) -> float:
        """How long a run-to-completion container runs: ``sleep N`` in its command is honoured (scaled)."""
        spec_entry = definition(pod, c)
        text = " ".join(str(w) for w in (spec_entry.get("command") or []) + (spec_entry.get("args") or []))
        match = re.search(r"\bsleep\s+(\d+(?:\.\d+)?)\b", text)
        if match:
            return float(match.group(1)) * self.t.spec_seconds_scale + self.t.start
        return float(self.t.job_run if default is None else default)

    def _ready_delay(self, spec_entry: JSON) -> float:
        probe = spec_entry.get("readinessProbe") or spec_entry.get("startupProbe")
        if not probe:
            return 0.0
        return float(probe.get("initialDelaySeconds") or 0) * self.t.spec_seconds_scale + self.t.ready

    # --- configuration ------------------------------------------------------------------------------------------

    def _config_problem(self, pod: JSON, spec_entry: JSON) -> str:
        """What the container's environment refers to and is missing (a ConfigMap, a Secret or a key)."""
        namespace = str(pod["metadata"].get("namespace"))
        for env in spec_entry.get("env") or []:
            source = env.get("valueFrom") or {}
            for key, resource, kind in (
                ("secretKeyRef", "/secrets", "secret"),
                ("configMapKeyRef", "/configmaps", "configmap"),
            ):
                ref = source.get(key)
                if not isinstance(ref, dict) or ref.get("optional"):
                    continue
                obj = self.store.get(resource, namespace, str(ref.get("name") or ""))
                if obj is None:
                    return f'{kind} "{ref.get("name")}" not found'
                if ref.get("key") not in (obj.get("data") or {}) and ref.get("key") not in (
                    obj.get("binaryData") or {}
                ):
                    return (
                        f"couldn't find key {ref.get('key')} in {'Secret' if kind == 'secret' else 'ConfigMap'} "
                        f"{namespace}/{ref.get('name')}"
                    )
        for source in spec_entry.get("envFrom") or []:
            for key, resource, kind in (
                ("secretRef", "/secrets", "secret"),
                ("configMapRef", "/configmaps", "configmap"),
            ):
                ref = source.get(key)
                if (
                    isinstance(ref, dict)
                    and not ref.get("optional")
                    and self.store.get(resource, namespace, str(ref.get("name") or "")) is None
                ):
                    return f'{kind} "{ref.get("name")}" not found'
        return ""
