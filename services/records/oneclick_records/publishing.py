"""Record changes as domain events, written to the outbox in the transaction that made the change.

Manifests leave with their secret values redacted; the executor reads the full manifest over RPC.
"""

from __future__ import annotations

from typing import Literal

import asyncpg

from oneclick_core.contracts.records import Audience, JsonObject, RecordChange, record_event
from oneclick_core.outbox import enqueue
from oneclick_core.tracing import current_traceparent
from oneclick_manifest.redaction import redact_manifest
from oneclick_records.model import BLUEPRINTS, DEPLOYMENTS, PROJECTS, Collection

SCHEMA = "records"
SOURCE = "records"

Action = Literal["create", "update", "delete"]


def audience_of(collection: Collection, record: JsonObject) -> Audience:
    owner = record.get(collection.owner_field)
    if collection is BLUEPRINTS:
        return Audience(owner=owner, users=list(record.get("users") or []), public=not record.get("private"))
    return Audience(owner=owner)


def redacted(record: JsonObject) -> JsonObject:
    manifest = record.get("manifest")
    if isinstance(manifest, dict):
        return {**record, "manifest": redact_manifest(manifest)}
    return record


def change_of(collection: Collection, action: Action, record: JsonObject, changed: list[str] | None = None
              ) -> RecordChange:
    if collection is PROJECTS:
        project, deployment = record["id"], None
    elif collection is DEPLOYMENTS:
        project, deployment = record.get("project"), record["id"]
    else:
        project, deployment = record.get("project"), record.get("deployment")
    return RecordChange(collection=collection.name, action=action, record=redacted(record),
                        changed=sorted(changed or []), audience=audience_of(collection, record),
                        project=project or None, deployment=deployment or None)


async def publish_change(conn: asyncpg.Connection, collection: Collection, action: Action, record: JsonObject,
                         changed: list[str] | None = None) -> None:
    spec = record_event(collection.name, action)
    envelope = spec.envelope(source=SOURCE, data=change_of(collection, action, record, changed),
                             subject=record["id"], traceparent=current_traceparent.get())
    await enqueue(conn, spec.subject, envelope, schema=SCHEMA)
