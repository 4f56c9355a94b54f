"""One shared follower of a container's log, for every viewer of that pod on every edge replica.

It keeps the last lines (the tail new viewers get first) and publishes new lines in small batches. When the
follow ends (the container stopped or restarted) it follows again from the last line's time, skipping what it
has already seen; it ends for good when the pod is gone.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable

from oneclick_core.contracts.streaming import LogLine, LogLines, LogTail
from oneclick_core.kinds import POD
from oneclick_core.observability.logs import get_logger
from oneclick_kube.client import Kube, read_timeout
from oneclick_kube.errors import KubeError
from oneclick_kube.loglines import nanos_to_datetime
from oneclick_kube.paths import resource_path

log = get_logger(__name__)

Publish = Callable[[LogLines], Awaitable[None]]
_BATCH_WINDOW = 0.02  # seconds lines are gathered before they are published together
_BATCH_MAX = 500
_RETRY_FIRST, _RETRY_MAX = 0.25, 5.0
_POD_READ_TIMEOUT = 30  # seconds the check whether the pod still exists may stay silent


class LogFollower:
    def __init__(
        self, kube: Kube, namespace: str, pod: str, container: str, epoch: str, *, tail: int, publish: Publish
    ) -> None:
        self.kube = kube
        self.namespace = namespace
        self.pod = pod
        self.container = container
        self.epoch = epoch
        self.seq = 0
        self.ended = False
        self.waiting: str | None = None
        self.ready = asyncio.Event()  # the first attempt to read has finished or delivered lines
        self._tail = tail
        self._lines: deque[LogLine] = deque(maxlen=tail)
        self._pending: list[LogLine] = []
        self._publish = publish
        self._last_ts = 0
        self._flush_task: asyncio.Task[None] | None = None

    def tail(self) -> LogTail:
        return LogTail(
            epoch=self.epoch,
            seq=self.seq,
            pod=self.pod,
            container=self.container,
            lines=list(self._lines),
            ended=self.ended,
            waiting=self.waiting,
        )

    async def run(self) -> None:
        failures = 0
        try:
            while not self.ended:
                try:
                    await self._follow()
                    failures = 0
                    self.waiting = None
                except KubeError as exc:
                    if exc.status == 404:
                        await self._end()
                        return
                    failures += 1
                    if exc.status:  # 400: the container is waiting to start (or crashed before writing anything).
                        self.waiting = exc.message
                    else:  # 0: the API did not answer
                        self._retrying(exc)
                except Exception as exc:  # publishing the lines, say
                    failures += 1
                    self._retrying(exc)
                self.ready.set()
                await self._flush()
                if await self._pod_gone():
                    await self._end()
                    return
                await asyncio.sleep(min(_RETRY_MAX, _RETRY_FIRST * 2 ** max(0, failures - 1)))
        finally:
            if self._flush_task is not None:
                self._flush_task.cancel()

    def _retrying(self, exc: Exception) -> None:
        """The network, the API server or publishing failed: the next attempt follows from the last line."""
        log.warning("logs.follow_failed", namespace=self.namespace, pod=self.pod, error=repr(exc))

    async def _follow(self) -> None:
        since = nanos_to_datetime(self._last_ts) if self._last_ts else None
        tail = None if self._last_ts else self._tail
        async for ts, text in self.kube.follow_logs(self.namespace, self.pod, self.container, tail=tail, since=since):
            if ts and ts <= self._last_ts:
                continue  # sinceTime has whole seconds: lines already sent come again
            self._last_ts = max(self._last_ts, ts)
            line = LogLine(ts=ts, text=text)
            self._lines.append(line)
            self._pending.append(line)
            if len(self._pending) >= _BATCH_MAX:
                await self._flush()
            elif self._flush_task is None or self._flush_task.done():
                self._flush_task = asyncio.create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        await asyncio.sleep(_BATCH_WINDOW)
        await self._flush()

    async def _flush(self) -> None:
        if not self._pending:
            self.ready.set()
            return
        lines, self._pending = self._pending, []
        self.seq += 1
        self.ready.set()
        await self._publish(
            LogLines(epoch=self.epoch, seq=self.seq, pod=self.pod, container=self.container, lines=lines)
        )

    async def _end(self) -> None:
        await self._flush()
        self.ended = True
        self.seq += 1
        self.ready.set()
        await self._publish(
            LogLines(epoch=self.epoch, seq=self.seq, pod=self.pod, container=self.container, ended=True)
        )

    async def _pod_gone(self) -> bool:
        try:
            pod = await self.kube.get(
                resource_path(POD, self.namespace, self.pod), timeout=read_timeout(_POD_READ_TIMEOUT)
            )
        except KubeError:  # unreachable or refused: only a 404 says it is gone
            return False
        return pod is None
