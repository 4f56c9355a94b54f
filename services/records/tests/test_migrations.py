"""records' upgrade migrations against a real PostgreSQL, from the state an older release left: the ingress
hosts running rollouts already served are claimed (the earliest running rollout's project first), and files that
updates replaced before they were deleted with them are gone."""

from __future__ import annotations

import json

from oneclick_core.runtime.migrations import migrate
from oneclick_records.main import migrations
from oneclick_testing.infrastructure import Database

SCHEMA = "records"


def _manifest(*hosts: str) -> str:
    rules = [{"host": host, "path": "/"} for host in hosts]
    return json.dumps({"spec": {"interfaces": [{"name": "http", "port": 80, "ingress": {"rules": rules}}]}})


async def test_upgrading_claims_hosts_in_use_and_drops_orphaned_files(database: Database) -> None:
    every = migrations()
    upgrades = {"0003_tenancy", "0004_orphaned_files"}
    before = [m for m in every if m.id not in upgrades]
    conn = await database.connect()
    try:
        await migrate(conn, SCHEMA, before)
        await conn.execute(f"SET search_path TO {SCHEMA}")
        for project, user in (("projectaaaaaaaa", "useraaaaaaaaaaa"), ("projectbbbbbbbb", "userbbbbbbbbbbb")):
            await conn.execute(
                'INSERT INTO projects (id, name, avatar, "user", created, updated) '
                "VALUES ($1, 'p', 'logo_now.png', $2, now(), now())",
                project,
                user,
            )
            await conn.execute(
                'INSERT INTO deployments (id, project, "user", created, updated) VALUES ($1, $2, $3, now(), now())',
                project.replace("project", "deploym"),
                project,
                user,
            )
        rollouts = [  # id, project, start, end, hosts
            ("rolloutaaaaaaa1", "projectaaaaaaaa", "2026-01-02", None, ("shared.example.com", "a.example.com")),
            ("rolloutbbbbbbb1", "projectbbbbbbbb", "2026-01-01", None, ("Shared.Example.com.", "b.example.com")),
            ("rolloutbbbbbbb0", "projectbbbbbbbb", "2025-12-01", "2025-12-02", ("old.example.com",)),
        ]
        for rollout, project, start, end, hosts in rollouts:
            await conn.execute(
                'INSERT INTO rollouts (id, manifest, start_date, end_date, project, deployment, "user", created, '
                "updated) VALUES ($1, $2::jsonb, $3::text::timestamptz, $4::text::timestamptz, $5, $6, 'u', now(), "
                "now())",
                rollout,
                _manifest(*hosts),
                start,
                end,
                project,
                project.replace("project", "deploym"),
            )
        for name in ("logo_now.png", "logo_before.png"):
            await conn.execute(
                "INSERT INTO files (collection, record_id, field, name, content_type, data) "
                "VALUES ('projects', 'projectaaaaaaaa', 'avatar', $1, 'image/png', 'x')",
                name,
            )

        assert set(await migrate(conn, SCHEMA, every)) == upgrades

        claims = {row["host"]: row["project"] for row in await conn.fetch("SELECT host, project FROM ingress_hosts")}
        # The earliest running rollout (B's, normalized) keeps the shared host; ended rollouts claim nothing.
        assert claims == {
            "shared.example.com": "projectbbbbbbbb",
            "a.example.com": "projectaaaaaaaa",
            "b.example.com": "projectbbbbbbbb",
        }
        files = [row["name"] for row in await conn.fetch("SELECT name FROM files")]
        assert files == ["logo_now.png"]
    finally:
        await conn.close()
