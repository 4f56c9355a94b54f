"""What the benchmarks run on: embedded NATS and PostgreSQL, kubesim, and the services as OS processes.

The same parts the tests use (``oneclick_testing``), with the services logging only warnings: a benchmark
measures the platform's work, not its debug logging. On failure the services' logs are kept and named.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from kubesim.testing import KubesimProcess
from oneclick_cli.processes import free_port
from oneclick_testing.infrastructure import Database, create_database, running_nats, running_postgres, scratch_dir
from oneclick_testing.platform import Platform, service_settings
from oneclick_testing.services import ServiceGroup, ServiceProcess

# Services that talk to Kubernetes get the kubeconfig.
KUBERNETES_CLIENTS = ("k8s-executor", "streaming")
QUIET = {"ONECLICK_LOG_LEVEL": "warning", "ONECLICK_LOG_FORMAT": "json"}
# Live views let go of a namespace or log follower soon after the last viewer left, so a benchmark's next
# phase starts from nothing rather than from what the last one left lingering.
# The fan-out benchmarks' viewers are one user's many tabs, beyond the per-user cap on live connections.
MANY_TABS = {"ONECLICK_TENANCY_MAX_CONNECTIONS_PER_USER": "100000"}
SHORT_LINGER: Mapping[str, Mapping[str, str]] = {
    "streaming": {"ONECLICK_STREAMING_LINGER": "0.5"},
    "edge": {"ONECLICK_LIVE_LINGER": "0.2"},
}


@dataclass
class Stack:
    work: Path
    nats_url: str
    database: Database
    group: ServiceGroup
    kubesim: KubesimProcess | None
    nats_pid: int = 0
    postgres_pid: int = 0  # the postmaster (backends are its children)
    shown: Platform | None = field(default=None, repr=False)

    def settings(self, name: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        found = service_settings(name, extra)
        if self.kubesim is not None and name in KUBERNETES_CLIENTS:
            found["KUBECONFIG"] = str(self.kubesim.kubeconfig)
        return found

    async def start(self, name: str, extra: Mapping[str, str] | None = None) -> ServiceProcess:
        """One more replica of ``name``, ready."""
        return await self.group.start(name, env=self.settings(name, extra))

    async def platform(self, names: Sequence[str], env: Mapping[str, Mapping[str, str]] | None = None) -> Platform:
        """``names`` and the edge running as processes: those not running yet are started side by side (as
        ``oneclick_testing.platform`` does), auth with fast hashing and a superuser, Kubernetes
        clients pointed at kubesim. Benchmarks sharing a stack share its platform; the stack closes it."""
        env = env or {}
        missing = [name for name in names if not self.replicas(name)]
        started = [await self.group.start(name, env=self.settings(name, env.get(name)), wait=False) for name in missing]
        if self.shown is None:
            port = free_port()
            edge = {"ONECLICK_HTTP_PORT": str(port), **MANY_TABS, **env.get("edge", {})}
            started.append(await self.group.start("edge", env=edge, wait=False))
            url = f"http://127.0.0.1:{port}"
            self.shown = Platform(
                services=self.group, url=url, database=self.database, client=httpx.AsyncClient(base_url=url, timeout=15)
            )
        await asyncio.gather(*(process.wait_ready() for process in started))
        return self.shown

    def replicas(self, name: str) -> list[ServiceProcess]:
        return [process for process in self.group.processes if process.name == name]

    def server_pids(self, names: Sequence[str]) -> dict[str, list[int]]:
        """The processes serving a request, by name: ``names``' replicas, NATS and PostgreSQL."""
        return {
            **{name: [p.pid for p in self.replicas(name)] for name in names},
            "nats": [self.nats_pid],
            "postgresql": [self.postgres_pid],
        }


@contextlib.asynccontextmanager
async def stack(name: str, *, kubesim: bool = False) -> AsyncIterator[Stack]:
    work = scratch_dir(f"oneclick-bench-{name}-")
    failed = False
    try:
        with running_nats() as nats_server, running_postgres() as postgres, contextlib.ExitStack() as cluster:
            simulator = None
            if kubesim:
                simulator = cluster.enter_context(
                    KubesimProcess(timings="fast", workdir=work / "kubesim", extra_args=["--log-level", "warning"])
                )
            database = await create_database(postgres.url)
            group = ServiceGroup(
                {"ONECLICK_NATS_URL": nats_server.url, "ONECLICK_DATABASE_URL": database.url, **QUIET}, work
            )
            postmaster = int((postgres.data_dir / "postmaster.pid").read_text().split()[0])
            parts = Stack(
                work=work,
                nats_url=nats_server.url,
                database=database,
                group=group,
                kubesim=simulator,
                nats_pid=nats_server.pid or 0,
                postgres_pid=postmaster,
            )
            try:
                yield parts
            finally:
                if parts.shown is not None:
                    await parts.shown.close()
                group.stop_all()
    except BaseException:
        failed = True
        raise
    finally:
        if failed:
            print(f"(the services' logs are kept in {work})", flush=True)
        else:
            shutil.rmtree(work, ignore_errors=True)
