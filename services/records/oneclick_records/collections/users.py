"""``users``: the read-model of auth's accounts (fed by :mod:`oneclick_records.users`), never listed or written
through records, only named by relations and expanded.

Another user is private: a relation may name anyone who exists (sharing a blueprint needs only their id), but
an expand shows only oneself (superusers: everyone), and the email only to oneself or when made visible.
"""

from __future__ import annotations

from oneclick_core.contracts.auth import Actor
from oneclick_core.contracts.records import JsonObject
from oneclick_records.declaring import Change, Collection, Field, Hooks, Kind
from oneclick_records.userlocks import hold_users


async def _nameable(change: Change, ids: list[str]) -> set[str]:
    """Any user who exists, whoever the actor is: their details stay private, only the id is named."""
    # Held until commit, so a deletion of one of them cannot sweep past this write (userlocks).
    await hold_users(change.conn, ids)
    rows = await change.conn.fetch(f"SELECT t.id FROM users t WHERE t.id = ANY ($1) AND {USERS.exists_sql()}", ids)
    found = {row["id"] for row in rows}
    missing = set(ids) - found
    if missing and change.users is not None:
        # A user who signed up a moment ago may not have reached the read-model (auth's events are
        # asynchronous); auth knows for sure.
        found |= await change.users.existing(missing)
    return found


def seen_by(record: JsonObject, actor: Actor) -> JsonObject:
    """A users record as ``actor`` may read it: the email only for oneself or when made visible."""
    if actor.is_superuser or record["id"] == actor.id or record.get("emailVisibility"):
        return record
    return {**record, "email": ""}


USERS = Collection(
    name="users",
    id="_pb_users_auth_",
    table="users",
    fields=(
        Field("email", Kind.TEXT),
        Field("emailVisibility", Kind.BOOL, column="email_visibility"),
        Field("username", Kind.TEXT),
        Field("verified", Kind.BOOL),
        Field("name", Kind.TEXT),
        Field("avatar", Kind.FILE),
    ),
    view_rule="{t}.id = {actor}",
    write_rule="false",
    owner_field="id",
    hooks=Hooks(nameable=_nameable, seen_by=seen_by),
    exists_rule="NOT {t}.deleted",
    details_hidden=True,
)
