"""The checks several collections share, each written once; a collection lists those it needs, in order, as
its ``validate`` hook (the field types are checked before any of them, by :mod:`oneclick_records.validating`).

Each check adds to ``change.errors`` and leaves a field another check already found wrong alone.
"""

from __future__ import annotations

from oneclick_core.contracts.records import JsonObject
from oneclick_core.errors import ApiError, field_error
from oneclick_manifest.model import validate_manifest
from oneclick_records.access import Params, can_view
from oneclick_records.declaring import Change, Collection
from oneclick_records.serializing import to_record
from oneclick_records.userlocks import hold_users

MISSING_RELATION = field_error(
    "validation_missing_rel_records", "Failed to find all relation records with the provided ids."
)


async def owner(change: Change) -> None:
    """The owner is the caller (or, for superusers, whom they name); it never changes hands."""
    name = change.collection.owner_field
    given = change.values.get(name)
    if change.current is not None:
        if given not in (None, change.current[name]):
            change.errors[name] = field_error("validation_immutable", "The owner of a record cannot be changed.")
        change.values.pop(name, None)
        return
    if change.actor.is_superuser:
        if not given:
            change.errors[name] = field_error("validation_required", "Cannot be blank.")
        return
    if given and given != change.actor.id:
        change.errors[name] = field_error("validation_owner_mismatch", "Must be the id of the authenticated user.")
        return
    change.values[name] = change.actor.id


async def owner_exists(change: Change) -> None:
    """No new record for a deleted account: its token may outlive the deletion by a moment, and a
    superuser may name anyone. The lock keeps the account's deletion from sweeping past this record."""
    name = change.collection.owner_field
    given = change.values.get(name)
    if (
        change.current is not None
        or name in change.errors
        or not isinstance(given, str)
        or not await hold_users(change.conn, [given])
    ):
        return
    if not change.actor.is_superuser:
        raise ApiError.unauthorized()
    change.errors[name] = MISSING_RELATION


async def relations(change: Change) -> None:
    """Every relation sent must point at records the actor may name (by default: see); the single relations'
    targets are kept in ``change.related`` for the checks after this one."""
    for spec in change.collection.relations:
        if spec.owner or spec.name in change.errors or spec.name not in change.values:
            continue
        value = change.values[spec.name]
        ids = value if isinstance(value, list) else [value] if value else []
        if not ids:
            continue
        target = change.collections[spec.target]
        if target.hooks.nameable is not None:
            found: dict[str, JsonObject] = {}
            missing = set(ids) - await target.hooks.nameable(change, ids)
        else:
            found = await _visible(change, target, ids)
            missing = set(ids) - found.keys()
        if missing:
            change.errors[spec.name] = MISSING_RELATION
        elif not spec.multiple and ids[0] in found:
            change.related[spec.name] = found[ids[0]]


async def _visible(change: Change, target: Collection, ids: list[str]) -> dict[str, JsonObject]:
    params = Params(ids)
    rule = can_view(target, change.actor, params)
    rows = await change.conn.fetch(f"SELECT t.* FROM {target.table} t WHERE t.id = ANY ($1) AND {rule}", *params.values)
    return {row["id"]: to_record(target, row) for row in rows}


async def same_project(change: Change) -> None:
    """A new record's deployment belongs to the project it names (a deployment cannot be borrowed)."""
    deployment = change.related.get("deployment")
    if (
        change.current is None
        and deployment is not None
        and "project" not in change.errors
        and deployment["project"] != change.values.get("project")
    ):
        change.errors["deployment"] = field_error(
            "validation_project_mismatch", "The deployment belongs to another project."
        )


async def manifest(change: Change) -> None:
    """A manifest sent is a valid One-Click Rollout spec (its field errors keyed ``manifest.…``)."""
    values, errors = change.values, change.errors
    if "manifest" not in values or "manifest" in errors or values["manifest"] in (None, {}):
        return
    try:
        validate_manifest(values["manifest"])
    except ApiError as exc:
        errors.update(exc.data or {"manifest": field_error("validation_invalid_manifest", exc.message)})
