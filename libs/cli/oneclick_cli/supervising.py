"""The dev runner's process supervisor: one OS process per service replica, restarted when it crashes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass

from oneclick_cli.processes import die_with_parent

_COLORS = ("36", "35", "33", "32", "34", "31", "96", "95", "93", "92")


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    argv: tuple[str, ...]
    env: Mapping[str, str]


class Output:
    """Writes child output line by line, prefixed with the child's name so interleaving stays readable."""

    def __init__(self, names: list[str], color: bool | None = None) -> None:
        self._width = max((len(n) for n in names), default=8)
        self._color = sys.stdout.isatty() if color is None else color
        self._palette = {name: _COLORS[i % len(_COLORS)] for i, name in enumerate(names)}

    def line(self, name: str, text: str) -> None:
        prefix = f"{name:<{self._width}} |"
        if self._color:
            prefix = f"\x1b[{self._palette.get(name, '37')}m{prefix}\x1b[0m"
        sys.stdout.write(f"{prefix} {text}\n")
        sys.stdout.flush()


class ManagedProcess:
    """Keeps one child running until stopped: restarts it with capped exponential backoff."""

    def __init__(self, spec: ProcessSpec, output: Output, *, max_backoff: float = 30.0) -> None:
        self.spec = spec
        self._output = output
        self._max_backoff = max_backoff
        self._process: asyncio.subprocess.Process | None = None
        self._stopping = asyncio.Event()
        self.restarts = 0

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process and self._process.returncode is None else None

    async def run(self) -> None:
        backoff = 1.0
        while not self._stopping.is_set():
            started = time.monotonic()
            self._process = await asyncio.create_subprocess_exec(
                *self.spec.argv,
                env={**os.environ, **self.spec.env},
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                preexec_fn=die_with_parent(),
                process_group=0,
            )
            assert self._process.stdout is not None
            pump = asyncio.create_task(self._pump(self._process.stdout))
            code = await self._process.wait()
            await pump
            if self._stopping.is_set():
                break
            if time.monotonic() - started > 60:
                backoff = 1.0  # it ran fine for a while: this is a new problem, not a crash loop
            self.restarts += 1
            self._output.line(self.spec.name, f"exited with code {code}; restarting in {backoff:g}s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=backoff)
            backoff = min(backoff * 2, self._max_backoff)

    async def _pump(self, stream: asyncio.StreamReader) -> None:
        while True:
            raw = await stream.readline()
            if not raw:
                return
            self._output.line(self.spec.name, raw.decode(errors="replace").rstrip())

    def signal(self, sig: int) -> None:
        if self._process is not None and self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.send_signal(sig)

    async def stop(self, grace: float = 15.0) -> None:
        self._stopping.set()
        if self._process is None or self._process.returncode is not None:
            return
        self.signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self._process.wait(), timeout=grace)
        except TimeoutError:
            self._output.line(self.spec.name, f"did not stop within {grace:g}s; killing")
            self.signal(signal.SIGKILL)
            await self._process.wait()


class Supervisor:
    def __init__(self, specs: list[ProcessSpec], output: Output | None = None) -> None:
        self.output = output or Output([s.name for s in specs])
        self.processes = [ManagedProcess(spec, self.output) for spec in specs]
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(p.run(), name=p.spec.name) for p in self.processes]

    async def stop(self, grace: float = 15.0) -> None:
        await asyncio.gather(*(p.stop(grace) for p in self.processes))
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
