"""Fixtures of the auth tests: a running auth + edge stack with a bootstrapped superuser."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from oneclick_testing.services import ServiceGroup

from .stack import Stack, start_stack

SUPERUSER = ("root@example.com", "superuser-secret")


@pytest.fixture
async def stack(services: ServiceGroup) -> AsyncIterator[Stack]:
    url = await start_stack(services, auth_env={"ONECLICK_ADMIN_EMAIL": SUPERUSER[0],
                                                "ONECLICK_ADMIN_PASSWORD": SUPERUSER[1]})
    async with httpx.AsyncClient(base_url=url, timeout=15) as client:
        yield Stack(services, url, client)
