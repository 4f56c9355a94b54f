"""``oneclick dev``: embedded infrastructure plus every service as its own process, until Ctrl-C."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from contextlib import ExitStack

import httpx

from oneclick_cli.discovery import service_names
from oneclick_cli.infrastructure import provide
from oneclick_cli.supervising import Output, ProcessSpec, Supervisor
from oneclick_core.settings import CoreSettings


def service_command(name: str) -> tuple[str, ...]:
    return (sys.executable, "-m", "oneclick_cli", "service", name)


def process_specs(env: dict[str, str], replicas: dict[str, int], only: list[str] | None) -> list[ProcessSpec]:
    specs = []
    for name in service_names():
        if only and name not in only:
            continue
        count = replicas.get(name, 1)
        for index in range(count):
            label = name if count == 1 else f"{name}-{index + 1}"
            specs.append(ProcessSpec(label, service_command(name), env))
    return specs


async def _announce_when_healthy(url: str, output: Output, started: float) -> None:
    async with httpx.AsyncClient(timeout=3.0) as client:
        while True:
            try:
                response = await client.get(f"{url}/api/health")
                if response.status_code == 200:
                    output.line("oneclick", f"ready in {time.monotonic() - started:.1f}s: {url}")
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.25)


async def _run(specs: list[ProcessSpec], url: str, started: float) -> None:
    supervisor = Supervisor(specs, Output(["oneclick", *[s.name for s in specs]]))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    supervisor.start()
    announce = asyncio.create_task(_announce_when_healthy(url, supervisor.output, started))
    await stop.wait()
    announce.cancel()
    supervisor.output.line("oneclick", "stopping services")
    await supervisor.stop()


def run_dev(
    settings: CoreSettings,
    *,
    http_host: str,
    http_port: int,
    replicas: dict[str, int],
    only: list[str] | None,
    kubesim_timings: str,
) -> None:
    started = time.monotonic()
    with ExitStack() as stack:
        infra = provide(settings, stack, kubesim_timings=kubesim_timings)
        for line in infra.embedded:
            print(f"oneclick | embedded {line}", flush=True)
        env = {
            **infra.environment(),
            "ONECLICK_HTTP_HOST": http_host,
            "ONECLICK_HTTP_PORT": str(http_port),
            "ONECLICK_STATE_DIR": str(settings.state_dir.resolve()),
        }
        if settings.log_format is None:
            env["ONECLICK_DEV"] = "true"
        specs = process_specs(env, replicas, only)
        asyncio.run(_run(specs, f"http://{http_host}:{http_port}", started))
        print("oneclick | stopping infrastructure", flush=True)
