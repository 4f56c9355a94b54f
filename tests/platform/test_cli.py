"""The ``oneclick`` command against real infrastructure: migrate, service, catalog."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from oneclick_cli.discovery import load_service, service_names
from oneclick_testing.infrastructure import Database


def oneclick(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "oneclick_cli", *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def declared_migrations() -> dict[str, int]:
    """Each schema-owning service's migrations, as its ServiceSpec declares them."""
    specs = (load_service(name) for name in service_names())
    return {spec.schema: len(spec.migrations()) for spec in specs if spec.schema is not None}


async def test_migrate_creates_every_schema_once(database: Database) -> None:
    expected = declared_migrations()
    assert set(expected) == {"auth", "records", "updater"}
    env = {"ONECLICK_DATABASE_URL": database.url, "ONECLICK_LOG_FORMAT": "json"}
    first = await asyncio.to_thread(oneclick, "migrate", env=env)
    assert first.returncode == 0, first.stderr
    for schema, count in expected.items():
        assert f"{schema}: {count} applied" in first.stdout
    again = await asyncio.to_thread(oneclick, "migrate", env=env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == [f"{schema}: 0 applied" for schema in expected]
    conn = await database.connect()
    try:
        schemas = {r["nspname"] for r in await conn.fetch("SELECT nspname FROM pg_namespace")}
        assert set(expected) <= schemas
        for schema, count in expected.items():
            assert await conn.fetchval(f"SELECT count(*) FROM {schema}.schema_migrations") == count
    finally:
        await conn.close()


def test_migrate_without_a_database_says_what_to_set() -> None:
    result = oneclick("migrate", env={"ONECLICK_DATABASE_URL": ""})
    assert result.returncode != 0
    assert "ONECLICK_DATABASE_URL" in result.stderr


def test_unknown_service_is_refused_with_the_list() -> None:
    result = oneclick("service", "nope")
    assert result.returncode == 2
    assert "unknown service 'nope'" in result.stderr
    assert "records" in result.stderr


def test_catalog_check_passes_on_the_committed_file() -> None:
    result = oneclick("catalog", "--check")
    assert result.returncode == 0, result.stderr
