"""One auth + records + edge platform per test module; each test signs up users of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from oneclick_testing.infrastructure import Database
from oneclick_testing.platform import Platform, running_platform


@pytest.fixture(scope="module")
async def platform(nats_url: str, module_database: Database, module_log_dir: Path) -> AsyncIterator[Platform]:
    async with running_platform(
        nats_url=nats_url, database=module_database, log_dir=module_log_dir, names=["auth", "records"]
    ) as started:
        yield started
