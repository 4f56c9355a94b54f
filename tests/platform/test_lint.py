"""`make lint` as part of `make test`: ruff (lint and format) over the repository and mypy over libs and services stay
clean, and so
do svelte-check, ESLint and Prettier over the web UI (skipped, saying why, without npm or frontend/node_modules),
so CI refuses what a reviewer would."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing() -> None:
    run = _run(str(BIN / "ruff"), "check", "--no-cache", ".")
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-2000:]


def test_python_is_formatted_by_ruff() -> None:
    run = _run(str(BIN / "ruff"), "format", "--check", "--no-cache", ".")
    assert run.returncode == 0, "run `make format`:\n" + run.stdout[-5000:] + run.stderr[-2000:]


def test_mypy_finds_nothing_in_libs_and_services(tmp_path: Path) -> None:
    # A cache of its own: the developer's .mypy_cache stays theirs, and parallel runs never share one.
    run = _run(str(BIN / "mypy"), "--cache-dir", str(tmp_path / "mypy-cache"), "libs", "services")
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-2000:]


# The web UI's checks, as `make lint` runs them (the scripts of frontend/package.json).
FRONTEND = REPO / "frontend"


def _npm_run(script: str, tool: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed: the frontend's checks need Node.js and npm")
    if not (FRONTEND / "node_modules" / ".bin" / tool).exists():
        pytest.skip(f"frontend/node_modules has no {tool}: run `make frontend` (npm ci) first")
    return subprocess.run(
        ["npm", "run", "--silent", script], cwd=FRONTEND, capture_output=True, text=True, timeout=600, check=False
    )


def test_svelte_check_finds_nothing_in_the_frontend() -> None:
    run = _npm_run("check", "svelte-check")  # svelte-kit sync, then svelte-check --fail-on-warnings
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-2000:]


def test_eslint_finds_nothing_in_the_frontend() -> None:
    run = _npm_run("lint", "eslint")  # eslint --max-warnings 0 with eslint.config.js
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-2000:]


def test_the_frontend_is_formatted_by_prettier() -> None:
    run = _npm_run("format:check", "prettier")  # prettier --check; `npm run format` in frontend/ fixes what it lists
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-2000:]
