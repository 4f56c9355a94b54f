"""A connection that can no longer send is dropped and made again.

nats-py sends everything through one flusher task. When the socket write it awaits stalls, every publish,
request and acknowledgement queues up behind it; once its queue is full even the client's own PINGs (and
the PONGs its reader owes the server) wait there, so the client's stale-connection check never fires and
the process hangs, still "connected", until something else breaks the connection. The CI run of the
reliability suite caught an executor in that state for two minutes, holding its project lock.

The watchdog asks for a round trip every few seconds. When one cannot complete in time while the client
believes it is connected, it drops the socket and declares the connection stale as the client's own ping check
would: the client reconnects, and the queued commands go out on the new connection (requests
that timed out meanwhile are retried by their callers; durable consumers redeliver what was not acked).
"""

from __future__ import annotations

import asyncio
import contextlib

import nats.errors
from nats.aio.client import Client as NATS

from oneclick_core.observability.logs import get_logger

log = get_logger(__name__)


class ConnectionWatchdog:
    def __init__(self, nc: NATS, *, interval: float = 5.0, timeout: int = 20) -> None:
        self._nc = nc
        self._interval = interval
        self._timeout = timeout
        self._stopping = asyncio.Event()
        self.reconnects_forced = 0

    async def run(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self._interval)
            if self._stopping.is_set() or not self._nc.is_connected:
                continue
            if not await self._round_trip():
                await self._force_reconnect()

    async def stop(self) -> None:
        self._stopping.set()

    async def _round_trip(self) -> bool:
        """False only when a PING could not be answered in time on a connection the client thinks is up."""
        try:
            # The outer bound matters: a wedged flusher blocks inside flush() before its own timeout starts.
            await asyncio.wait_for(self._nc.flush(timeout=self._timeout), timeout=self._timeout + 1)
        except (TimeoutError, nats.errors.TimeoutError):
            return not self._nc.is_connected  # a reconnect already under way is the client's own business
        except nats.errors.Error:
            return True  # closed or reconnecting: nothing for the watchdog to do
        return True

    async def _force_reconnect(self) -> None:
        self.reconnects_forced += 1
        log.error("nats.connection_stalled", seconds=self._timeout, action="reconnect")
        # Abort, not close: closing waits for the unsent buffer to drain into a socket nobody reads, which is
        # where nats-py's own reconnect would hang. Then the client's path for a stale connection (what its
        # ping check calls) reconnects and sends what is pending. Neither is public API; nats-py offers no
        # other way to drop a connection it still considers up.
        writer = getattr(getattr(self._nc, "_transport", None), "_io_writer", None)
        if writer is not None:
            writer.transport.abort()
        await self._nc._process_op_err(nats.errors.StaleConnectionError())
