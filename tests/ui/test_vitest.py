"""The frontend's own unit tests (Vitest: manifest editing, rollout diffs, status mapping, the resource map's
graph, logs, errors, which login providers get a button), run as part of the Python suite so ``make test``
and CI run them too."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"


def test_frontend_unit_tests_pass() -> None:
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed: the frontend's Vitest tests need Node.js and npm")
    if not (FRONTEND / "node_modules" / ".bin" / "vitest").exists():
        pytest.skip("frontend/node_modules is missing: run `make frontend` (npm ci) first")
    result = subprocess.run(
        ["npm", "test", "--", "--run", "--reporter=dot"],
        cwd=FRONTEND,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, f"vitest failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
    assert "passed" in result.stdout, result.stdout[-2000:]
