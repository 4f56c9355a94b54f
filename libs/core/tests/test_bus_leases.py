"""Leader election over the NATS KV bucket, with contenders as separate processes."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import signal
import sys
from datetime import datetime
from pathlib import Path

import orjson
from nats.aio.client import Client as NATS
from nats.js.kv import KeyValue

from oneclick_core.bus.leases import Lease, locks_bucket
from oneclick_testing.waiting import eventually

WORKER = Path(__file__).with_name("lease_worker.py")
TTL = 1.5


class Contender:
    def __init__(self, name: str, process: asyncio.subprocess.Process) -> None:
        self.name = name
        self.process = process
        self.lines: list[str] = []
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for raw in self.process.stdout:
            self.lines.append(raw.decode().strip())

    @property
    def leading(self) -> bool:
        starts = self.lines.count(f"leading {self.name}")
        stops = self.lines.count(f"stepped-down {self.name}")
        return starts > stops

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


async def start(nats_url: str, lease: str, name: str) -> Contender:
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(WORKER), nats_url, lease, name, str(TTL), stdout=asyncio.subprocess.PIPE
    )
    return Contender(name, process)


class LeaseWrites:
    """Every write to one lease key as the NATS server stamped it: (holder, server time)."""

    def __init__(self) -> None:
        self.writes: list[tuple[str, datetime]] = []
        self._task: asyncio.Task[None] | None = None
        self._watcher: KeyValue.KeyWatcher | None = None

    async def start(self, kv: KeyValue, lease: str) -> None:
        self._watcher = await kv.watch(lease)
        self._task = asyncio.create_task(self._collect(self._watcher))

    async def _collect(self, watcher: KeyValue.KeyWatcher) -> None:
        async for entry in watcher:
            if entry is not None and entry.value and entry.created is not None:
                self.writes.append((orjson.loads(entry.value)["holder"], entry.created))

    def holder(self) -> str | None:
        return self.writes[-1][0] if self.writes else None

    def last_by(self, holder: str) -> datetime:
        return [at for who, at in self.writes if who == holder][-1]

    def first_by(self, holder: str) -> datetime:
        return next(at for who, at in self.writes if who == holder)

    async def stop(self) -> None:
        if self._watcher is not None:
            await self._watcher.stop()  # type: ignore[no-untyped-call]
        if self._task is not None:
            await self._task


async def test_exactly_one_leader_and_takeover_after_a_crash(nats_url: str, nc: NATS) -> None:
    lease = f"lease-{secrets.token_hex(4)}"
    writes = LeaseWrites()
    await writes.start(await locks_bucket(nc.jetstream()), lease)
    a, b = await start(nats_url, lease, "a"), await start(nats_url, lease, "b")
    try:
        await eventually(lambda: a.leading or b.leading)
        # Several renewal periods later there is still exactly one leader, and it is the same one.
        first = a if a.leading else b
        second = b if first is a else a
        await asyncio.sleep(TTL * 3)
        assert first.leading
        assert not second.leading
        assert f"leading {second.name}" not in second.lines

        first.process.kill()  # SIGKILL: no release, the lease must expire
        await first.process.wait()
        # Right after the crash, well within the TTL, the lease still names the dead leader and nobody leads.
        assert not second.leading
        assert writes.holder() == first.name

        await eventually(lambda: second.leading)
        await eventually(lambda: writes.holder() == second.name)
        # The takeover came only after the lease expired: a full TTL after the dead leader's last renewal,
        # both instants as the NATS server stamped the writes (a slow machine only makes the gap longer).
        gap = (writes.first_by(second.name) - writes.last_by(first.name)).total_seconds()
        assert gap >= TTL, f"taken over {gap:.3f}s after the last renewal, TTL {TTL}s"
    finally:
        await a.stop()
        await b.stop()
        await writes.stop()


async def test_graceful_stop_releases_the_lease_for_the_other(nats_url: str, nc: NATS) -> None:
    lease = f"lease-{secrets.token_hex(4)}"
    a = await start(nats_url, lease, "a")
    try:
        await eventually(lambda: a.leading)
        b = await start(nats_url, lease, "b")
        try:
            await asyncio.sleep(0.5)
            a.process.send_signal(signal.SIGTERM)
            await a.process.wait()
            assert "stepped-down a" in a.lines
            await eventually(lambda: b.leading)
        finally:
            await b.stop()
    finally:
        await a.stop()


async def test_lease_cannot_be_taken_while_it_is_renewed(nc: NATS) -> None:
    kv = await locks_bucket(nc.jetstream())
    name = f"lease-{secrets.token_hex(4)}"
    holder, contender = Lease(kv, name, "holder", ttl=0.6), Lease(kv, name, "contender", ttl=0.6)
    assert await holder.try_acquire()
    for _ in range(8):  # 1.6 s, well past one TTL, renewing every 0.2 s
        assert not await contender.try_acquire()
        await asyncio.sleep(0.2)
        assert await holder.renew()
    assert holder.held
    await asyncio.sleep(0.7)  # the holder stops renewing: after one TTL unchanged, the lease is free
    assert not await contender.try_acquire()  # first sight of the stale revision starts the clock
    await asyncio.sleep(0.7)
    assert await contender.try_acquire()
    assert not await holder.renew()  # the old holder learns it lost the lease
