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
# The benchmarks that measure the running platform: a quick run of them together shares one stack.
PLATFORM_BENCHMARKS = ["rollouts", "watches", "records_api", "fanout", "logs"]


def _rollouts(figures: Figures) -> None:
    results = figures["results"]
    assert {(r["executor_replicas"], r["load"]) for r in results} == {
        (1, "one at a time"),
        (1, "burst"),
        (2, "one at a time"),
        (2, "burst"),
    }
    assert all(r["rollouts"] == r["latency"]["n"] > 0 for r in results)


def _watches(figures: Figures) -> None:
    for scenario in figures["scenarios"]:
        assert scenario["sockets_with_frames"] == scenario["map_sockets"] + scenario["events_sockets"]
        assert scenario["watches_ours"] > 0
        assert scenario["watches_original"] == scenario["viewers"] * 11
    # Shared watches: for the same namespaces, more viewers never means more watches.
    by_projects: dict[int, set[int]] = {}
    for scenario in figures["scenarios"]:
        by_projects.setdefault(scenario["projects"], set()).add(scenario["watches_ours"])
    assert all(len(counts) == 1 for counts in by_projects.values()), by_projects


def _records_api(figures: Figures) -> None:
    results = figures["results"]
    assert {r["server"] for r in results} == {"one-click", "pocketbase"}
    assert {r["operation"] for r in results} == {"list", "view", "create"}
    assert {r["concurrency"] for r in results} == {16, 64}
    for result in results:
        assert result["requests"] > 0
        assert set(result["statuses"]) == {"200"}, result  # every request answered, and as the owner


def _fanout(figures: Figures) -> None:
    assert figures["delivered"] == figures["expected"] == figures["viewers"] * figures["changes"]
    assert figures["original_design_kube_watches"] == figures["viewers"] * 10
    assert 0 < figures["kube_watches"] < figures["original_design_kube_watches"]


def _logs(figures: Figures) -> None:
    for phase in (figures["one"], figures["many"]):
        assert phase["lines_per_second_per_follower_min"] > 0
        assert phase["closed_early"] == 0
        assert phase["kubernetes_log_streams_opened"] == 1  # one shared follower, however many clients
    assert figures["many"]["edge_rss_mib_peak"] > 0


def _updater(figures: Figures) -> None:
    assert figures["checks_in_tick"] >= figures["auto_updates"]
    assert figures["tag_listings_served"] <= figures["repositories"]  # one listing per repository per tick
    assert figures["original_design_tag_listings"] == figures["auto_updates"]


def _startup(figures: Figures) -> None:
    assert figures["installed_first_start_seconds"] > 0


def _frontend_size(figures: Figures) -> None:
    pages = {page["page"]: page for page in figures["pages"]}
    assert pages["/"]["landed_on"] == "/login"
    assert pages["/app/projects"]["landed_on"] == "/app/projects"
    for page in figures["pages"]:
        assert min(page["js_files"], page["css_files"], page["gzip_bytes"]) > 0, page
        assert page["gzip_bytes"] < figures["budget_bytes"], page  # the 400 KB gzip budget
        assert page["within_budget"] is True


CHECKS: dict[str, Callable[[Figures], None]] = {
    "rollouts": _rollouts,
    "watches": _watches,
    "records_api": _records_api,
    "fanout": _fanout,
    "logs": _logs,
    "updater": _updater,
    "startup": _startup,
    "frontend_size": _frontend_size,
}


def _benchmarks() -> set[str]:
    """``bench.__main__.BENCHMARKS`` (read, not imported: the repository root is not on the test path)."""
    tree = ast.parse((REPO / "bench" / "__main__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "BENCHMARKS" for t in node.targets):
            return set(ast.literal_eval(node.value))
    raise AssertionError("bench/__main__.py has no BENCHMARKS")


def test_every_benchmark_is_checked() -> None:
    assert set(CHECKS) == _benchmarks()


# Imported in a subprocess (the repository root is not on the test path), nothing run: what ``python -m bench``
# would put on the shared stack, and what it would call there.
SHARED_MEASURES = """
import inspect, json
from bench.__main__ import BENCHMARKS, _module, shares_a_stack
shared = {}
for name in BENCHMARKS:
    if shares_a_stack(name):
        measure = getattr(_module(name), "measure", None)
        shared[name] = {"async": inspect.iscoroutinefunction(measure),
                        "parameters": list(inspect.signature(measure).parameters) if callable(measure) else None}
print(json.dumps(shared))
"""


def test_every_shared_benchmark_measures_a_given_stack() -> None:
    """``python -m bench --quick`` awaits ``measure(bench)`` of every benchmark it shares a stack with: each must
    be an ``async def measure(bench)`` (``frontend_size``'s synchronous ``measure()`` once was taken for one)."""
    run = subprocess.run(
        [sys.executable, "-c", SHARED_MEASURES], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr[-5000:]
    shared = json.loads(run.stdout)
    assert set(shared) == set(PLATFORM_BENCHMARKS)
    for name, measure in shared.items():
        assert measure == {"async": True, "parameters": ["bench"]}, name


@pytest.mark.timeout(900)
@pytest.mark.parametrize(
    "names",
    [
        pytest.param(PLATFORM_BENCHMARKS, id="platform-benchmarks"),
        pytest.param(["updater"], id="updater"),
        pytest.param(["startup"], id="startup"),
        pytest.param(["frontend_size"], id="frontend-size"),
    ],
)
def test_benchmark_runs_in_quick_mode(names: list[str]) -> None:
    if "updater" in names and shutil.which("docker-registry") is None:
        pytest.skip("docker-registry is not installed (apt-get install -y docker-registry)")
    if "frontend_size" in names and not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    started = time.time()
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", *names],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=840,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-5000:]
    for name in names:
        assert f"## {name}" in run.stdout
        written = RESULTS / f"{name}.quick.json"
        assert written.stat().st_mtime >= started, f"{written} was not written by this run"
        figures = json.loads(written.read_text())
        assert figures["quick"] is True
        CHECKS[name](figures)
