"""What the platform runs on: configured (environment) or embedded (started here, state in .oneclick/)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from oneclick_cli.embedded.nats import EmbeddedNats
from oneclick_cli.embedded.postgres import EmbeddedPostgres
from oneclick_cli.processes import die_with_parent, stop_process
from oneclick_core.settings import CoreSettings


@dataclass
class Infrastructure:
    nats_url: str
    database_url: str
    kubeconfig: Path | None
    embedded: list[str] = field(default_factory=list)

    def environment(self) -> dict[str, str]:
        env = {"ONECLICK_NATS_URL": self.nats_url, "ONECLICK_DATABASE_URL": self.database_url}
        if self.kubeconfig is not None:
            env["KUBECONFIG"] = str(self.kubeconfig)
        return env


def in_cluster() -> bool:
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST"))


def start_kubesim(state_dir: Path, timings: str, stack: ExitStack, timeout: float = 30.0) -> Path:
    """Run kubesim as its own process; it writes the kubeconfig once it listens."""
    kubeconfig = state_dir / "kubeconfig"
    kubeconfig.unlink(missing_ok=True)
    log_file = (state_dir / "kubesim.log").open("ab")
    command = [
        sys.executable,
        "-m",
        "kubesim.cli",
        "serve",
        "--port",
        "0",
        "--kubeconfig",
        str(kubeconfig),
        "--state-file",
        str(state_dir / "kubesim-state.json"),
        "--timings",
        timings,
    ]
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=log_file,
        preexec_fn=die_with_parent(),
        process_group=0,
    )
    log_file.close()
    stack.callback(stop_process, process)
    deadline = time.monotonic() + timeout
    while not kubeconfig.exists():
        if process.poll() is not None:
            raise RuntimeError(f"kubesim exited with code {process.returncode}; see {state_dir / 'kubesim.log'}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"kubesim did not start within {timeout:g}s; see {state_dir / 'kubesim.log'}")
        time.sleep(0.05)
    return kubeconfig


def provide(settings: CoreSettings, stack: ExitStack, *, kubesim_timings: str = "realistic") -> Infrastructure:
    """Use what the environment configures; start embedded servers for the rest (stopped by ``stack``)."""
    state_dir = settings.state_dir.resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    embedded: list[str] = []

    nats_url = settings.nats_url
    if not nats_url:
        nats = EmbeddedNats(state_dir / "nats")
        nats_url = nats.start()
        stack.callback(nats.stop)
        embedded.append(f"NATS {nats_url} (JetStream store {state_dir / 'nats'})")

    if settings.database_url is not None:
        database_url = settings.database_url.get_secret_value()
    else:
        postgres = EmbeddedPostgres(state_dir / "pg")
        database_url = postgres.start()
        stack.callback(postgres.stop)
        embedded.append(f"PostgreSQL {database_url} (data {state_dir / 'pg'})")

    kubeconfig = settings.effective_kubeconfig()
    if kubeconfig is None and not in_cluster():
        kubeconfig = start_kubesim(state_dir, kubesim_timings, stack)
        embedded.append(f"kubesim (kubeconfig {kubeconfig})")
    return Infrastructure(nats_url=nats_url, database_url=database_url, kubeconfig=kubeconfig, embedded=embedded)
