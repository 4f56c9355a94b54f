"""Fixtures of the auth tests: a running auth + edge stack with a bootstrapped superuser.

Starting the processes dominates a test's time, so one stack serves every test of a module (each test
uses accounts of its own); tests that need other settings start their own with :func:`start_stack`.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator

import httpx
import pytest

from oneclick_cli.embedded.postgres import EmbeddedPostgres
from oneclick_testing.infrastructure import Database, create_database, drop_database, scratch_dir
from oneclick_testing.services import ServiceGroup

from .stack import SUPERUSER, Stack, start_stack


@pytest.fixture(scope="module")
async def module_database(postgres_server: EmbeddedPostgres) -> AsyncIterator[Database]:
    created = await create_database(postgres_server.url)
    yield created
    await drop_database(postgres_server.url, created)


@pytest.fixture(scope="module")
def auth_env() -> dict[str, str]:
    """Extra settings of the module's auth service; a test module overrides this fixture to change them."""
    return {}


@pytest.fixture(scope="module")
async def stack(request: pytest.FixtureRequest, nats_url: str, module_database: Database,
                auth_env: dict[str, str]) -> AsyncIterator[Stack]:
    log_dir = scratch_dir("oneclick-test-logs-")
    failed_before = request.session.testsfailed
    group = ServiceGroup({"ONECLICK_NATS_URL": nats_url, "ONECLICK_DATABASE_URL": module_database.url}, log_dir)
    try:
        url = await start_stack(group, auth_env={"ONECLICK_ADMIN_EMAIL": SUPERUSER[0],
                                                 "ONECLICK_ADMIN_PASSWORD": SUPERUSER[1], **auth_env})
        async with httpx.AsyncClient(base_url=url, timeout=15) as client:
            yield Stack(group, url, client, module_database)
    finally:
        group.stop_all()
        if request.session.testsfailed == failed_before:
            shutil.rmtree(log_dir, ignore_errors=True)
