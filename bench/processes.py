"""What a benchmark reads about processes from /proc (Linux): CPU time of process trees, resident memory."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(roots: Iterable[int]) -> float:
    """User + system CPU time of ``roots`` and all their descendants (PostgreSQL's backends are children of
    the postmaster), counting children they already reaped; on a shared machine, unlike the machine-wide busy
    time, it is only what these processes did."""
    parents: dict[int, list[int]] = defaultdict(list)
    spent: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        pid = int(entry.name)
        parents[int(fields[1])].append(pid)
        spent[pid] = sum(int(value) for value in fields[11:15]) / TICKS
    total, todo, done = 0.0, list(roots), set()
    while todo:
        pid = todo.pop()
        if pid in done:
            continue
        done.add(pid)
        total += spent.get(pid, 0.0)
        todo += parents.get(pid, [])
    return total


def rss_bytes(pid: int) -> int:
    """Resident memory of a process."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0
