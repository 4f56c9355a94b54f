"""What the benchmarks run on: embedded NATS and PostgreSQL, kubesim, and the services as OS processes.

The same parts the tests use (``oneclick_testing``), with the services logging only warnings: a benchmark
measures the platform's work, not its debug logging. On failure the services' logs are kept and named.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kubesim.testing import KubesimProcess
from oneclick_testing.infrastructure import Database, create_database, running_nats, running_postgres, scratch_dir
from oneclick_testing.platform import Platform, start_platform
from oneclick_testing.services import ServiceGroup, ServiceProcess

# Services that talk to Kubernetes get the kubeconfig.
KUBERNETES_CLIENTS = ("k8s-executor", "streaming")
QUIET = {"ONECLICK_LOG_LEVEL": "warning", "ONECLICK_LOG_FORMAT": "json"}


@dataclass
class Stack:
    work: Path
    nats_url: str
    database: Database
    group: ServiceGroup
    kubesim: KubesimProcess | None

    async def platform(self, names: Sequence[str], env: Mapping[str, Mapping[str, str]] | None = None) -> Platform:
        """``names`` as processes (plus the edge), each Kubernetes client pointed at kubesim."""
        settings = {name: dict(values) for name, values in (env or {}).items()}
        if self.kubesim is not None:
            for name in KUBERNETES_CLIENTS:
                settings.setdefault(name, {})["KUBECONFIG"] = str(self.kubesim.kubeconfig)
        return await start_platform(self.group, self.database, names, env=settings)

    def replicas(self, name: str) -> list[ServiceProcess]:
        return [process for process in self.group.processes if process.name == name]


@contextlib.asynccontextmanager
async def stack(name: str, *, kubesim: bool = False) -> AsyncIterator[Stack]:
    work = scratch_dir(f"oneclick-bench-{name}-")
    failed = False
    try:
        with running_nats() as nats_server, running_postgres() as postgres, contextlib.ExitStack() as cluster:
            simulator = None
            if kubesim:
                simulator = cluster.enter_context(KubesimProcess(
                    timings="fast", workdir=work / "kubesim", extra_args=["--log-level", "warning"]))
            database = await create_database(postgres.url)
            group = ServiceGroup({"ONECLICK_NATS_URL": nats_server.url, "ONECLICK_DATABASE_URL": database.url,
                                  **QUIET}, work)
            try:
                yield Stack(work=work, nats_url=nats_server.url, database=database, group=group, kubesim=simulator)
            finally:
                group.stop_all()
    except BaseException:
        failed = True
        raise
    finally:
        if failed:
            print(f"(the services' logs are kept in {work})", flush=True)
        else:
            shutil.rmtree(work, ignore_errors=True)


def rss_bytes(pid: int) -> int:
    """Resident memory of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0
