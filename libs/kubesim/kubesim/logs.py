"""Synthetic container logs: deterministic lines per container instance, one every ``log_interval`` seconds while
the container runs; ``follow`` streams new lines as they are due. What a log request reads is bytes, or a stream of
them when following; ``app.py`` turns that into the HTTP response."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kubesim import clock, status
from kubesim.apiserver import ApiServer
from kubesim.names import stable_fraction
from kubesim.query import integer
from kubesim.status import ApiError

JSON = dict[str, Any]
# (pod uid, container, previous) -> exact (start, end) of that instance when the kubelet ran it, else None.
InstanceTimes = Callable[[str, str, bool], "tuple[float, float | None] | None"]

_PATHS = ("/", "/healthz", "/api/items", "/api/items/42", "/login", "/static/app.js", "/metrics", "/api/users/me")
_METHODS = ("GET", "GET", "GET", "POST", "GET", "PUT", "GET", "DELETE")
_STATUSES = (200, 200, 200, 200, 201, 204, 304, 404)
_LEVELS = ("INFO", "INFO", "INFO", "DEBUG", "INFO", "WARN")


def _short_image(image: str) -> str:
    return image.rsplit("/", 1)[-1]


def line_text(pod: str, container: str, image: str, instance: int, index: int, ports: list[int]) -> str:
    """The ``index``-th line of a container instance (no timestamp)."""
    if index == 0:
        return f"Starting {_short_image(image)} (container {container}, pod {pod})"
    if index == 1:
        return f"Listening on 0.0.0.0:{ports[0]}" if ports else "Initialization complete"
    f = stable_fraction(pod, container, str(instance), str(index))
    g = stable_fraction(container, str(index), pod)
    level = _LEVELS[int(f * len(_LEVELS))]
    if index % 7 == 3:
        return f"{level} worker heartbeat ok (queue={int(g * 20)} uptime={index}s)"
    method = _METHODS[int(g * len(_METHODS))]
    path = _PATHS[int(f * 997) % len(_PATHS)]
    code = _STATUSES[int(g * 991) % len(_STATUSES)]
    latency = 1 + int(f * 250)
    request_id = f"{int(g * 0xFFFFFF):06x}"
    return f"{level} {method} {path} {code} {latency}ms request_id={request_id}"


@dataclass
class Instance:
    """The part of a container's life whose output is asked for."""

    start: float
    end: float | None  # None while it runs
    number: int  # restart count of the instance (seeds its lines)
    exit_code: int
    reason: str


@dataclass
class Query:
    container: str
    follow: bool
    previous: bool
    timestamps: bool
    tail_lines: int | None
    since: float | None
    limit_bytes: int | None


def _int_param(query: Mapping[str, str], name: str) -> int | None:
    return integer(query.get(name), name)


def _bool_param(query: Mapping[str, str], name: str) -> bool:
    return str(query.get(name, "")).lower() in ("true", "1")


