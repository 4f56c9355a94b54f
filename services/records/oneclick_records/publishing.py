"""Record changes as domain events, written to the outbox in the transaction that made the change.

Manifests leave with their secret values redacted; the executor reads the full manifest over RPC.
"""

from __future__ import annotations

from typing import Literal

import asyncpg

from oneclick_core.contracts.records import JsonObject, RecordChange, record_event
from oneclick_core.observability.tracing import current_traceparent
from oneclick_core.runtime.outbox import enqueue
from oneclick_manifest.redaction import redact_manifest
from oneclick_records.declaring import Collection

SCHEMA = "records"
SOURCE = "records"

Action = Literal["create", "update", "delete"]


def redacted(record: JsonObject) -> JsonObject:
    manifest = record.get("manifest")
    if isinstance(manifest, dict):
        return {**record, "manifest": redact_manifest(manifest)}
    return record


def change_of(
    collection: Collection, action: Action, record: JsonObject, changed: list[str] | None = None
) -> RecordChange:
    project = record.get(collection.project_field) if collection.project_field else None
    deployment = record.get(collection.deployment_field) if collection.deployment_field else None
    return RecordChange(
        collection=collection.name,
        action=action,
        record=redacted(record),
        changed=sorted(changed or []),
        audience=collection.audience(record),
        project=project or None,
        deployment=deployment or None,
    )


async def publish_change(
    conn: asyncpg.Connection,
    collection: Collection,
    action: Action,
    record: JsonObject,
    changed: list[str] | None = None,
) -> None:
    spec = record_event(collection.name, action)
    envelope = spec.envelope(
        source=SOURCE,
        data=change_of(collection, action, record, changed),
        subject=record["id"],
        traceparent=current_traceparent.get(),
    )
    await enqueue(conn, spec.subject, envelope, schema=SCHEMA)
