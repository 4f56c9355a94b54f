"""What the updater tests build on: deployments running an image of the test registry, autoUpdates on them,
and reading the updater's own tables (the check history) and records' rollouts back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from oneclick_testing.infrastructure import Database
from oneclick_testing.platform import User
from oneclick_testing.records import create, rollout_manifest

# Short so a test sees a tick every second and a killed replica's lease and messages come back quickly.
FAST_UPDATER = {
    "CRON_TICK": "* * * * * *",
    "ONECLICK_UPDATER_LEASE_TTL": "2",
    "ONECLICK_UPDATER_CHECK_ACK_WAIT": "3",
    "ONECLICK_UPDATER_REGISTRY_BACKOFF": "0.05",
}
# The test registries listen on 127.0.0.1, which the registry address policy refuses by default: the updater
# may reach that one address (as an operator allows an in-house registry's network), and no other loopback one.
LOCAL_REGISTRIES = {"ONECLICK_TENANCY_REGISTRY_ALLOWED_NETWORKS": "127.0.0.1/32"}


def manifest(registry: str, repository: str, tag: str, username: str = "", password: str = "") -> dict[str, Any]:
    """A manifest of the image with an env variable and a secret, which the rollouts the updater makes carry on."""
    return rollout_manifest(
        tag,
        registry=registry,
        repository=repository,
        username=username,
        password=password,
        env=[{"name": "MODE", "value": "test"}],
        secrets=[{"name": "API_KEY", "value": "k-123"}],
        interfaces=[{"name": "http", "port": 8080}],
    )


async def project(user: User, name: str = "apps") -> dict[str, Any]:
    return await create(user, "projects", name=name)


async def running_deployment(
    user: User, project: dict[str, Any], image: dict[str, Any], name: str = "web"
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A deployment and its running rollout of ``image`` (a manifest)."""
    deployment = await create(user, "deployments", name=name, project=project["id"])
    rollout = await create(user, "rollouts", project=project["id"], deployment=deployment["id"], manifest=image)
    return deployment, rollout


async def auto_update(
    user: User, deployment: dict[str, Any], interval: str = "5m", pattern: str = "", policy: str = "semver"
) -> dict[str, Any]:
    return await create(
        user,
        "autoUpdates",
        project=deployment["project"],
        deployment=deployment["id"],
        interval=interval,
        pattern=pattern,
        policy=policy,
    )


def tag_of(rollout: dict[str, Any]) -> str:
    return str(rollout["manifest"]["spec"]["image"]["tag"])


def running(rollouts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rollouts if not r["endDate"]]


class UpdaterTables:
    """Reads the updater's schema directly: the check history is what "checked once per due time" is about."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def _fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        conn = await self._database.connect()
        try:
            rows: list[asyncpg.Record] = await conn.fetch(query, *args)
            return rows
        finally:
            await conn.close()

    async def checks(self, auto_update: str | None = None) -> list[asyncpg.Record]:
        if auto_update is None:
            return await self._fetch("SELECT * FROM updater.checks ORDER BY id")
        return await self._fetch("SELECT * FROM updater.checks WHERE auto_update = $1 ORDER BY id", auto_update)

    async def known(self, ids: list[str]) -> int:
        rows = await self._fetch(
            "SELECT count(*) AS n FROM updater.auto_updates WHERE id = ANY ($1) AND NOT deleted", ids
        )
        return int(rows[0]["n"])

    async def make_due_now(self, ids: list[str]) -> datetime:
        """Everything in ``ids`` becomes due at the same moment, so one tick dispatches them all together."""
        rows = await self._fetch(
            "UPDATE updater.auto_updates SET next_run = now() WHERE id = ANY ($1) RETURNING now() AS at", ids
        )
        return rows[0]["at"]  # type: ignore[no-any-return]

    async def schedule(self, auto_update: str) -> asyncpg.Record:
        rows = await self._fetch("SELECT * FROM updater.auto_updates WHERE id = $1", auto_update)
        return rows[0]
