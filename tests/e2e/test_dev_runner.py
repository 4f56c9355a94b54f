"""``oneclick dev`` (what ``make run`` starts): embedded NATS, PostgreSQL and kubesim plus every service as
its own process, healthy on the edge; crashed services come back; state survives restarts; nothing is
left running after Ctrl-C, SIGTERM or even SIGKILL of the runner. With ``ONECLICK_NATS_URL``,
``ONECLICK_DATABASE_URL`` and ``KUBECONFIG`` set, it starts no embedded server and uses those instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import nats
import pytest

from kubesim.testing import KubesimProcess
from oneclick_cli.discovery import load_service, service_names
from oneclick_cli.processes import free_port
from oneclick_core.bus.rpc import RpcClient
from oneclick_core.contracts.executor import CLUSTER_INFO, ClusterInfoRequest
from oneclick_core.contracts.rpc import SERVICES, PingRequest, ping
from oneclick_testing.infrastructure import Database, scratch_dir
from oneclick_testing.waiting import eventually

pytestmark = pytest.mark.e2e

CONFIGURED = (
    "ONECLICK_NATS_URL",
    "ONECLICK_DATABASE_URL",
    "KUBECONFIG",
    "ONECLICK_KUBECONFIG",
    "LOCAL",
    "ONECLICK_LOCAL",
    "ONECLICK_LOG_FORMAT",
    "ONECLICK_DEV",
)


class DevRunner:
    def __init__(self, state_dir: Path, port: int) -> None:
        self.state_dir = state_dir
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.lines: list[str] = []
        self.process: asyncio.subprocess.Process | None = None
        self._pump: asyncio.Task[None] | None = None

    async def start(self, configured: dict[str, str] | None = None) -> None:
        """Start ``oneclick dev``; ``configured`` is the only infrastructure configuration it sees."""
        env = {k: v for k, v in os.environ.items() if k not in CONFIGURED}
        env.update(
            {"ONECLICK_STATE_DIR": str(self.state_dir), "ONECLICK_HTTP_PORT": str(self.port), **(configured or {})}
        )
        self.lines = []
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "oneclick_cli",
            "dev",
            "--kubesim-timings",
            "fast",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            stdin=asyncio.subprocess.DEVNULL,
        )
        self._pump = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process is not None
        assert self.process.stdout is not None
        async for raw in self.process.stdout:
            self.lines.append(raw.decode(errors="replace").rstrip())

    def output(self) -> str:
        return "\n".join(self.lines[-80:])

    def saw(self, pattern: str) -> bool:
        return any(re.search(pattern, line) for line in self.lines)

    async def health(self) -> httpx.Response | None:
        try:
            async with httpx.AsyncClient(timeout=5) as client:
                return await client.get(f"{self.url}/api/health")
        except httpx.HTTPError:
            return None

    async def healthy(self) -> bool:
        assert self.process is not None
        if self.process.returncode is not None:
            raise AssertionError(f"oneclick dev exited with {self.process.returncode}:\n{self.output()}")
        response = await self.health()
        return response is not None and response.status_code == 200

    async def wait_healthy(self) -> dict[str, dict[str, object]]:
        try:
            await eventually(self.healthy, timeout=120, interval=0.2, message="/api/health did not turn 200")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.output()}") from None
        response = await self.health()
        assert response is not None
        services: dict[str, dict[str, object]] = response.json()["data"]["services"]
        return services

    def database_url(self) -> str:
        for line in self.lines:
            found = re.search(r"embedded PostgreSQL (postgresql://\S+)", line)
            if found:
                return found.group(1)
        raise AssertionError(f"no embedded PostgreSQL announced:\n{self.output()}")

    async def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(sig)
        code = await asyncio.wait_for(self.process.wait(), 90)
        assert self._pump is not None
        await self._pump
        return code


def pid_of(instance: object) -> int:
    # Instance ids are "<host>-<pid>-<random>" (CoreSettings.instance_id).
    assert isinstance(instance, str)
    return int(instance.rsplit("-", 2)[1])


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited; only its parent has not reaped it yet.
    with contextlib.suppress(FileNotFoundError):
        if Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z"):
            return False
    return True


def children_of_state(state_dir: Path) -> list[int]:
    """PIDs of processes whose command line mentions the state dir (NATS, PostgreSQL, kubesim)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if str(state_dir) in (entry / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(entry.name))
    return [pid for pid in found if alive(pid)]


@pytest.fixture
async def runner() -> AsyncIterator[DevRunner]:
    state = scratch_dir("oneclick-e2e-state-")
    dev = DevRunner(state, free_port())
    yield dev
    if dev.process is not None and dev.process.returncode is None:
        await dev.stop(signal.SIGKILL)


