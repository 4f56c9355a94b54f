"""Creating, updating and deleting records: validation, relation checks, One-Click's rollout rules, cascades.

Each operation is one transaction holding the rows it writes, their files and their events (outbox), so a
request either changes everything it describes or nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

import asyncpg

from oneclick_core.autoupdates import auto_update_errors
from oneclick_core.contracts.auth import Actor
from oneclick_core.contracts.records import FileField, JsonObject
from oneclick_core.errors import ApiError, field_error
from oneclick_core.ids import new_record_id
from oneclick_core.timestamps import parse_pb, utcnow
from oneclick_manifest.model import validate_manifest
from oneclick_records import files
from oneclick_records.access import Params, can_view, can_write
from oneclick_records.blueprints import check_users_change
from oneclick_records.model import (
    ALL_COLLECTIONS,
    AUTO_UPDATES,
    BLUEPRINTS,
    DEPLOYMENTS,
    PROJECTS,
    ROLLOUTS,
    USERS,
    Collection,
    Field,
    Kind,
)
from oneclick_records.publishing import publish_change
from oneclick_records.serializing import to_record
from oneclick_records.tenancy import Tenancy, check_limits, release_hosts
from oneclick_records.userlocks import hold_users
from oneclick_records.validating import (
    Submission,
    apply_modifiers,
    check_required,
    raise_if_errors,
    read_submission,
)

CREATE_FAILED = "Failed to create record."
UPDATE_FAILED = "Failed to update record."
MISSING_RELATION = field_error("validation_missing_rel_records",
                               "Failed to find all relation records with the provided ids.")


def _errors_of(submission: Submission) -> dict[str, dict[str, str]]:
    return dict(submission.errors)


def _attach_files(collection: Collection, uploads: Sequence[FileField], values: dict[str, Any],
                  errors: dict[str, dict[str, str]]) -> list[tuple[str, str, FileField]]:
    """Names for the uploaded files; the file field takes the new name (one file per field)."""
    named: list[tuple[str, str, FileField]] = []
    for upload in uploads:
        spec = collection.field(upload.field)
        if spec is None or spec.kind is not Kind.FILE:
            continue
        problem = files.upload_error(upload.file)
        if problem is not None:
            errors[upload.field] = problem
            continue
        name = files.stored_name(upload.file.filename)
        values[upload.field] = name
        named.append((upload.field, name, upload))
    return named


class UserDirectory(Protocol):
    """Who exists, asked of auth itself when the users read-model has not heard of someone yet."""

    async def existing(self, ids: set[str]) -> set[str]: ...


async def _check_relations(conn: asyncpg.Connection, collection: Collection, actor: Actor, values: Mapping[str, Any],
                           errors: dict[str, dict[str, str]], only: set[str] | None = None,
                           users: UserDirectory | None = None) -> dict[str, JsonObject]:
    """Every relation must point at records the actor may see; returns the single-relation targets found."""
    found: dict[str, JsonObject] = {}
    for spec in collection.relations:
        if spec.owner or spec.name in errors or (only is not None and spec.name not in only):
            continue
        value = values.get(spec.name)
        ids = value if isinstance(value, list) else [value] if value else []
        if not ids:
            continue
        target = ALL_COLLECTIONS[spec.target]
        params = Params(ids)
        # Sharing a blueprint needs only the other user's id; their details stay private.
        if target is USERS:
            # Held until commit, so a deletion of one of them cannot sweep past this write (userlocks).
            await hold_users(conn, ids)
        rule = "NOT t.deleted" if target is USERS else can_view(target, actor, params)
        rows = await conn.fetch(f"SELECT t.* FROM {target.table} t WHERE t.id = ANY ($1) AND {rule}", *params.values)
        missing = set(ids) - {row["id"] for row in rows}
        if missing and target is USERS and users is not None:
            # A user who signed up a moment ago may not have reached the read-model (auth's events are
            # asynchronous); auth knows for sure.
            missing -= await users.existing(missing)
        if missing:
            errors[spec.name] = MISSING_RELATION
        elif not spec.multiple:
            found[spec.name] = to_record(target, rows[0])
    return found


def _check_owner(collection: Collection, actor: Actor, values: dict[str, Any], errors: dict[str, dict[str, str]],
                 current: str | None = None) -> None:
    """The owner is the caller (or, for superusers, whom they name); it never changes hands."""
    name = collection.owner_field
    given = values.get(name)
    if current is not None:
        if given not in (None, current):
            errors[name] = field_error("validation_immutable", "The owner of a record cannot be changed.")
        values.pop(name, None)
        return
    if actor.is_superuser:
        if not given:
            errors[name] = field_error("validation_required", "Cannot be blank.")
        return
    if given and given != actor.id:
        errors[name] = field_error("validation_owner_mismatch", "Must be the id of the authenticated user.")
        return
    values[name] = actor.id


async def _check_owner_exists(conn: asyncpg.Connection, collection: Collection, actor: Actor,
                              values: Mapping[str, Any], errors: dict[str, dict[str, str]]) -> None:
    """No new record for a deleted account: its token may outlive the deletion by a moment, and a
    superuser may name anyone. The lock keeps the account's deletion from sweeping past this record."""
    owner = values.get(collection.owner_field)
    if collection.owner_field in errors or not isinstance(owner, str) or not await hold_users(conn, [owner]):
        return
    if not actor.is_superuser:
        raise ApiError.unauthorized()
    errors[collection.owner_field] = MISSING_RELATION


