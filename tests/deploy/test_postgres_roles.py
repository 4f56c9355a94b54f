"""components/postgres: roles.sql, run by psql as the image's init script runs it, gives each service with a
schema a role of its own; the services migrate and run as those roles, and no role reaches another's schema."""

from __future__ import annotations

import asyncio
import secrets
import subprocess
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from oneclick_cli.discovery import load_service
from oneclick_cli.embedded.postgres import EmbeddedPostgres, postgres_bin_dir
from oneclick_core.contracts.rpc import SERVICES
from oneclick_testing.infrastructure import Database, create_database, drop_database
from oneclick_testing.platform import FAST_HASHING
from oneclick_testing.services import ServiceGroup

from .kustomize import KUBERNETES

COMPONENT = KUBERNETES / "components" / "postgres"
SCHEMA_OWNERS = [name for name in SERVICES if load_service(name).schema is not None]


def as_role(url: str, role: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port}"))


def _run_roles_sql(database: Database) -> None:
    parts = urlsplit(database.url)
    variables = {"DBNAME": database.name, **{f"{name}_password": secrets.token_hex(8) for name in SCHEMA_OWNERS}}
    command = [
        str(postgres_bin_dir() / "psql"),
        "--set",
        "ON_ERROR_STOP=1",
        "--host",
        str(parts.hostname),
        "--port",
        str(parts.port),
        "--username",
        str(parts.username),
        "--dbname",
        database.name,
        "--file",
        str(COMPONENT / "roles.sql"),
    ]
    for key, value in variables.items():
        command[1:1] = ["--set", f"{key}={value}"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


async def test_each_service_runs_as_its_own_role_confined_to_its_schema(
    postgres_server: EmbeddedPostgres, services: ServiceGroup
) -> None:
    database = await create_database(postgres_server.url)
    try:
        # Roles are cluster-wide: this test's database server must not have them yet (it runs once per session).
        await asyncio.to_thread(_run_roles_sql, database)
        await asyncio.gather(
            *(
                services.start(
                    name, env={**FAST_HASHING, "ONECLICK_DATABASE_URL": as_role(database.url, f"oneclick_{name}")}
                )
                for name in SCHEMA_OWNERS
            )
        )
        for name in SCHEMA_OWNERS:
            conn = await asyncpg.connect(as_role(database.url, f"oneclick_{name}"))
            try:
                applied = await conn.fetchval(f"SELECT count(*) FROM {name}.schema_migrations")
                assert applied == len(load_service(name).migrations())
                for other in SCHEMA_OWNERS:
                    if other == name:
                        continue
                    with pytest.raises(asyncpg.InsufficientPrivilegeError):
                        await conn.fetchval(f"SELECT count(*) FROM {other}.schema_migrations")
                    with pytest.raises(asyncpg.InsufficientPrivilegeError):
                        await conn.execute(f"CREATE TABLE {other}.intruder (id int)")
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await conn.execute("CREATE TABLE public.intruder (id int)")
            finally:
                await conn.close()
    finally:
        services.stop_all()
        await drop_database(postgres_server.url, database)
        admin = await asyncpg.connect(postgres_server.url)
        try:
            for name in SCHEMA_OWNERS:
                await admin.execute(f"DROP ROLE IF EXISTS oneclick_{name}")
        finally:
            await admin.close()