async def test_dev_runner_lifecycle(runner: DevRunner) -> None:
    await runner.start()
    services = await runner.wait_healthy()
    assert set(services) == set(SERVICES)
    assert {s["status"] for s in services.values()} == {"ok"}
    assert runner.saw(r"embedded NATS nats://127\.0\.0\.1:\d+")
    assert runner.saw(r"embedded kubesim \(kubeconfig .*kubeconfig\)")
    assert (runner.state_dir / "nats").is_dir()
    assert (runner.state_dir / "pg" / "PG_VERSION").is_file()
    service_pids = {name: pid_of(s["instance"]) for name, s in services.items()}
    assert len(set(service_pids.values())) == len(SERVICES)  # one OS process per service

    # Data written to the embedded PostgreSQL survives restarts of the platform.
    conn = await asyncpg.connect(runner.database_url())
    try:
        await conn.execute("CREATE TABLE survivor (note text)")
        await conn.execute("INSERT INTO survivor VALUES ('written before the restart')")
    finally:
        await conn.close()

    # A crashed service is reported and restarted by the runner.
    os.kill(service_pids["records"], signal.SIGKILL)
    await eventually(lambda: runner.saw(r"^records\s+\| exited with code -9; restarting"), timeout=30)
    services = await runner.wait_healthy()
    assert pid_of(services["records"]["instance"]) != service_pids["records"]

    # SIGTERM (what Ctrl-C amounts to) stops everything cleanly.
    all_pids = [*(pid_of(s["instance"]) for s in services.values()), *children_of_state(runner.state_dir)]
    assert await runner.stop(signal.SIGTERM) == 0
    assert runner.saw(r"stopping infrastructure")
    assert [pid for pid in all_pids if alive(pid)] == []

    # Second start on the same state: healthy again, data still there.
    await runner.start()
    services = await runner.wait_healthy()
    conn = await asyncpg.connect(runner.database_url())
    try:
        assert await conn.fetchval("SELECT note FROM survivor") == "written before the restart"
    finally:
        await conn.close()

    # Even a SIGKILLed runner leaves nothing behind: its children die with it.
    all_pids = [*(pid_of(s["instance"]) for s in services.values()), *children_of_state(runner.state_dir)]
    await runner.stop(signal.SIGKILL)
    await eventually(
        lambda: not [pid for pid in all_pids if alive(pid)], timeout=60, message="processes outlived the killed runner"
    )

    # ...and the next start recovers from the unclean stop.
    await runner.start()
    await runner.wait_healthy()
    conn = await asyncpg.connect(runner.database_url())
    try:
        assert await conn.fetchval("SELECT count(*) FROM survivor") == 1
    finally:
        await conn.close()
    assert await runner.stop(signal.SIGINT) == 0


async def test_dev_runner_uses_configured_infrastructure_instead_of_embedded(
    runner: DevRunner, module_nats_url: str, database: Database, module_kubesim: KubesimProcess
) -> None:
    # The test's own NATS, database and kubesim play the "external" infrastructure of a real deployment.
    await runner.start(
        {
            "ONECLICK_NATS_URL": module_nats_url,
            "ONECLICK_DATABASE_URL": database.url,
            "KUBECONFIG": str(module_kubesim.kubeconfig),
        }
    )
    services = await runner.wait_healthy()
    assert set(services) == set(SERVICES)
    assert {s["status"] for s in services.values()} == {"ok"}

    # Nothing embedded was started: no announcement, no state on disk, no server process of the state dir.
    assert not runner.saw(r"embedded "), runner.output()
    assert not (runner.state_dir / "nats").exists()
    assert not (runner.state_dir / "pg").exists()
    assert not (runner.state_dir / "kubeconfig").exists()
    assert children_of_state(runner.state_dir) == []

    # The services answer on the given NATS: the same instances the edge reported.
    nc = await nats.connect(module_nats_url)
    try:
        rpc = RpcClient(nc, "test")
        for name in SERVICES:
            reply = await rpc.call(ping(name), PingRequest())
            assert reply.instance == services[name]["instance"]
            assert reply.ready
        # The executor talks to the given cluster: it lists a storage class only that cluster has.
        storage_class = f"external-{secrets.token_hex(4)}"
        code, body = module_kubesim.request(
            "POST",
            "/apis/storage.k8s.io/v1/storageclasses",
            {
                "apiVersion": "storage.k8s.io/v1",
                "kind": "StorageClass",
                "metadata": {"name": storage_class},
                "provisioner": "example.com/external",
            },
        )
        assert code == 201, body
        info = await rpc.call(CLUSTER_INFO, ClusterInfoRequest())
        assert storage_class in info.storageClasses
    finally:
        await nc.close()

    # The services' data lives in the given database: every schema with all its migrations applied.
    conn = await database.connect()
    try:
        for spec in (load_service(name) for name in service_names()):
            if spec.schema is not None:
                applied = await conn.fetchval(f"SELECT count(*) FROM {spec.schema}.schema_migrations")
                assert applied == len(spec.migrations()), spec.schema
    finally:
        await conn.close()
    assert await runner.stop(signal.SIGTERM) == 0