def _check_manifest(values: Mapping[str, Any], errors: dict[str, dict[str, str]]) -> None:
    if "manifest" not in values or "manifest" in errors or values["manifest"] in (None, {}):
        return
    try:
        validate_manifest(values["manifest"])
    except ApiError as exc:
        errors.update(exc.data or {"manifest": field_error("validation_invalid_manifest", exc.message)})


def _check_auto_update(values: Mapping[str, Any], errors: dict[str, dict[str, str]]) -> None:
    for name, problem in auto_update_errors(values.get("interval"), values.get("pattern"),
                                            values.get("policy")).items():
        errors.setdefault(name, problem)


def _check_same_project(collection: Collection, values: Mapping[str, Any], related: Mapping[str, JsonObject],
                        errors: dict[str, dict[str, str]]) -> None:
    deployment = related.get("deployment")
    if (collection in (ROLLOUTS, AUTO_UPDATES) and deployment is not None and "project" not in errors
            and deployment["project"] != values.get("project")):
        errors["deployment"] = field_error("validation_project_mismatch",
                                               "The deployment belongs to another project.")


def _columns(collection: Collection, values: Mapping[str, Any]) -> tuple[list[str], list[Any]]:
    names, args = [], []
    for name, value in values.items():
        spec = collection.field(name)
        if spec is None:
            continue
        names.append(f'"{spec.sql_column}"')
        args.append(value)
    return names, args


def _defaults(collection: Collection) -> dict[str, Any]:
    defaults: dict[str, Any] = {}
    for spec in collection.fields:
        if spec.kind in (Kind.TEXT, Kind.FILE) or (spec.kind is Kind.RELATION and not spec.multiple):
            defaults[spec.name] = ""
        elif spec.kind is Kind.BOOL:
            defaults[spec.name] = False
        elif spec.multiple:
            defaults[spec.name] = []
        else:
            defaults[spec.name] = None
    return defaults


async def _end_running(conn: asyncpg.Connection, deployment_id: str, now: datetime, keep: str | None = None) -> None:
    """End the deployment's running rollout (One-Click: a new or re-activated rollout replaces it)."""
    rows = await conn.fetch(
        "UPDATE rollouts SET end_date = $2, updated = $2 WHERE deployment = $1 AND end_date IS NULL "
        "AND id IS DISTINCT FROM $3 RETURNING *", deployment_id, now, keep)
    for row in rows:
        await publish_change(conn, ROLLOUTS, "update", to_record(ROLLOUTS, row), ["endDate"])


async def _lock_deployment(conn: asyncpg.Connection, deployment_id: str) -> None:
    # Serialises everything that changes which rollout runs, so concurrent requests cannot both win.
    await conn.execute("SELECT 1 FROM deployments WHERE id = $1 FOR UPDATE", deployment_id)


# -- create ---------------------------------------------------------------------------------------------

