"""A consumer process killed with SIGKILL mid-message loses nothing, and nothing is handled twice."""

from __future__ import annotations

import asyncio
import secrets
import sys
from pathlib import Path

import pytest
from nats.aio.client import Client as NATS

from oneclick_core.bus.publishing import publish_event
from oneclick_core.bus.streams import ensure_streams
from oneclick_core.runtime.migrations import core_migrations, migrate
from oneclick_testing.infrastructure import Database

from .events_for_tests import Ping, unique_spec

WORKER = Path(__file__).with_name("consumer_worker.py")


class Worker:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []

    @classmethod
    async def start(cls, *args: str) -> Worker:
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(WORKER), *args, stdout=asyncio.subprocess.PIPE
        )
        worker = cls(process)
        await worker.expect("ready")
        return worker

    async def expect(self, prefix: str, timeout: float = 30.0) -> str:
        assert self.process.stdout is not None
        async with asyncio.timeout(timeout):
            while True:
                raw = await self.process.stdout.readline()
                if not raw:
                    raise AssertionError(f"worker exited before printing {prefix!r}; saw {self.lines}")
                line = raw.decode().strip()
                self.lines.append(line)
                if line.startswith(prefix):
                    return line

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


@pytest.fixture
async def schema(database: Database) -> str:
    conn = await database.connect()
    try:
        await migrate(conn, "bus_test", core_migrations("event_inbox"))
        await conn.execute("CREATE TABLE bus_test.handled (event_id text, worker text, deliveries int)")
    finally:
        await conn.close()
    return "bus_test"


@pytest.mark.parametrize("pause_point", ["before_commit", "after_commit"])
async def test_killed_consumer_message_is_redelivered_and_recorded_once(
    nc: NATS, nats_url: str, database: Database, schema: str, pause_point: str
) -> None:
    js = nc.jetstream()
    await ensure_streams(js)
    spec = unique_spec()
    durable = f"crash{secrets.token_hex(4)}"
    args = (nats_url, database.url, durable, spec.subject)
    doomed = await Worker.start(*args, "doomed", pause_point)
    survivor: Worker | None = None
    try:
        published = await publish_event(js, spec, Ping(n=1), source="test")
        assert (await doomed.expect("paused")) == f"paused {published.envelope.id}"
        survivor = await Worker.start(*args, "survivor")
        doomed.process.kill()  # SIGKILL: no ack, no rollback message, no goodbye
        await doomed.process.wait()

        # JetStream redelivers after ack_wait; the survivor either records it (the first attempt never
        # committed) or finds the inbox claim (it did) and skips it.
        line = await survivor.expect("handled" if pause_point == "before_commit" else "skipped")
        assert line.split()[1] == published.envelope.id
        assert int(line.split()[2]) >= 2

        conn = await database.connect()
        try:
            rows = await conn.fetch("SELECT worker FROM bus_test.handled WHERE event_id = $1", published.envelope.id)
        finally:
            await conn.close()
        expected = "survivor" if pause_point == "before_commit" else "doomed"
        assert [r["worker"] for r in rows] == [expected]
    finally:
        await doomed.stop()
        if survivor is not None:
            await survivor.stop()
