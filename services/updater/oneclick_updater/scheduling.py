"""The scheduler: on every ``CRON_TICK``, hand each due autoUpdate to the work queue, once.

Only the replica holding the ``updater-scheduler`` lease runs it (``LeaderElector``); a crashed leader's
lease expires and another replica takes over. Claiming a due time and queueing its check are one
transaction, so a leader killed mid-tick leaves either both or neither, and the next leader finds
whatever is still overdue and dispatches it once.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

import asyncpg

from oneclick_core.observability.logs import get_logger
from oneclick_core.timestamps import utcnow
from oneclick_updater import store
from oneclick_updater.due_times import next_tick
from oneclick_updater.metrics import UpdaterMetrics
from oneclick_updater.work import CheckJob, enqueue_check

log = get_logger(__name__)

LEASE_NAME = "updater-scheduler"
HOUSEKEEPING_EVERY = 600.0  # seconds between prunings of old history


class Scheduler:
    def __init__(
        self, pool: asyncpg.Pool, cron: str, metrics: UpdaterMetrics, *, batch: int, history: timedelta
    ) -> None:
        self._pool = pool
        self._cron = cron
        self._metrics = metrics
        self._batch = batch
        self._history = history
        self._pruned_at: float | None = None

    async def lead(self) -> None:
        """Runs while this replica leads: catch up at once, then once per tick."""
        log.info("scheduler.leading", cron=self._cron)
        while True:
            await self.dispatch()
            now = utcnow()
            await asyncio.sleep(max((next_tick(self._cron, now) - now).total_seconds(), 0.0))

    async def dispatch(self) -> int:
        """Queue the checks of everything due now; returns how many."""
        total = 0
        # Every check of this round accepts a tag listing made after the round began, so the batches of
        # one tick still share one listing per repository.
        round_started: datetime | None = None
        try:
            while True:
                async with self._pool.acquire() as conn, conn.transaction():
                    now = await conn.fetchval("SELECT now()")
                    round_started = round_started or now
                    due = await store.claim_due(conn, now, self._batch)
                    for item in due:
                        await enqueue_check(
                            conn,
                            CheckJob(
                                autoUpdate=item.auto_update,
                                deployment=item.deployment,
                                dueAt=item.due_at,
                                freshAfter=round_started,
                            ),
                        )
                total += len(due)
                if len(due) < self._batch:
                    break
            await self._housekeeping()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            # The database is away: nothing was claimed that is not queued; the next tick tries again.
            log.warning("scheduler.dispatch_failed", error=str(exc) or type(exc).__name__)
        if total:
            self._metrics.dispatched.inc(total)
            log.info("scheduler.dispatched", checks=total)
        return total

    async def _housekeeping(self) -> None:
        if self._pruned_at is not None and time.monotonic() - self._pruned_at < HOUSEKEEPING_EVERY:
            return
        self._pruned_at = time.monotonic()
        async with self._pool.acquire() as conn:
            await store.prune(conn, self._history)
