"""Every service as a process behind the edge (so no route answers 503 for lack of one), and a user whose
requests the fuzzers send. One platform for the whole package: starting it costs more than the fuzzing.

The package gets a NATS of its own: the executor's durable consumer would otherwise start with every rollout
event other test modules left in the session's stream."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from kubesim.testing import KubesimProcess
from oneclick_cli.embedded.postgres import EmbeddedPostgres
from oneclick_testing.infrastructure import Database, kept_log_dir, own_database, running_nats
from oneclick_testing.platform import ALL_SERVICES, OFFLINE_UPDATER_ENV, Platform, User, running_platform


@pytest.fixture(scope="package")
def nats_url() -> Iterator[str]:
    with running_nats() as server:
        yield server.url


@pytest.fixture(scope="package")
async def fuzz_database(postgres_server: EmbeddedPostgres) -> AsyncIterator[Database]:
    async with own_database(postgres_server.url) as created:
        yield created


@pytest.fixture(scope="package")
def fuzz_log_dir(request: pytest.FixtureRequest) -> Iterator[Path]:
    """The services' logs, kept when a test of the package failed."""
    with kept_log_dir(request) as path:
        yield path


@pytest.fixture(scope="package")
async def platform(
    nats_url: str, fuzz_database: Database, fuzz_log_dir: Path, kubesim_cluster: KubesimProcess
) -> AsyncIterator[Platform]:
    async with running_platform(
        nats_url=nats_url,
        database=fuzz_database,
        log_dir=fuzz_log_dir,
        names=ALL_SERVICES,
        kubeconfig=kubesim_cluster.kubeconfig,
        # Fuzzed checks-now ask registries this machine may not reach.
        env={"updater": OFFLINE_UPDATER_ENV},
    ) as started:
        yield started


@pytest.fixture(scope="package")
async def user(platform: Platform) -> User:
    return await platform.new_user("fuzzer")
