"""The blueprint endpoints of One-Click beyond CRUD (share with oneself, leave), and the rule of who may change
whom a blueprint is shared with.

``users`` only ever gains the caller, through the share link: otherwise anyone could put a blueprint into
another user's list, and learn who they are from it. It loses ids through an update by the owner (anyone) or
through :func:`leave_blueprint` (the caller itself).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg

from oneclick_core.contracts.auth import Actor
from oneclick_core.contracts.records import JsonObject
from oneclick_core.errors import ApiError, field_error
from oneclick_core.timestamps import utcnow
from oneclick_records.access import Params, can_view
from oneclick_records.model import BLUEPRINTS, Collection
from oneclick_records.publishing import publish_change
from oneclick_records.serializing import to_record
from oneclick_records.userlocks import hold_users
from oneclick_records.validating import apply_modifiers, raise_if_errors, read_submission

JOIN_BY_LINK = field_error("validation_join_by_link",
                           "Users join a blueprint through its share link; only removing them is allowed here.")


def check_users_change(collection: Collection, actor: Actor, values: Mapping[str, Any],
                       errors: dict[str, dict[str, str]], current: Mapping[str, Any] | None = None) -> None:
    """Refuse ``users`` that gain anyone (``current``: the blueprint before an update; None for a new one).

    Superusers are not bound: they may repair any record."""
    after = values.get("users")
    if collection is not BLUEPRINTS or actor.is_superuser or "users" in errors or not isinstance(after, list):
        return
    before = set(current.get("users") or []) if current is not None else set()
    if any(user not in before for user in after):
        errors["users"] = JOIN_BY_LINK


def refuse_users_on_create(actor: Actor, data: Mapping[str, Any], message: str) -> None:
    """A new blueprint is shared with no one: 400 with the ``users`` error when its data names anyone.

    Conversion problems are left to the create itself, which reports them with the other fields'."""
    submission = read_submission(BLUEPRINTS, data)
    if "users" in submission.errors or not submission.touches("users"):
        return
    errors: dict[str, dict[str, str]] = {}
    check_users_change(BLUEPRINTS, actor, {"users": apply_modifiers([], submission, "users")}, errors)
    raise_if_errors(errors, message)


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


async def leave_blueprint(conn: asyncpg.Connection, blueprint_id: str, actor: Actor) -> JsonObject:
    """Take the actor off the blueprint's ``users`` (idempotent); 404 for a blueprint it may not see.

    Subscribers cannot update a blueprint (it is the owner's), so this is how they remove it from their list.
    """
    params = Params(blueprint_id)
    rule = can_view(BLUEPRINTS, actor, params)
    row = await conn.fetchrow(f"SELECT t.* FROM blueprints t WHERE t.id = $1 AND {rule} FOR UPDATE", *params.values)
    if row is None:
        raise ApiError.not_found()
    if actor.id not in row["users"]:
        return to_record(BLUEPRINTS, row)
    return await _without(conn, blueprint_id, actor.id)


async def unshare_blueprint(conn: asyncpg.Connection, blueprint_id: str, user_id: str) -> JsonObject | None:
    """Remove a user from the blueprint's ``users`` (a deleted account); None when it is not listed.

    Only this user's id goes: the others stay as they are even when one of them is itself on its way
    out, which an update through :func:`writing.update` (checking every remaining user) would refuse.
    """
    row = await conn.fetchrow("SELECT * FROM blueprints WHERE id = $1 FOR UPDATE", blueprint_id)
    if row is None or user_id not in row["users"]:
        return None
    return await _without(conn, blueprint_id, user_id)


async def _without(conn: asyncpg.Connection, blueprint_id: str, user_id: str) -> JsonObject:
    """The blueprint (locked by the caller) after taking ``user_id`` off its ``users``, with its event."""
    updated = await conn.fetchrow(
        "UPDATE blueprints SET users = array_remove(users, $2), updated = $3 WHERE id = $1 RETURNING *",
        blueprint_id, user_id, utcnow())
    record = to_record(BLUEPRINTS, updated)
    await publish_change(conn, BLUEPRINTS, "update", record, ["users"])
    return record
