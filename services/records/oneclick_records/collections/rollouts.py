"""``rollouts``: immutable snapshots of a deployment's manifest, and One-Click's rules of which one runs.

The rollout with no ``endDate`` is the running one, at most one per deployment:

- a new rollout runs from now and ends the one that ran;
- ``endDate`` set: the rollout ends (the executor removes it from the cluster);
- ``endDate`` cleared on an ended rollout: rollback — it runs again from now and the running one ends;
- ``hide`` alone: nothing else happens;
- anything else on a running rollout (the manifest): it is re-applied from now.

A rollout about to run something new must pass its project's tenancy policy (:mod:`oneclick_records.tenancy`),
which claims its ingress hosts; every write gives up the hosts no running rollout of the project serves any more.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import asyncpg

from oneclick_core.contracts.records import COLLECTION_IDS, JsonObject
from oneclick_core.errors import field_error
from oneclick_records import rules
from oneclick_records.declaring import OWNED, Change, Collection, Field, Hooks, Kind
from oneclick_records.publishing import publish_change
from oneclick_records.serializing import to_record
from oneclick_records.tenancy import release_hosts


async def _no_end_date_on_create(change: Change) -> None:
    if change.current is None and change.values.get("endDate"):
        change.errors["endDate"] = field_error("validation_not_allowed", "endDate is not allowed on create.")


async def _within_tenancy(change: Change) -> None:
    """Last, and only for a rollout otherwise valid: it is what claims the rollout's ingress hosts (in this
    transaction, so a refused rollout's claims roll back with it)."""
    if change.errors or change.tenancy is None:
        return
    values, current = change.values, change.current
    if current is None:
        await change.tenancy.check_running(
            change.conn,
            project=values["project"],
            deployment=values["deployment"],
            manifest=values["manifest"],
            errors=change.errors,
        )
    elif _starts_running(current, values):
        await change.tenancy.check_running(
            change.conn,
            project=current["project"],
            deployment=current["deployment"],
            manifest=values.get("manifest") or current["manifest"],
            errors=change.errors,
        )


def _starts_running(current: JsonObject, values: Mapping[str, Any]) -> bool:
    """Whether an update makes a rollout run something new: a rollback (``endDate`` cleared on an ended rollout)
    or a changed manifest of the running one."""
    running_after = values["endDate"] is None if "endDate" in values else not current["endDate"]
    if not running_after:
        return False
    return bool(current["endDate"]) or ("manifest" in values and values["manifest"] != current["manifest"])


async def _lifecycle(change: Change, now: datetime) -> None:
    """The rules of the module docstring: who runs from when, and who ends."""
    values, current = change.values, change.current
    if current is None:
        await _lock_deployment(change.conn, values["deployment"])
        await _end_running(change.conn, values["deployment"], now)
        values["startDate"] = now
        values["endDate"] = None
        return
    was_running = not current["endDate"]
    if "endDate" in change.changed:
        if values["endDate"] is None and not was_running:
            await _lock_deployment(change.conn, current["deployment"])
            await _end_running(change.conn, current["deployment"], now, keep=current["id"])
            values["startDate"] = now
        return
    if was_running and set(change.changed) - {"hide"}:
        values["startDate"] = now


async def _end_running(conn: asyncpg.Connection, deployment_id: str, now: datetime, keep: str | None = None) -> None:
    """End the deployment's running rollout (One-Click: a new or re-activated rollout replaces it)."""
    rows = await conn.fetch(
        "UPDATE rollouts SET end_date = $2, updated = $2 WHERE deployment = $1 AND end_date IS NULL "
        "AND id IS DISTINCT FROM $3 RETURNING *",
        deployment_id,
        now,
        keep,
    )
    for row in rows:
        await publish_change(conn, ROLLOUTS, "update", to_record(ROLLOUTS, row), ["endDate"])


async def _lock_deployment(conn: asyncpg.Connection, deployment_id: str) -> None:
    # Serialises everything that changes which rollout runs, so concurrent requests cannot both win.
    await conn.execute("SELECT 1 FROM deployments WHERE id = $1 FOR UPDATE", deployment_id)


async def release_project_hosts(change: Change, record: JsonObject) -> None:
    """Those only the rollout this one replaced (or ended, or this deleted one) served."""
    await release_hosts(change.conn, record["project"])


ROLLOUTS = Collection(
    name="rollouts",
    id=COLLECTION_IDS["rollouts"],
    table="rollouts",
    fields=(
        Field("manifest", Kind.JSON, required=True),
        Field("startDate", Kind.DATE, column="start_date", system=True),
        Field("endDate", Kind.DATE, column="end_date"),
        Field("hide", Kind.BOOL),
        Field("project", Kind.RELATION, target="projects", required=True, immutable=True),
        Field("deployment", Kind.RELATION, target="deployments", required=True, immutable=True),
        Field("user", Kind.RELATION, target="users", owner=True),
    ),
    view_rule=OWNED,
    write_rule=OWNED,
    owner_field="user",
    hooks=Hooks(
        validate=(
            rules.owner,
            _no_end_date_on_create,
            rules.manifest,
            rules.owner_exists,
            rules.relations,
            rules.same_project,
            _within_tenancy,
        ),
        before_write=_lifecycle,
        after_write=release_project_hosts,
        after_delete=release_project_hosts,
    ),
)
