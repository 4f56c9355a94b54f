"""`make lint` as part of `make test`: ruff over the repository and mypy over libs and services stay clean, so
CI refuses what a reviewer would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing() -> None:
    run = _run(str(BIN / "ruff"), "check", "--no-cache", ".")
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-2000:]


def test_mypy_finds_nothing_in_libs_and_services(tmp_path: Path) -> None:
    # A cache of its own: the developer's .mypy_cache stays theirs, and parallel runs never share one.
    run = _run(str(BIN / "mypy"), "--cache-dir", str(tmp_path / "mypy-cache"), "libs", "services")
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-2000:]
