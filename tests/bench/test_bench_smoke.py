"""Every benchmark runs: ``python -m bench --quick NAME...`` as a subprocess, as ``make bench`` would (at smoke
sizes), and writes figures that hold what its table claims to measure. Figures are never judged by speed."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "bench" / "results"
Figures = dict[str, Any]


def _rollouts(figures: Figures) -> None:
    results = figures["results"]
    assert {(r["executor_replicas"], r["load"]) for r in results} == {
        (1, "one at a time"), (1, "burst"), (2, "one at a time"), (2, "burst")}
    assert all(r["rollouts"] == r["latency"]["n"] > 0 for r in results)


def _watches(figures: Figures) -> None:
    for scenario in figures["scenarios"]:
        assert scenario["sockets_with_frames"] == scenario["map_sockets"] + scenario["events_sockets"]
        assert scenario["watches_ours"] > 0
        assert scenario["watches_original"] == scenario["viewers"] * 11


def _records_api(figures: Figures) -> None:
    results = figures["results"]
    assert {r["server"] for r in results} == {"one-click", "pocketbase"}
    assert {r["operation"] for r in results} == {"list", "view", "create"}
    for result in results:
        assert result["requests"] > 0
        assert set(result["statuses"]) == {"200"}, result  # every request answered, and as the owner


def _fanout(figures: Figures) -> None:
    assert figures["delivered"] == figures["expected"] == figures["viewers"] * figures["changes"]


def _logs(figures: Figures) -> None:
    for phase in (figures["one"], figures["many"]):
        assert phase["lines_per_second_per_follower_min"] > 0
        assert phase["closed_early"] == 0
        assert phase["kubernetes_log_streams_opened"] == 1  # one shared follower, however many clients
    assert figures["many"]["edge_rss_mib_peak"] > 0


def _updater(figures: Figures) -> None:
    assert figures["checks_in_tick"] >= figures["auto_updates"]


def _startup(figures: Figures) -> None:
    assert figures["installed_first_start_seconds"] > 0


def _frontend_size(figures: Figures) -> None:
    pages = {page["page"]: page for page in figures["pages"]}
    assert pages["/"]["landed_on"] == "/login"
    assert pages["/app/projects"]["landed_on"] == "/app/projects"
    for page in figures["pages"]:
        assert min(page["js_files"], page["css_files"], page["gzip_bytes"]) > 0, page
        assert page["within_budget"] == (page["gzip_bytes"] < figures["budget_bytes"])


CHECKS: dict[str, Callable[[Figures], None]] = {
    "rollouts": _rollouts, "watches": _watches, "records_api": _records_api, "fanout": _fanout, "logs": _logs,
    "updater": _updater, "startup": _startup, "frontend_size": _frontend_size}


def _benchmarks() -> set[str]:
    """``bench.__main__.BENCHMARKS`` (read, not imported: the repository root is not on the test path)."""
    tree = ast.parse((REPO / "bench" / "__main__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "BENCHMARKS" for t in node.targets):
            return set(ast.literal_eval(node.value))
    raise AssertionError("bench/__main__.py has no BENCHMARKS")


def test_every_benchmark_is_checked() -> None:
    assert set(CHECKS) == _benchmarks()


@pytest.mark.timeout(900)
@pytest.mark.parametrize("names", [
    pytest.param(["rollouts", "watches", "records_api", "fanout", "logs"], id="platform-benchmarks"),
    pytest.param(["updater"], id="updater"),
    pytest.param(["startup"], id="startup"),
    pytest.param(["frontend_size"], id="frontend-size"),
])
def test_benchmark_runs_in_quick_mode(names: list[str]) -> None:
    if "updater" in names and shutil.which("docker-registry") is None:
        pytest.skip("docker-registry is not installed (apt-get install -y docker-registry)")
    if "frontend_size" in names and not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    started = time.time()
    run = subprocess.run([sys.executable, "-m", "bench", "--quick", *names], cwd=REPO, capture_output=True,
                         text=True, timeout=840, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-5000:]
    for name in names:
        assert f"## {name}" in run.stdout
        written = RESULTS / f"{name}.quick.json"
        assert written.stat().st_mtime >= started, f"{written} was not written by this run"
        figures = json.loads(written.read_text())
        assert figures["quick"] is True
        CHECKS[name](figures)
