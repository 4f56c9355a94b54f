"""Fixtures of the auth tests: a running auth + edge stack with a bootstrapped superuser.

Starting the processes dominates a test's time, so one stack serves every test of a module (each test
uses accounts of its own); tests that need other settings start their own with :func:`start_stack`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from oneclick_testing.infrastructure import Database
from oneclick_testing.platform import SUPERUSER
from oneclick_testing.services import ServiceGroup

from .stack import Stack, start_stack


@pytest.fixture(scope="module")
def auth_env() -> dict[str, str]:
    """Extra settings of the module's auth service; a test module overrides this fixture to change them."""
    return {}


@pytest.fixture(scope="module")
async def stack(
    nats_url: str, module_database: Database, module_log_dir: Path, auth_env: dict[str, str]
) -> AsyncIterator[Stack]:
    group = ServiceGroup({"ONECLICK_NATS_URL": nats_url, "ONECLICK_DATABASE_URL": module_database.url}, module_log_dir)
    try:
        url = await start_stack(
            group, auth_env={"ONECLICK_ADMIN_EMAIL": SUPERUSER[0], "ONECLICK_ADMIN_PASSWORD": SUPERUSER[1], **auth_env}
        )
        async with httpx.AsyncClient(base_url=url, timeout=15) as client:
            yield Stack(group, url, client, module_database)
    finally:
        group.stop_all()
