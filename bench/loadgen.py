"""The HTTP load generator, run in a process of its own so the measuring side never slows the measured one.

``python -m bench.loadgen`` reads a plan as JSON on stdin::

    {"base_url": "http://127.0.0.1:8090", "concurrency": 16, "seconds": 10, "warmup": 1,
     "servers": {"edge": [pid], ...},
     "requests": [{"method": "GET", "path": "/api/...", "headers": {...}, "json": null}, ...]}

and keeps ``concurrency`` requests in flight (closed loop: each worker sends its next request when the last one
answered), taking the requests in turn, for ``warmup`` seconds (not counted) and then ``seconds``. It prints one
JSON object: requests, seconds, per_second, statuses, latency percentiles in seconds, and the CPU seconds each
of the ``servers`` (processes and their descendants) spent while measuring.

:func:`generate_load` runs it from a benchmark.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import uvloop

from bench.processes import cpu_seconds
from bench.reporting import spread

REPO = Path(__file__).resolve().parents[1]


async def _run(plan: dict[str, Any]) -> dict[str, Any]:
    requests: list[dict[str, Any]] = plan["requests"]
    concurrency = int(plan["concurrency"])
    turn = itertools.count()
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    measuring = False
    stop_at = 0.0
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(base_url=plan["base_url"], connector=connector, timeout=timeout) as session:

        async def worker() -> None:
            while time.monotonic() < stop_at:
                request = requests[next(turn) % len(requests)]
                started = time.perf_counter()
                try:
                    async with session.request(
                        request["method"], request["path"], headers=request.get("headers"), json=request.get("json")
                    ) as response:
                        await response.read()
                        status = str(response.status)
                except (aiohttp.ClientError, TimeoutError) as exc:
                    status = type(exc).__name__
                if measuring:
                    latencies.append(time.perf_counter() - started)
                    statuses[status] += 1

        stop_at = time.monotonic() + float(plan.get("warmup", 0))
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        measuring = True
        servers: dict[str, list[int]] = plan.get("servers", {})
        began, cpu = time.monotonic(), {name: cpu_seconds(pids) for name, pids in servers.items()}
        stop_at = began + float(plan["seconds"])
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.monotonic() - began
        cpu = {name: cpu_seconds(pids) - cpu[name] for name, pids in servers.items()}
    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "per_second": len(latencies) / elapsed,
        "statuses": dict(statuses),
        "latency": spread(latencies),
        "server_cpu_seconds": sum(cpu.values()),
        "cpu_seconds_by_process": cpu,
    }


async def generate_load(plan: dict[str, Any]) -> dict[str, Any]:
    """Run the generator in a child process and return what it measured."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.loadgen", cwd=REPO, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await child.communicate(json.dumps(plan).encode())
    if child.returncode != 0:
        raise RuntimeError(f"the load generator exited with {child.returncode}")
    result: dict[str, Any] = json.loads(out)
    return result


def main() -> None:
    plan = json.load(sys.stdin)
    json.dump(uvloop.run(_run(plan)), sys.stdout)


if __name__ == "__main__":
    main()
