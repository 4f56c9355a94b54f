"""Printing a benchmark's figures as a table and keeping them as JSON next to the others."""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
QUICK_ENV = "ONECLICK_BENCH_QUICK"


def quick() -> bool:
    """Smoke-run sizes (``ONECLICK_BENCH_QUICK=1``, which ``python -m bench --quick`` sets): proves a benchmark
    runs, measures little."""
    return os.environ.get(QUICK_ENV, "") not in ("", "0", "false")


def sized(full: int, small: int) -> int:
    return small if quick() else full


def percentile(ordered: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of an already sorted sample (0 for an empty one)."""
    if not ordered:
        return 0.0
    rank = max(1, round(pct / 100 * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]


def spread(samples: Iterable[float], pcts: Sequence[float] = (50, 95, 99)) -> dict[str, float]:
    """``{"p50": .., "p95": .., "p99": .., "max": .., "n": ..}`` of a sample (seconds or whatever it is in)."""
    ordered = sorted(samples)
    figures = {f"p{pct:g}": percentile(ordered, pct) for pct in pcts}
    figures["max"] = ordered[-1] if ordered else 0.0
    figures["n"] = len(ordered)
    return figures


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:.2f}" if theirs else "-"


def table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [[str(c) for c in row] for row in [headers, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def save(name: str, figures: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}{'.quick' if quick() else ''}.json"
    payload = {
        "benchmark": name,
        "when": datetime.now(UTC).isoformat(),
        "machine": platform.node(),
        "cpus": os.cpu_count(),
        "load_average_at_end": os.getloadavg(),
        "quick": quick(),
        **figures,
    }
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


def report(name: str, figures: dict[str, Any]) -> None:
    """Save the figures and say where they went."""
    path = save(name, figures)
    print(f"\nwrote {path.relative_to(RESULTS.parents[1])}", flush=True)
