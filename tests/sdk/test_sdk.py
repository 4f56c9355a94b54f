"""The official PocketBase JS SDK (the version One-Click's frontend uses) against auth + edge processes."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

import pytest

from oneclick_cli.processes import free_port
from oneclick_testing.platform import SUPERUSER, service_settings
from oneclick_testing.services import ServiceGroup

HERE = Path(__file__).parent
NODE = shutil.which("node")
NPM = shutil.which("npm")

# The only reason to skip: no Node.js toolchain on this machine. With npm present, the locked SDK must
# install; a failure there is a failure of the test setup, not a reason to pass silently.
pytestmark = pytest.mark.skipif(
    NODE is None or NPM is None, reason="Node.js (node and npm on PATH) is not installed; the SDK tests need it"
)


def _install() -> None:
    """`make test` installs the SDK; this covers running pytest directly on a fresh checkout."""
    if all((HERE / "node_modules" / name / "package.json").exists() for name in ("pocketbase", "eventsource")):
        return
    assert NPM is not None
    done = subprocess.run(
        [NPM, "ci", "--no-audit", "--no-fund"], cwd=HERE, capture_output=True, text=True, timeout=300, check=False
    )
    if done.returncode != 0:
        pytest.fail(
            f"npm ci of the locked SDK (tests/sdk/package-lock.json) failed with {done.returncode}:\n"
            f"{(done.stdout + done.stderr).strip()[-2000:]}",
            pytrace=False,
        )


async def test_sign_up_and_sign_in_through_the_pocketbase_sdk(services: ServiceGroup) -> None:
    await asyncio.to_thread(_install)
    port = free_port()
    await asyncio.gather(
        services.start("auth", env=service_settings("auth")),
        services.start("edge", env={"ONECLICK_HTTP_PORT": str(port)}),
    )
    assert NODE is not None
    process = await asyncio.create_subprocess_exec(
        NODE,
        "auth_flow.mjs",
        cwd=HERE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={
            "PATH": str(Path(NODE).parent),
            "ONECLICK_URL": f"http://127.0.0.1:{port}",
            "SUPERUSER_EMAIL": SUPERUSER[0],
            "SUPERUSER_PASSWORD": SUPERUSER[1],
        },
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    text = output.decode()
    assert process.returncode == 0, text
    assert "not ok" not in text
    assert text.strip().splitlines()[-1] == "11 passed, 0 failed", text
