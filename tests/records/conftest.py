"""One auth + records + edge platform per test module; each test signs up users of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from oneclick_testing.infrastructure import Database
from oneclick_testing.platform import Platform, start_platform
from oneclick_testing.services import ServiceGroup


@pytest.fixture(scope="module")
async def platform(nats_url: str, module_database: Database, module_log_dir: Path) -> AsyncIterator[Platform]:
    group = ServiceGroup({"ONECLICK_NATS_URL": nats_url, "ONECLICK_DATABASE_URL": module_database.url},
                         module_log_dir)
    try:
        started = await start_platform(group, module_database, ["auth", "records"])
        yield started
        await started.close()
    finally:
        group.stop_all()
