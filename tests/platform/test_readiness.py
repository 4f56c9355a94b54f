"""A real service's ``/readyz`` follows its dependencies: 503 while PostgreSQL or NATS is gone, 200 once back.

The servers are the module's own (the session's are shared with every other test), stopped and restarted
on the same port and data directory; the service is ``oneclick service records`` as its own process.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from oneclick_cli.embedded.nats import EmbeddedNats
from oneclick_cli.embedded.postgres import EmbeddedPostgres

# Imported fixtures are found by pytest by name; ruff sees the parameters that take them as redefinitions.
# ruff: noqa: F811
from oneclick_testing.own_infrastructure import nats_server, nats_url, postgres_server  # noqa: F401
from oneclick_testing.services import ServiceGroup, ServiceProcess
from oneclick_testing.waiting import eventually


class Readiness:
    """Polls a service's /readyz and remembers the last answer for the failure message."""

    def __init__(self, service: ServiceProcess) -> None:
        self.service = service
        self.status = 0
        self.checks: dict[str, Any] = {}

    async def probe(self) -> None:
        # Longer than the service's own 2 s database ping: an unreachable server must answer, not hang.
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.get(f"{self.service.admin_url}/readyz")
        self.status = response.status_code
        self.checks = response.json()["checks"]

    async def until(self, status: int, **checks: str) -> None:
        async def reached() -> bool:
            await self.probe()
            return self.status == status and all(
                str(self.checks.get(name, "")).startswith(value) for name, value in checks.items()
            )

        try:
            await eventually(reached, timeout=60, interval=0.2)
        except AssertionError:
            raise AssertionError(
                f"/readyz never answered {status} with {checks}; last {self.status} "
                f"{self.checks}\n{self.service.log_tail()}"
            ) from None


@pytest.fixture
async def records(services: ServiceGroup) -> ServiceProcess:
    # The plugin's service group, on this module's own NATS and PostgreSQL (imported above).
    return await services.start("records")


async def test_readyz_is_503_without_postgresql_and_200_when_it_is_back(
    records: ServiceProcess, postgres_server: EmbeddedPostgres
) -> None:
    readiness = Readiness(records)
    await readiness.until(200, database="ok", nats="ok", started="ok")

    postgres_server.stop()
    try:
        await readiness.until(503, database="unavailable")
        assert readiness.checks["nats"] == "ok"  # only the missing dependency is named
    finally:
        postgres_server.start()
    await readiness.until(200, database="ok", nats="ok")
    # Healed in place, not by a restart.
    assert records.process is not None
    assert records.process.poll() is None


async def test_readyz_is_503_without_nats_and_200_when_it_is_back(
    records: ServiceProcess, nats_server: EmbeddedNats
) -> None:
    readiness = Readiness(records)
    await readiness.until(200, database="ok", nats="ok", started="ok")

    nats_server.stop()
    try:
        await readiness.until(503, nats="disconnected")
        assert readiness.checks["database"] == "ok"
    finally:
        nats_server.start()
    await readiness.until(200, database="ok", nats="ok")
    assert records.process is not None
    assert records.process.poll() is None
