"""Rows → PocketBase's record JSON: system fields, dates as ``2006-01-02 15:04:05.000Z``, '' for unset."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from oneclick_core.contracts.records import JsonObject
from oneclick_core.timestamps import format_pb
from oneclick_records.declaring import Collection, Kind


def pb_date(value: datetime | None) -> str:
    return format_pb(value) if value is not None else ""


def to_record(collection: Collection, row: Mapping[str, Any]) -> JsonObject:
    record: JsonObject = {
        "collectionId": collection.id,
        "collectionName": collection.name,
        "id": row["id"],
        "created": pb_date(row["created"]),
        "updated": pb_date(row["updated"]),
    }
    for field in collection.fields:
        value = row[field.sql_column]
        if field.kind is Kind.DATE:
            value = pb_date(value)
        elif field.multiple:
            value = list(value or [])
        record[field.name] = value
    return record