class Logs:
    """Reads pods through ``api``; ``stopping`` set ends every follow (the server is shutting down)."""

    def __init__(self, api: ApiServer, interval: float, stopping: asyncio.Event, instance_times: InstanceTimes) -> None:
        self.api = api
        self.interval = interval
        self.stopping = stopping
        self.instance_times = instance_times

    def _pod(self, namespace: str, name: str) -> JSON:
        return self.api.get(self.api.rt("", "pods"), namespace, name)

    def _parse(self, pod: JSON, query: Mapping[str, str]) -> Query:
        spec = pod.get("spec") or {}
        name = pod["metadata"]["name"]
        containers = [c["name"] for c in spec.get("containers") or []]
        inits = [c["name"] for c in spec.get("initContainers") or []]
        container = str(query.get("container") or "")
        if not container:
            default = (pod["metadata"].get("annotations") or {}).get("kubectl.kubernetes.io/default-container")
            if len(containers) == 1:
                container = containers[0]
            elif default in containers:
                container = str(default)
            else:
                message = f"a container name must be specified for pod {name}, choose one of: [{' '.join(containers)}]"
                if inits:
                    message += f" or one of the init containers: [{' '.join(inits)}]"
                raise status.bad_request(message)
        if container not in containers and container not in inits:
            raise status.bad_request(f"container {container} is not valid for pod {name}")
        since: float | None = None
        since_seconds = _int_param(query, "sinceSeconds")
        if since_seconds is not None:
            since = clock.now() - since_seconds
        elif query.get("sinceTime"):
            since = clock.parse_time(str(query.get("sinceTime")))
        tail = _int_param(query, "tailLines")
        return Query(
            container=container,
            follow=_bool_param(query, "follow"),
            previous=_bool_param(query, "previous"),
            timestamps=_bool_param(query, "timestamps"),
            tail_lines=tail if tail is None or tail >= 0 else None,
            since=since,
            limit_bytes=_int_param(query, "limitBytes"),
        )

    @staticmethod
    def _container(pod: JSON, container: str) -> tuple[JSON, JSON | None]:
        spec = pod.get("spec") or {}
        definition = next(
            c for c in (spec.get("containers") or []) + (spec.get("initContainers") or []) if c["name"] == container
        )
        statuses = ((pod.get("status") or {}).get("containerStatuses") or []) + (
            (pod.get("status") or {}).get("initContainerStatuses") or []
        )
        return definition, next((s for s in statuses if s.get("name") == container), None)

    def instance_of(self, pod: JSON, container: str, previous: bool) -> Instance:
        instance = self._instance_from_status(pod, container, previous)
        exact = self.instance_times(str(pod["metadata"].get("uid")), container, previous)
        # Statuses carry whole seconds; the kubelet knows the exact times of the instances it ran.
        if exact is not None and abs(exact[0] - instance.start) < 1.5:
            instance.start = exact[0]
            if instance.end is not None and exact[1] is not None:
                instance.end = exact[1]
        return instance

    @staticmethod
    def _instance_from_status(pod: JSON, container: str, previous: bool) -> Instance:
        name = pod["metadata"]["name"]
        _, cs = Logs._container(pod, container)
        if previous:
            last = ((cs or {}).get("lastState") or {}).get("terminated")
            if not last:
                raise status.bad_request(f'previous terminated container "{container}" in pod "{name}" not found')
            return Instance(
                start=clock.parse_time(last.get("startedAt")) or 0.0,
                end=clock.parse_time(last.get("finishedAt")),
                number=max(0, int((cs or {}).get("restartCount") or 0) - 1),
                exit_code=int(last.get("exitCode") or 0),
                reason=str(last.get("reason") or ""),
            )
        state = (cs or {}).get("state") or {}
        restarts = int((cs or {}).get("restartCount") or 0)
        if state.get("running"):
            return Instance(
                start=clock.parse_time(state["running"].get("startedAt")) or clock.now(),
                end=None,
                number=restarts,
                exit_code=0,
                reason="",
            )
        if state.get("terminated"):
            term = state["terminated"]
            return Instance(
                start=clock.parse_time(term.get("startedAt")) or 0.0,
                end=clock.parse_time(term.get("finishedAt")),
                number=restarts,
                exit_code=int(term.get("exitCode") or 0),
                reason=str(term.get("reason") or ""),
            )
        last = ((cs or {}).get("lastState") or {}).get("terminated")
        if last:
            # Waiting to restart (CrashLoopBackOff): the logs are those of the container that last ran.
            return Instance(
                start=clock.parse_time(last.get("startedAt")) or 0.0,
                end=clock.parse_time(last.get("finishedAt")),
                number=max(0, restarts - 1),
                exit_code=int(last.get("exitCode") or 0),
                reason=str(last.get("reason") or ""),
            )
        reason = ((state.get("waiting") or {}).get("reason")) or "ContainerCreating"
        raise ApiError(400, "BadRequest", f'container "{container}" in pod "{name}" is waiting to start: {reason}')

    def lines(self, pod: JSON, container: str, instance: Instance, first: int, last: int) -> list[tuple[float, str]]:
        """Lines ``first..last`` (inclusive) of an instance, with their timestamps."""
        definition, _ = self._container(pod, container)
        ports = [int(p["containerPort"]) for p in definition.get("ports") or [] if p.get("containerPort")]
        image = str(definition.get("image") or "")
        name = pod["metadata"]["name"]
        out = []
        final = self._final_index(instance)
        for index in range(max(0, first), last + 1):
            ts = instance.start + index * self.interval
            if final is not None and index == final:
                assert instance.end is not None
                out.append((instance.end, self._exit_line(instance)))
            else:
                out.append((ts, line_text(name, container, image, instance.number, index, ports)))
        return out

    def _final_index(self, instance: Instance) -> int | None:
        if instance.end is None:
            return None
        return math.floor(max(0.0, instance.end - instance.start) / self.interval) + 1

    @staticmethod
    def _exit_line(instance: Instance) -> str:
        if instance.exit_code == 0:
            return "Work finished successfully, exiting (code 0)"
        if instance.reason == "OOMKilled":
            return "FATAL: out of memory allocating buffer; killed (code 137)"
        return (
            f"FATAL: unhandled error: connection refused (dial tcp 10.96.0.10:5432); exiting (code "
            f"{instance.exit_code})"
        )

    def last_index(self, instance: Instance, at: float) -> int:
        """The index of the newest line that exists at ``at`` (-1 for none)."""
        final = self._final_index(instance)
        if final is not None:
            return final
        if at < instance.start:
            return -1
        return math.floor((at - instance.start) / self.interval)

    def first_index_since(self, instance: Instance, since: float) -> int:
        if since <= instance.start:
            return 0
        return math.ceil((since - instance.start) / self.interval)

    @staticmethod
    def _format(ts: float, text: str, timestamps: bool) -> bytes:
        return ((clock.rfc3339_nano(ts) + " " if timestamps else "") + text + "\n").encode()

    def read(self, namespace: str, name: str, query: Mapping[str, str]) -> bytes | AsyncIterator[bytes]:
        """What a ``pods/log`` request with ``query`` reads: the lines so far, or (following a running container)
        a stream that goes on with each new line."""
        pod = self._pod(namespace, name)
        q = self._parse(pod, query)
        instance = self.instance_of(pod, q.container, q.previous)
        now = clock.now()
        last = self.last_index(instance, now)
        first = 0
        if q.since is not None:
            first = self.first_index_since(instance, q.since)
        if q.tail_lines is not None:
            first = max(first, last - q.tail_lines + 1)
        backlog = [
            self._format(ts, text, q.timestamps) for ts, text in self.lines(pod, q.container, instance, first, last)
        ]
        if not q.follow or instance.end is not None or q.previous:
            body = b"".join(backlog)
            if q.limit_bytes is not None:
                body = body[: max(0, q.limit_bytes)]
            return body
        return self._follow(namespace, name, q, instance, backlog, last + 1)

    async def _follow(
        self, namespace: str, name: str, q: Query, instance: Instance, backlog: list[bytes], next_index: int
    ) -> AsyncIterator[bytes]:
        sent = 0
        limit = q.limit_bytes

        def clip(chunk: bytes) -> bytes:
            nonlocal sent
            if limit is not None:
                chunk = chunk[: max(0, limit - sent)]
            sent += len(chunk)
            return chunk

        if backlog:
            yield clip(b"".join(backlog))
        rt = self.api.rt("", "pods")
        while limit is None or sent < limit:
            due = instance.start + next_index * self.interval
            delay = due - clock.now()
            if delay > 0:
                try:
                    await asyncio.wait_for(self.stopping.wait(), timeout=min(delay, 1.0))
                except TimeoutError:
                    pass
            if self.stopping.is_set():
                break
            pod_now = self.api.store.get(rt.key, namespace, name)
            if pod_now is None:
                break
            current = self._current(pod_now, q.container)
            if current is None or current.number != instance.number or abs(current.start - instance.start) > 1.0:
                break
            if current.end is not None:
                final = self.last_index(current, clock.now())
                lines = self.lines(pod_now, q.container, current, next_index, final)
                if lines:
                    yield clip(b"".join(self._format(ts, text, q.timestamps) for ts, text in lines))
                break
            if clock.now() < due:
                continue
            for ts, text in self.lines(pod_now, q.container, instance, next_index, next_index):
                yield clip(self._format(ts, text, q.timestamps))
            next_index += 1

    def _current(self, pod: JSON, container: str) -> Instance | None:
        try:
            return self.instance_of(pod, container, previous=False)
        except ApiError:
            return None
