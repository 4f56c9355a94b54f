"""Versioned migrations against a real PostgreSQL: applied once, under a lock, never silently changed."""

from __future__ import annotations

import asyncio

import pytest

from oneclick_core.runtime.migrations import Migration, MigrationError, core_migrations, migrate
from oneclick_testing.infrastructure import Database

MIGRATIONS = [
    Migration("0001_things", "CREATE TABLE things (id text PRIMARY KEY)"),
    Migration("0002_more", "ALTER TABLE things ADD COLUMN name text NOT NULL DEFAULT ''"),
]


async def test_applies_pending_migrations_once_and_records_them(database: Database) -> None:
    conn = await database.connect()
    try:
        assert await migrate(conn, "mig", MIGRATIONS[:1]) == ["0001_things"]
        assert await migrate(conn, "mig", MIGRATIONS) == ["0002_more"]
        assert await migrate(conn, "mig", MIGRATIONS) == []
        rows = await conn.fetch("SELECT id, checksum FROM mig.schema_migrations ORDER BY id")
        assert [(r["id"], r["checksum"]) for r in rows] == [(m.id, m.checksum) for m in MIGRATIONS]
        await conn.execute("INSERT INTO mig.things (id, name) VALUES ('a', 'b')")
    finally:
        await conn.close()


async def test_concurrent_replicas_apply_each_migration_once(database: Database) -> None:
    conns = [await database.connect() for _ in range(4)]
    try:
        results = await asyncio.gather(*(migrate(c, "race", MIGRATIONS) for c in conns))
        assert sorted(len(r) for r in results) == [0, 0, 0, 2]
    finally:
        for conn in conns:
            await conn.close()


async def test_an_edited_migration_is_refused(database: Database) -> None:
    conn = await database.connect()
    try:
        await migrate(conn, "edit", MIGRATIONS[:1])
        edited = [Migration("0001_things", "CREATE TABLE things (id int PRIMARY KEY)")]
        with pytest.raises(MigrationError, match="changed after it was applied"):
            await migrate(conn, "edit", edited)
    finally:
        await conn.close()


async def test_a_failing_migration_leaves_nothing_half_applied(database: Database) -> None:
    conn = await database.connect()
    try:
        broken = [*MIGRATIONS[:1], Migration("0002_broken", "ALTER TABLE things ADD COLUMN x int; SELECT 1/0")]
        with pytest.raises(Exception, match="division by zero"):
            await migrate(conn, "broken", broken)
        assert await conn.fetchval("SELECT count(*) FROM broken.schema_migrations") == 1
        columns = await conn.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'broken' AND table_name = 'things'"
        )
        assert [c["column_name"] for c in columns] == ["id"]
    finally:
        await conn.close()


def test_core_migrations_are_named_and_unknown_ones_refused() -> None:
    assert [m.id for m in core_migrations("event_inbox", "event_outbox")] == [
        "core_0001_event_inbox",
        "core_0002_event_outbox",
    ]
    with pytest.raises(MigrationError, match="unknown"):
        core_migrations("nope")
