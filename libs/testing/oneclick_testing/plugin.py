"""pytest fixtures: one embedded NATS and PostgreSQL per session, a fresh database and service group per test."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path

import httpx
import nats
import pytest
from nats.aio.client import Client as NATS

from kubesim.testing import KubesimProcess
from oneclick_cli.embedded.nats import EmbeddedNats
from oneclick_cli.embedded.postgres import EmbeddedPostgres
from oneclick_testing.infrastructure import (
    Database,
    kept_log_dir,
    own_database,
    running_nats,
    running_postgres,
    scratch_dir,
)
from oneclick_testing.services import ServiceGroup


@pytest.fixture(scope="session")
def nats_server() -> Iterator[EmbeddedNats]:
    with running_nats() as server:
        yield server


@pytest.fixture(scope="session")
def nats_url(nats_server: EmbeddedNats) -> str:
    return nats_server.url


@pytest.fixture(scope="session")
def kubesim_cluster() -> Iterator[KubesimProcess]:
    """kubesim (fast timings) as a process for the session; each project lives in a namespace of its own."""
    with KubesimProcess(timings="fast") as cluster:
        yield cluster


@pytest.fixture(scope="module")
def module_nats_server() -> Iterator[EmbeddedNats]:
    """A NATS of the module's own: its durable consumers start with an empty stream."""
    with running_nats() as server:
        yield server


@pytest.fixture(scope="module")
def module_nats_url(module_nats_server: EmbeddedNats) -> str:
    return module_nats_server.url


@pytest.fixture(scope="module")
def module_kubesim() -> Iterator[KubesimProcess]:
    """A cluster of the module's own, for tests that count its requests or watches."""
    with KubesimProcess(timings="fast") as cluster:
        yield cluster


@pytest.fixture(scope="module")
async def module_kubesim_client(module_kubesim: KubesimProcess) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the module's cluster's API server, to look at (or make) its objects."""
    async with httpx.AsyncClient(base_url=module_kubesim.url, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[EmbeddedPostgres]:
    with running_postgres() as server:
        yield server


@pytest.fixture
async def database(postgres_server: EmbeddedPostgres) -> AsyncIterator[Database]:
    async with own_database(postgres_server.url) as created:
        yield created


@pytest.fixture(scope="module")
async def module_database(postgres_server: EmbeddedPostgres) -> AsyncIterator[Database]:
    """One database for a module whose tests share running services (see ``oneclick_testing.platform``)."""
    async with own_database(postgres_server.url) as created:
        yield created


@pytest.fixture(scope="module")
def module_log_dir(request: pytest.FixtureRequest) -> Iterator[Path]:
    """Service logs of a module's shared processes; kept when any test of the module failed."""
    with kept_log_dir(request) as path:
        yield path


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[NATS]:
    client = await nats.connect(nats_url, name="test")
    yield client
    await client.close()


@pytest.fixture
def log_dir(request: pytest.FixtureRequest) -> Iterator[Path]:
    """Where service processes of one test write their output; kept only when the test failed."""
    path = scratch_dir("oneclick-test-logs-")
    yield path
    report = getattr(request.node, "rep_call", None)
    if report is None or report.passed:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
async def services(
    nats_url: str, database: Database, log_dir: Path, kubesim_cluster: KubesimProcess
) -> AsyncIterator[ServiceGroup]:
    """Start service processes with ``await services.start("records")``; all are stopped after the test."""
    group = ServiceGroup(
        {
            "ONECLICK_NATS_URL": nats_url,
            "ONECLICK_DATABASE_URL": database.url,
            "KUBECONFIG": str(kubesim_cluster.kubeconfig),
        },
        log_dir,
    )
    yield group
    group.stop_all()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    # Lets fixtures see whether the test failed (to keep the service logs of failed tests).
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
