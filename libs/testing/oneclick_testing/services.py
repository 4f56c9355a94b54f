"""Services as real OS processes (``oneclick service NAME``), the way containers and ``oneclick dev`` run them."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from oneclick_cli.processes import die_with_parent, free_port


class ServiceProcess:
    """One replica of a service. Output goes to a log file that failures print the end of."""

    def __init__(self, name: str, env: Mapping[str, str], log_dir: Path, *, label: str | None = None) -> None:
        self.name = name
        self.label = label or name
        self.admin_port = free_port()
        self.env = {
            **os.environ,
            "ONECLICK_LOG_FORMAT": "json",
            "ONECLICK_LOG_LEVEL": "debug",
            "ONECLICK_ADMIN_PORT": str(self.admin_port),
            **env,
        }
        self.log_path = log_dir / f"{self.label}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        with self.log_path.open("ab") as log_file:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "oneclick_cli", "service", self.name],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent(),
                process_group=0,
            )

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no output)"

    async def wait_ready(self, timeout: float = 60.0) -> None:
        """Until /readyz says every dependency is reachable; fails with the log tail if the process dies."""
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2.0) as client:
            while True:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise AssertionError(f"{self.label} exited with {self.process.returncode}:\n{self.log_tail()}")
                try:
                    if (await client.get(f"{self.admin_url}/readyz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"{self.label} not ready after {timeout:g}s:\n{self.log_tail()}")
                await asyncio.sleep(0.05)

    def send(self, sig: int) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    def kill(self, sig: int = signal.SIGKILL) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        return self.process.wait(30)

    def terminate(self) -> None:
        """SIGTERM, if it is still running (``wait_stopped`` waits for it to exit)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait_stopped(self, timeout: float = 20.0) -> int | None:
        """Its exit code once it exited; killed, and failing with the log tail, if that takes over ``timeout``."""
        if self.process is None:
            return None
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"{self.label} ignored SIGTERM for {timeout:g}s:\n{self.log_tail()}") from None

    def stop(self, timeout: float = 20.0) -> int | None:
        self.terminate()
        return self.wait_stopped(timeout)


class ServiceGroup:
    """Several service processes sharing one infrastructure, stopped together."""

    def __init__(self, env: Mapping[str, str], log_dir: Path) -> None:
        self.env = dict(env)
        self.log_dir = log_dir
        self.processes: list[ServiceProcess] = []

    async def start(
        self, name: str, *, label: str | None = None, env: Mapping[str, str] | None = None, wait: bool = True
    ) -> ServiceProcess:
        index = sum(1 for p in self.processes if p.name == name)
        service = ServiceProcess(
            name,
            {**self.env, **(env or {})},
            self.log_dir,
            label=label or (name if index == 0 else f"{name}-{index + 1}"),
        )
        service.start()
        self.processes.append(service)
        if wait:
            await service.wait_ready()
        return service

    def stop_all(self, timeout: float = 20.0) -> None:
        """SIGTERM to every service (the last started first), then wait for each: they shut down side by side,
        not one after the other. One that ignores SIGTERM is killed and reported once all the others exited."""
        stopping = list(reversed(self.processes))
        for service in stopping:
            service.terminate()
        ignored: list[str] = []
        for service in stopping:
            try:
                service.wait_stopped(timeout)
            except AssertionError as exc:
                ignored.append(str(exc))
        if ignored:
            raise AssertionError("\n\n".join(ignored))
