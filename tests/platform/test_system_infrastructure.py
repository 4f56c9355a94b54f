"""``ONECLICK_NATS_URL`` and ``ONECLICK_DATABASE_URL`` pointing at this machine's system servers.

The machine runs NATS (4222, JetStream) and PostgreSQL (5432) as system services; when they are there,
a service runs against them exactly as against the embedded ones. When they are not, the test says so.
"""

from __future__ import annotations

import secrets
import socket

import asyncpg
import nats
import pytest

from oneclick_cli.discovery import load_service
from oneclick_core.bus.rpc import RpcClient
from oneclick_core.contracts.rpc import PingRequest, ping
from oneclick_testing.infrastructure import with_database
from oneclick_testing.services import ServiceGroup

pytestmark = pytest.mark.system_infra

SYSTEM_NATS = "nats://127.0.0.1:4222"
SYSTEM_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


async def test_a_service_runs_on_the_system_nats_and_postgresql(log_dir: object) -> None:
    from pathlib import Path

    if not reachable(4222):
        pytest.skip("system NATS is not listening on 127.0.0.1:4222 on this machine")
    if not reachable(5432):
        pytest.skip("system PostgreSQL is not listening on 127.0.0.1:5432 on this machine")
    try:
        admin = await asyncpg.connect(SYSTEM_POSTGRES, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.skip(f"system PostgreSQL refuses a connection as postgres: {exc}")
    name = f"oneclick_system_{secrets.token_hex(4)}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    assert isinstance(log_dir, Path)
    group = ServiceGroup(
        {"ONECLICK_NATS_URL": SYSTEM_NATS, "ONECLICK_DATABASE_URL": with_database(SYSTEM_POSTGRES, name)}, log_dir
    )
    try:
        records = await group.start("records")
        nc = await nats.connect(SYSTEM_NATS)
        try:
            reply = await RpcClient(nc, "test").call(ping("records"), PingRequest())
        finally:
            await nc.close()
        assert reply.ready
        assert reply.admin_url == records.admin_url
        db = await asyncpg.connect(with_database(SYSTEM_POSTGRES, name))
        try:
            applied = await db.fetchval("SELECT count(*) FROM records.schema_migrations")
            assert applied == len(load_service("records").migrations())
        finally:
            await db.close()
    finally:
        group.stop_all()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
