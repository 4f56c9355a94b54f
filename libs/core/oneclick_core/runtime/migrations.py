"""Versioned SQL migrations per schema, applied once under a PostgreSQL advisory lock.

A service lists its migrations (shared ones from ``oneclick_core/sql`` first, then its own
``migrations/NNNN_name.sql``); each is applied in its own transaction and recorded with a checksum in
``<schema>.schema_migrations``. Editing an applied migration is refused: write a new one.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources

import asyncpg

from oneclick_core.observability.logs import get_logger

log = get_logger(__name__)

_FILE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    id: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations(package: str, prefix: str = "") -> list[Migration]:
    """The ``NNNN_name.sql`` files of a package, in number order."""
    found = []
    for entry in resources.files(package).iterdir():
        if entry.is_file() and _FILE.match(entry.name):
            found.append(Migration(id=prefix + entry.name.removesuffix(".sql"), sql=entry.read_text()))
    found.sort(key=lambda m: m.id)
    return found


def core_migrations(*names: str) -> list[Migration]:
    """Shared tables a service opts into, e.g. ``core_migrations("event_inbox", "event_outbox")``."""
    available = {m.id.split("_", 1)[1]: m for m in load_migrations("oneclick_core.runtime.sql")}
    missing = [n for n in names if n not in available]
    if missing:
        raise MigrationError(f"unknown core migrations: {missing}")
    return [Migration(id=f"core_{available[n].id}", sql=available[n].sql) for n in names]


def _lock_key(schema: str) -> int:
    # A stable signed 64-bit key per schema for pg_advisory_lock.
    return int.from_bytes(hashlib.sha256(f"oneclick.migrate.{schema}".encode()).digest()[:8], "big", signed=True)


async def migrate(conn: asyncpg.Connection, schema: str, migrations: list[Migration]) -> list[str]:
    """Apply what is pending; returns the ids applied. Safe to run from several replicas at once."""
    ids = [m.id for m in migrations]
    if len(set(ids)) != len(ids):
        raise MigrationError(f"duplicate migration ids for schema {schema}: {ids}")
    if not schema.replace("_", "").isalnum():
        raise MigrationError(f"invalid schema name {schema!r}")
    await conn.execute("SELECT pg_advisory_lock($1)", _lock_key(schema))
    try:
        # Checked first: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege on the database even when the
        # schema exists, and a production role owns only its schema (deploy/kubernetes postgres roles).
        if not await conn.fetchval("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", schema):
            await conn.execute(f'CREATE SCHEMA "{schema}"')
        await conn.execute(
            f'CREATE TABLE IF NOT EXISTS "{schema}".schema_migrations ('
            " id text PRIMARY KEY, checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        rows = await conn.fetch(f'SELECT id, checksum FROM "{schema}".schema_migrations')
        applied = {row["id"]: row["checksum"] for row in rows}
        done: list[str] = []
        for migration in migrations:
            if migration.id in applied:
                if applied[migration.id] != migration.checksum:
                    raise MigrationError(
                        f"migration {schema}/{migration.id} changed after it was applied; add a new one instead"
                    )
                continue
            async with conn.transaction():
                await conn.execute(f'SET LOCAL search_path TO "{schema}", pg_catalog')
                await conn.execute(migration.sql)
                await conn.execute(
                    f'INSERT INTO "{schema}".schema_migrations (id, checksum) VALUES ($1, $2)',
                    migration.id,
                    migration.checksum,
                )
            log.info("migration.applied", schema=schema, migration=migration.id)
            done.append(migration.id)
        return done
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _lock_key(schema))