async def create(conn: asyncpg.Connection, collection: Collection, actor: Actor, data: Mapping[str, Any],
                 uploads: Sequence[FileField], users: UserDirectory | None = None,
                 tenancy: Tenancy | None = None) -> JsonObject:
    submission = read_submission(collection, data)
    errors = _errors_of(submission)
    values = {**_defaults(collection), **submission.values}
    for name in submission.append | submission.prepend:
        values[name] = apply_modifiers(values.get(name) or [], submission, name)
    named_files = _attach_files(collection, uploads, values, errors)
    _check_owner(collection, actor, values, errors)
    check_required(collection, values, errors)
    if collection is ROLLOUTS and submission.values.get("endDate"):
        errors["endDate"] = field_error("validation_not_allowed", "endDate is not allowed on create.")
    if collection in (ROLLOUTS, BLUEPRINTS):
        _check_manifest(values, errors)
    if collection is AUTO_UPDATES:
        _check_auto_update(values, errors)
    if collection is PROJECTS:
        check_limits(actor, values, errors)
    await _check_owner_exists(conn, collection, actor, values, errors)
    related = await _check_relations(conn, collection, actor, values, errors, users=users)
    _check_same_project(collection, values, related, errors)
    if collection is ROLLOUTS and not errors and tenancy is not None:
        await tenancy.check_running(conn, project=values["project"], deployment=values["deployment"],
                                    manifest=values["manifest"], errors=errors)
    raise_if_errors(errors, CREATE_FAILED)

    now = utcnow()
    record_id = new_record_id()
    if collection is ROLLOUTS:
        await _lock_deployment(conn, values["deployment"])
        await _end_running(conn, values["deployment"], now)
        values["startDate"] = now
        values["endDate"] = None
    names, args = _columns(collection, values)
    placeholders = ", ".join(f"${i}" for i in range(4, len(args) + 4))
    row = await conn.fetchrow(
        f"INSERT INTO {collection.table} (id, created, updated, {', '.join(names)}) "
        f"VALUES ($1, $2, $3, {placeholders}) RETURNING *", record_id, now, now, *args)
    for field_name, name, upload in named_files:
        await files.store(conn, collection, record_id, field_name, name, upload.file)
    if collection is ROLLOUTS:
        await release_hosts(conn, values["project"])  # those only the rollout this one replaced served
    record = to_record(collection, row)
    await publish_change(conn, collection, "create", record)
    return record


# -- update ---------------------------------------------------------------------------------------------

async def _writable_row(conn: asyncpg.Connection, collection: Collection, record_id: str, actor: Actor
                        ) -> asyncpg.Record:
    params = Params(record_id)
    rule = can_write(collection, actor, params)
    row = await conn.fetchrow(f"SELECT t.* FROM {collection.table} t WHERE t.id = $1 AND {rule} FOR UPDATE",
                              *params.values)
    if row is None:
        raise ApiError.not_found()
    return row


_IMMUTABLE_LINKS = {"project", "deployment"}


async def update(conn: asyncpg.Connection, collection: Collection, record_id: str, actor: Actor,
                 data: Mapping[str, Any], uploads: Sequence[FileField], users: UserDirectory | None = None,
                 tenancy: Tenancy | None = None) -> JsonObject:
    row = await _writable_row(conn, collection, record_id, actor)
    current = to_record(collection, row)
    submission = read_submission(collection, data)
    errors = _errors_of(submission)
    values: dict[str, Any] = dict(submission.values)
    for name in submission.append | submission.prepend | submission.remove:
        values[name] = apply_modifiers(current.get(name) or [], submission, name)
    removed_files = [f.name for f in collection.file_fields
                     if current.get(f.name) and ((f.name in values and values[f.name] != current[f.name])
                                                 or any(u.field == f.name for u in uploads))]
    named_files = _attach_files(collection, uploads, values, errors)
    _check_owner(collection, actor, values, errors, current=current[collection.owner_field])
    for name in _IMMUTABLE_LINKS & values.keys():
        if collection is not PROJECTS and values[name] != current.get(name):
            errors[name] = field_error("validation_immutable", "Cannot be changed; create a new record instead.")
    merged = {**current, **values}
    check_required(collection, merged, errors)
    if collection in (ROLLOUTS, BLUEPRINTS) and "manifest" in values:
        _check_manifest(values, errors)
    if collection is AUTO_UPDATES:
        _check_auto_update({k: values[k] for k in ("interval", "pattern", "policy") if k in values}, errors)
    if collection is PROJECTS:
        check_limits(actor, values, errors, current=current.get("limits"))
    check_users_change(collection, actor, values, errors, current=current)
    await _check_relations(conn, collection, actor, values, errors, only=set(values), users=users)
    if collection is ROLLOUTS and not errors and tenancy is not None and _starts_running(current, values):
        await tenancy.check_running(conn, project=current["project"], deployment=current["deployment"],
                                    manifest=values.get("manifest") or current["manifest"], errors=errors)
    raise_if_errors(errors, UPDATE_FAILED)

    changed = [name for name, value in values.items() if value != _comparable(collection.field(name), current)]
    if not changed and not named_files:
        return current
    now = utcnow()
    if collection is ROLLOUTS:
        await _rollout_lifecycle(conn, current, values, changed, now)
        changed = [name for name, value in values.items() if value != _comparable(collection.field(name), current)]
    names, args = _columns(collection, {k: values[k] for k in changed})
    assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(names, start=3))
    updated = await conn.fetchrow(
        f"UPDATE {collection.table} SET updated = $2{', ' if assignments else ''}{assignments} "
        f"WHERE id = $1 RETURNING *", record_id, now, *args)
    await files.forget(conn, collection, record_id, removed_files)
    for field_name, name, upload in named_files:
        await files.store(conn, collection, record_id, field_name, name, upload.file)
    if collection is ROLLOUTS:
        await release_hosts(conn, current["project"])
    record = to_record(collection, updated)
    await publish_change(conn, collection, "update", record, changed)
    return record


