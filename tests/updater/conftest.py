"""Fixtures of the updater tests: a NATS per module (durable consumers start from an empty stream), real
registries per module, and the updater's tables."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from oneclick_testing.infrastructure import Database, running_nats

from .helpers import UpdaterTables
from .registry import REGISTRY_BINARY, Registry

USERS = {"ci-bot": "registry-password-7f3a"}


@pytest.fixture(scope="module")
def nats_url() -> Iterator[str]:
    with running_nats() as server:
        yield server.url


async def _registry(tmp_path_factory: pytest.TempPathFactory, auth: str) -> AsyncIterator[Registry]:
    if REGISTRY_BINARY is None:
        pytest.skip("docker-registry is not installed (apt-get install -y docker-registry; .ci/run does it)")
    registry = await Registry(tmp_path_factory.mktemp(f"registry-{auth}"), auth, USERS).start()  # type: ignore[arg-type]
    yield registry
    registry.stop()


@pytest.fixture(scope="module")
async def registry(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Registry]:
    """Anonymous access."""
    async for started in _registry(tmp_path_factory, "none"):
        yield started


@pytest.fixture(scope="module", params=["htpasswd", "token"])
async def private_registry(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Registry]:
    """htpasswd basic auth, or bearer tokens from a local token server that checks the password (user ``ci-bot``)."""
    async for started in _registry(tmp_path_factory, request.param):
        yield started


@pytest.fixture(scope="module")
def tables(module_database: Database) -> UpdaterTables:
    return UpdaterTables(module_database)
