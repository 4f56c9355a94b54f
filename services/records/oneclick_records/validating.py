"""Submitted record data → column values, with PocketBase's per-field error codes.

Values arrive as JSON (numbers, bools, lists, objects) or as multipart form strings (``"true"``, a JSON
document for a json field, repeated keys for a multiple relation); both are accepted, as PocketBase does.
Unknown fields are ignored like PocketBase ignores them; nothing here touches the database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from oneclick_core.errors import ApiError, field_error
from oneclick_core.ids import is_record_id
from oneclick_core.timestamps import parse_pb
from oneclick_records.model import Collection, Field, Kind

_MODIFIER = re.compile(r"^(\+?)([A-Za-z0-9_]+)([+-]?)$")


def required_error() -> dict[str, str]:
    return field_error("validation_required", "Cannot be blank.")


@dataclass
class Submission:
    """Validated values keyed by field name, plus ``field+``/``field-`` changes for multiple fields."""

    values: dict[str, Any] = field(default_factory=dict)
    append: dict[str, list[str]] = field(default_factory=dict)
    prepend: dict[str, list[str]] = field(default_factory=dict)
    remove: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, dict[str, str]] = field(default_factory=dict)

    def touches(self, name: str) -> bool:
        return name in self.values or name in self.append or name in self.prepend or name in self.remove


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool | int | float):
        return str(value).lower() if isinstance(value, bool) else str(value)
    raise ValueError("Must be a string.")


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is None or value == "":
        return False
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str) and value.lower() in {"true", "1", "false", "0"}:
        return value.lower() in {"true", "1"}
    raise ValueError("Must be a boolean.")


def _date(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError("Must be a valid date.")
    return parse_pb(value)


def _json(value: Any) -> Any:
    if isinstance(value, str):
        # Multipart forms carry json fields as text; an empty one means "no value".
        if not value.strip():
            return None
        return orjson.loads(value)
    return value


def _ids(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    items = value if isinstance(value, list) else [value]
    ids: list[str] = []
    for item in items:
        if not isinstance(item, str) or not is_record_id(item.strip()):
            raise ValueError("Invalid relation id.")
        if item.strip() not in ids:
            ids.append(item.strip())
    return ids


def _convert(spec: Field, value: Any) -> Any:
    if spec.kind in (Kind.TEXT, Kind.FILE):
        text = _text(value)
        if spec.max_length and len(text) > spec.max_length:
            raise _Invalid("validation_max_text_constraint", f"Must be less than {spec.max_length} character(s).")
        return text
    if spec.kind is Kind.BOOL:
        return _bool(value)
    if spec.kind is Kind.DATE:
        return _date(value)
    if spec.kind is Kind.JSON:
        return _json(value)
    ids = _ids(value)
    if spec.multiple:
        return ids
    if len(ids) > 1:
        raise _Invalid("validation_too_many_values", "Select no more than 1.")
    return ids[0] if ids else ""


class _Invalid(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


_CODES = {Kind.BOOL: "validation_invalid_bool", Kind.DATE: "validation_invalid_date",
          Kind.JSON: "validation_invalid_json", Kind.RELATION: "validation_invalid_relation",
          Kind.TEXT: "validation_invalid_text", Kind.FILE: "validation_invalid_text"}


def read_submission(collection: Collection, data: Mapping[str, Any], *, allow_system: bool = False) -> Submission:
    """Convert what a client sent; conversion problems are collected per field, not raised one by one."""
    submission = Submission()
    for key, raw in data.items():
        match = _MODIFIER.match(key)
        if match is None:
            continue
        prefix, name, suffix = match.groups()
        spec = collection.field(name)
        if spec is None or (spec.system and not allow_system):
            continue
        try:
            value = _convert(spec, raw)
        except _Invalid as exc:
            submission.errors[name] = field_error(exc.code, str(exc))
            continue
        except (ValueError, orjson.JSONDecodeError) as exc:
            submission.errors[name] = field_error(_CODES[spec.kind], str(exc) or "Invalid value.")
            continue
        if prefix or suffix:
            if not spec.multiple:
                continue  # PocketBase only knows modifiers on multiple fields (and files); ignore others
            target = submission.prepend if prefix else submission.append if suffix == "+" else submission.remove
            target[name] = list(value)
        else:
            submission.values[name] = value
    return submission


def apply_modifiers(current: list[str], submission: Submission, name: str) -> list[str]:
    values = list(submission.values.get(name, current))
    for item in submission.prepend.get(name, []):
        if item not in values:
            values.insert(0, item)
    for item in submission.append.get(name, []):
        if item not in values:
            values.append(item)
    removed = set(submission.remove.get(name, []))
    return [v for v in values if v not in removed]


def check_required(collection: Collection, values: Mapping[str, Any], errors: dict[str, dict[str, str]]) -> None:
    for spec in collection.fields:
        if not spec.required or spec.name in errors:
            continue
        value = values.get(spec.name)
        if value is None or value == "" or value == [] or (spec.kind is Kind.JSON and value == {}):
            errors[spec.name] = required_error()


def raise_if_errors(errors: Mapping[str, dict[str, str]], message: str) -> None:
    if errors:
        raise ApiError.bad_request(message, dict(errors))
