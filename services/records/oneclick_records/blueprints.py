"""The blueprint endpoints of One-Click beyond CRUD: share with oneself, and the community blueprints."""

from __future__ import annotations

import asyncpg

from oneclick_core.contracts.auth import Actor
from oneclick_core.contracts.records import JsonObject
from oneclick_core.errors import ApiError
from oneclick_core.timestamps import utcnow
from oneclick_records.model import BLUEPRINTS
from oneclick_records.publishing import publish_change
from oneclick_records.serializing import to_record
from oneclick_records.userlocks import hold_users


async def share_blueprint(conn: asyncpg.Connection, blueprint_id: str, actor: Actor) -> JsonObject:
    """Add the actor to the blueprint's ``users`` (idempotent; the owner's blueprint stays as it is).

    A link to a blueprint is the invitation: whoever has the id of a private blueprint may add itself,
    as in One-Click. Only the actor itself is ever added.
    """
    if await hold_users(conn, [actor.id]):
        raise ApiError.unauthorized()  # the account was deleted; its token has not caught up yet
    row = await conn.fetchrow("SELECT * FROM blueprints WHERE id = $1 FOR UPDATE", blueprint_id)
    if row is None:
        raise ApiError.not_found()
    record = to_record(BLUEPRINTS, row)
    if record["owner"] == actor.id or actor.id in record["users"]:
        return record
    updated = await conn.fetchrow(
        "UPDATE blueprints SET users = array_append(users, $2), updated = $3 WHERE id = $1 RETURNING *",
        blueprint_id, actor.id, utcnow())
    record = to_record(BLUEPRINTS, updated)
    await publish_change(conn, BLUEPRINTS, "update", record, ["users"])
    return record


async def unshare_blueprint(conn: asyncpg.Connection, blueprint_id: str, user_id: str) -> JsonObject | None:
    """Remove a user from the blueprint's ``users`` (a deleted account); None when it is not listed.

    Only this user's id goes: the others stay as they are even when one of them is itself on its way
    out, which an update through :func:`writing.update` (checking every remaining user) would refuse.
    """
    row = await conn.fetchrow("SELECT * FROM blueprints WHERE id = $1 FOR UPDATE", blueprint_id)
    if row is None or user_id not in row["users"]:
        return None
    updated = await conn.fetchrow(
        "UPDATE blueprints SET users = array_remove(users, $2), updated = $3 WHERE id = $1 RETURNING *",
        blueprint_id, user_id, utcnow())
    record = to_record(BLUEPRINTS, updated)
    await publish_change(conn, BLUEPRINTS, "update", record, ["users"])
    return record