def _starts_running(current: JsonObject, values: Mapping[str, Any]) -> bool:
    """Whether an update makes a rollout run something new: a rollback (``endDate`` cleared on an ended rollout)
    or a changed manifest of the running one (see :func:`_rollout_lifecycle`)."""
    running_after = values["endDate"] is None if "endDate" in values else not current["endDate"]
    if not running_after:
        return False
    return bool(current["endDate"]) or ("manifest" in values and values["manifest"] != current["manifest"])


def _comparable(spec: Field | None, current: JsonObject) -> Any:
    """The current value in the form submissions take (dates as datetimes, not strings)."""
    if spec is None:
        return None
    value = current.get(spec.name)
    if spec.kind is Kind.DATE:
        return parse_pb(value) if value else None
    return value


async def _rollout_lifecycle(conn: asyncpg.Connection, current: JsonObject, values: dict[str, Any],
                             changed: list[str], now: datetime) -> None:
    """One-Click's rules for a changed rollout.

    - ``endDate`` set: the rollout ends (the executor removes it from the cluster);
    - ``endDate`` cleared on an ended rollout: rollback — it runs again from now and the running one ends;
    - ``hide`` alone: nothing else happens;
    - anything else on a running rollout (the manifest): it is re-applied from now.
    """
    was_running = not current["endDate"]
    if "endDate" in changed:
        if values["endDate"] is None and not was_running:
            await _lock_deployment(conn, current["deployment"])
            await _end_running(conn, current["deployment"], now, keep=current["id"])
            values["startDate"] = now
        return
    if was_running and set(changed) - {"hide"}:
        values["startDate"] = now


# -- delete ---------------------------------------------------------------------------------------------

async def delete(conn: asyncpg.Connection, collection: Collection, record_id: str, actor: Actor) -> None:
    row = await _writable_row(conn, collection, record_id, actor)
    if collection is PROJECTS:
        await _delete_where(conn, ROLLOUTS, "project", record_id)
        await _delete_where(conn, AUTO_UPDATES, "project", record_id)
        await _delete_where(conn, DEPLOYMENTS, "project", record_id)
    elif collection is DEPLOYMENTS:
        await _delete_where(conn, ROLLOUTS, "deployment", record_id)
        await _delete_where(conn, AUTO_UPDATES, "deployment", record_id)
    await conn.execute(f"DELETE FROM {collection.table} WHERE id = $1", record_id)
    await files.forget_records(conn, collection, [record_id])
    if collection in (DEPLOYMENTS, ROLLOUTS):
        await release_hosts(conn, row["project"])  # a deleted project's claims go with it (foreign key)
    await publish_change(conn, collection, "delete", to_record(collection, row))


async def _delete_where(conn: asyncpg.Connection, collection: Collection, column: str, value: str) -> None:
    """Cascade by hand so every deleted record leaves its own event (realtime lists, the executor)."""
    rows = await conn.fetch(f"DELETE FROM {collection.table} WHERE {column} = $1 RETURNING *", value)
    await files.forget_records(conn, collection, [row["id"] for row in rows])
    for row in rows:
        await publish_change(conn, collection, "delete", to_record(collection, row))
