"""``python -m bench [NAME ...]``: run the named benchmarks, or all of them."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = ("startup", "updater")


def main(names: list[str]) -> None:
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {unknown}; available: {', '.join(BENCHMARKS)}")
    for name in names or BENCHMARKS:
        print(f"\n## {name}\n", flush=True)
        importlib.import_module(f"bench.{name}").main()


if __name__ == "__main__":
    main(sys.argv[1:])
