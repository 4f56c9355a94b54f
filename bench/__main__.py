"""``python -m bench [--quick] [NAME ...]``: run the named benchmarks, or all of them.

``--quick`` (or ``ONECLICK_BENCH_QUICK=1``) runs each at a smoke-test size: it proves the benchmark works and
measures little; ``make bench`` runs the full sizes.
"""

from __future__ import annotations

import importlib
import os
import sys
import time

from bench.reporting import QUICK_ENV

BENCHMARKS = ("startup", "updater", "rollouts", "watches", "records_api", "fanout", "logs")


def main(arguments: list[str]) -> None:
    names = [a for a in arguments if not a.startswith("-")]
    if "--quick" in arguments:
        os.environ[QUICK_ENV] = "1"
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {unknown}; available: {', '.join(BENCHMARKS)}")
    for name in names or BENCHMARKS:
        print(f"\n## {name}\n", flush=True)
        started = time.monotonic()
        importlib.import_module(f"bench.{name}").main()
        print(f"({name} took {time.monotonic() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
