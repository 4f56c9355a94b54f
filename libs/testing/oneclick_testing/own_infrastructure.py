"""A NATS and a PostgreSQL of the module's own, for tests that stop, kill and restart them.

The session's servers (``oneclick_testing.plugin``) are shared with every other test and must stay up. A
module opts in by importing these fixtures, which then replace the session's under the same names for that
module only (its NATS is the plugin's ``module_nats_server``)::

    from oneclick_testing.own_infrastructure import nats_server, nats_url, postgres_server  # noqa: F401
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from oneclick_cli.embedded.nats import EmbeddedNats
from oneclick_cli.embedded.postgres import EmbeddedPostgres
from oneclick_testing.infrastructure import running_postgres


@pytest.fixture(scope="module")
def nats_server(module_nats_server: EmbeddedNats) -> EmbeddedNats:
    return module_nats_server


@pytest.fixture(scope="module")
def nats_url(nats_server: EmbeddedNats) -> str:
    return nats_server.url


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[EmbeddedPostgres]:
    with running_postgres() as server:
        yield server
