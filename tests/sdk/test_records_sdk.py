"""The official PocketBase JS SDK against auth + records + edge: the collections and realtime (issue 5)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from oneclick_testing.infrastructure import Database
from oneclick_testing.platform import start_platform
from oneclick_testing.services import ServiceGroup

from .test_sdk import HERE, NODE, _install, pytestmark  # noqa: F401 - the same skip reason applies


async def test_collections_and_realtime_through_the_pocketbase_sdk(services: ServiceGroup, database: Database) -> None:
    await asyncio.to_thread(_install)
    platform = await start_platform(services, database, ["auth", "records"])
    try:
        assert NODE is not None
        process = await asyncio.create_subprocess_exec(
            NODE,
            "records_flow.mjs",
            cwd=HERE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env={"PATH": str(Path(NODE).parent), "ONECLICK_URL": platform.url},
        )
        output, _ = await asyncio.wait_for(process.communicate(), timeout=180)
    finally:
        await platform.close()
    text = output.decode()
    assert process.returncode == 0, text
    assert "not ok" not in text
    assert text.strip().splitlines()[-1] == "9 passed, 0 failed", text
