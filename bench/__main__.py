"""``python -m bench [--quick] [NAME ...]``: run the named benchmarks, or all of them.

``--quick`` (or ``ONECLICK_BENCH_QUICK=1``) runs each at a smoke-test size: it proves the benchmark works and
measures little; ``make bench`` runs the full sizes, each benchmark on infrastructure of its own. Quick runs of
several benchmarks that measure the running platform (modules declaring ``SHARED = True``, whose
``async def measure(bench)`` takes a ``bench.stack.Stack``) share one stack, since starting the services is most
of their time.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import sys
import time
from types import ModuleType

from bench.reporting import QUICK_ENV, quick, report
from bench.stack import SHORT_LINGER, stack

BENCHMARKS = ("startup", "updater", "rollouts", "watches", "records_api", "fanout", "logs", "frontend_size")
SERVICES = ("auth", "records", "k8s-executor", "streaming")


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"bench.{name}")


def shares_a_stack(name: str) -> bool:
    """Whether ``name``'s quick run may join the shared stack: its module says so (``SHARED = True``); any other
    ``measure`` (``frontend_size``'s takes no stack) is the module's own business."""
    return getattr(_module(name), "SHARED", False) is True


async def _shared(names: list[str]) -> None:
    async with stack("quick", kubesim=True) as bench:
        await bench.platform(SERVICES, env=SHORT_LINGER)
        for name in names:
            print(f"\n## {name} (quick, shared stack)\n", flush=True)
            started = time.monotonic()
            module = _module(name)
            figures = await module.measure(bench)
            module.show(figures)
            report(name, figures)
            print(f"({name} took {time.monotonic() - started:.0f} s)", flush=True)


def main(arguments: list[str]) -> None:
    names = [a for a in arguments if not a.startswith("-")]
    if "--quick" in arguments:
        os.environ[QUICK_ENV] = "1"
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {unknown}; available: {', '.join(BENCHMARKS)}")
    chosen = names or list(BENCHMARKS)
    shared = [n for n in chosen if shares_a_stack(n)] if quick() else []
    if len(shared) > 1:
        asyncio.run(_shared(shared))
    for name in chosen:
        if len(shared) > 1 and name in shared:
            continue
        print(f"\n## {name}\n", flush=True)
        started = time.monotonic()
        _module(name).main()
        print(f"({name} took {time.monotonic() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
