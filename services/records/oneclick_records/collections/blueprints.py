"""``blueprints``: reusable manifests, private or public, and whom they are shared with; the endpoints beyond
CRUD (share with oneself, leave) and the rule of who may change whom a blueprint is shared with.

``users`` only ever gains the caller, through the share link: otherwise anyone could put a blueprint into
another user's list, and learn who they are from it. It loses ids through an update by the owner (anyone) or
through :func:`leave_blueprint` (the caller itself). Who else is in it is the owner's to know (``own_id_only``,
and :func:`~oneclick_core.contracts.records.seen_by` for the answers, which the edge applies to events too).
"""

from __future__ import annotations

import asyncpg

from oneclick_core.contracts.auth import Actor
from oneclick_core.contracts.records import COLLECTION_IDS, Audience, JsonObject, seen_by
from oneclick_core.errors import ApiError, field_error
from oneclick_core.timestamps import utcnow
from oneclick_records import rules
from oneclick_records.access import Params, can_view
from oneclick_records.declaring import Change, Collection, Field, Hooks, Kind
from oneclick_records.publishing import publish_change
from oneclick_records.serializing import to_record
from oneclick_records.userlocks import hold_users

JOIN_BY_LINK = field_error(
    "validation_join_by_link", "Users join a blueprint through its share link; only removing them is allowed here."
)


async def _users_join_by_link(change: Change) -> None:
    """Refuse ``users`` that gain anyone. Superusers are not bound: they may repair any record.

    A new blueprint is shared with no one, and naming anyone is refused on its own, before any other check:
    in particular before the relations check looks the named users up."""
    after = change.values.get("users")
    if change.actor.is_superuser or "users" in change.errors or not isinstance(after, list):
        return
    before = set(change.current.get("users") or []) if change.current is not None else set()
    if all(user in before for user in after):
        return
    if change.current is None:
        raise ApiError.bad_request(change.failed, {"users": JOIN_BY_LINK})
    change.errors["users"] = JOIN_BY_LINK


def _audience(record: JsonObject) -> Audience:
    return Audience(owner=record.get("owner"), users=list(record.get("users") or []), public=not record.get("private"))


def _seen_by(record: JsonObject, actor: Actor) -> JsonObject:
    return seen_by(BLUEPRINTS.name, record, actor)


BLUEPRINTS = Collection(
    name="blueprints",
    id=COLLECTION_IDS["blueprints"],
    table="blueprints",
    fields=(
        Field("name", Kind.TEXT, required=True, max_length=200),
        Field("description", Kind.TEXT, max_length=5000),
        Field("avatar", Kind.FILE),
        Field("manifest", Kind.JSON, required=True),
        Field("private", Kind.BOOL),
        Field("owner", Kind.RELATION, target="users", owner=True),
        Field("users", Kind.RELATION, target="users", multiple=True, own_id_only=True),
    ),
    view_rule="({t}.owner = {actor} OR {actor} = ANY ({t}.users) OR NOT {t}.private)",
    write_rule="{t}.owner = {actor}",
    owner_field="owner",
    project_field="",
    deployment_field="",
    hooks=Hooks(
        validate=(_users_join_by_link, rules.owner, rules.manifest, rules.owner_exists, rules.relations),
        seen_by=_seen_by,
        audience=_audience,
    ),
)


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
        blueprint_id,
        actor.id,
        utcnow(),
    )
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
    out, which an update (checking every remaining user) would refuse.
    """
    row = await conn.fetchrow("SELECT * FROM blueprints WHERE id = $1 FOR UPDATE", blueprint_id)
    if row is None or user_id not in row["users"]:
        return None
    return await _without(conn, blueprint_id, user_id)


async def _without(conn: asyncpg.Connection, blueprint_id: str, user_id: str) -> JsonObject:
    """The blueprint (locked by the caller) after taking ``user_id`` off its ``users``, with its event."""
    updated = await conn.fetchrow(
        "UPDATE blueprints SET users = array_remove(users, $2), updated = $3 WHERE id = $1 RETURNING *",
        blueprint_id,
        user_id,
        utcnow(),
    )
    record = to_record(BLUEPRINTS, updated)
    await publish_change(conn, BLUEPRINTS, "update", record, ["users"])
    return record
