"""Submitted record data → column values, with PocketBase's per-field error codes: the field types, checked
for every collection alike before any of its own checks (its ``validate`` hook) run.

Values arrive as JSON (numbers, bools, lists, objects) or as multipart form strings (``"true"``, a JSON
document for a json field, repeated keys for a multiple relation); both are accepted, as PocketBase does.
Unknown fields are ignored like PocketBase ignores them; nothing here touches the database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from oneclick_core.contracts.records import FileField, JsonObject
from oneclick_core.errors import ApiError, field_error
from oneclick_core.ids import is_record_id
from oneclick_core.timestamps import parse_pb
from oneclick_records import files
from oneclick_records.declaring import Collection, Field, FieldErrors, Kind

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


_CODES = {
    Kind.BOOL: "validation_invalid_bool",
    Kind.DATE: "validation_invalid_date",
    Kind.JSON: "validation_invalid_json",
    Kind.RELATION: "validation_invalid_relation",
    Kind.TEXT: "validation_invalid_text",
    Kind.FILE: "validation_invalid_text",
}


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


def check_immutable(
    collection: Collection, current: Mapping[str, Any], values: Mapping[str, Any], errors: FieldErrors
) -> None:
    for spec in collection.fields:
        if spec.immutable and spec.name in values and values[spec.name] != current.get(spec.name):
            errors[spec.name] = field_error("validation_immutable", "Cannot be changed; create a new record instead.")


def defaults(collection: Collection) -> dict[str, Any]:
    """A new record's values before the submission: '' for text, files and single relations, [] for multiple
    relations, false for bools, null otherwise."""
    values: dict[str, Any] = {}
    for spec in collection.fields:
        if spec.kind in (Kind.TEXT, Kind.FILE) or (spec.kind is Kind.RELATION and not spec.multiple):
            values[spec.name] = ""
        elif spec.kind is Kind.BOOL:
            values[spec.name] = False
        elif spec.multiple:
            values[spec.name] = []
        else:
            values[spec.name] = None
    return values


@dataclass(frozen=True)
class NamedUpload:
    """An uploaded file with the name it is stored under; its field takes that name (one file per field)."""

    field: str
    name: str
    upload: FileField


def attach_files(
    collection: Collection, uploads: Sequence[FileField], values: dict[str, Any], errors: FieldErrors
) -> list[NamedUpload]:
    named: list[NamedUpload] = []
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
        named.append(NamedUpload(upload.field, name, upload))
    return named


@dataclass
class Draft:
    """What a create or update would write once its collection's checks pass, and the field errors so far."""

    values: dict[str, Any]
    errors: FieldErrors
    uploads: list[NamedUpload]
    # The stored names of the files the update replaces or clears (their bytes go with the update).
    removed_files: list[str] = field(default_factory=list)


def new_record(collection: Collection, data: Mapping[str, Any], uploads: Sequence[FileField]) -> Draft:
    submission = read_submission(collection, data)
    errors = dict(submission.errors)
    values = {**defaults(collection), **submission.values}
    for name in submission.append | submission.prepend:
        values[name] = apply_modifiers(values.get(name) or [], submission, name)
    named = attach_files(collection, uploads, values, errors)
    check_required(collection, values, errors)
    return Draft(values, errors, named)


def changed_record(
    collection: Collection, current: JsonObject, data: Mapping[str, Any], uploads: Sequence[FileField]
) -> Draft:
    """An update: only the fields sent, ``field+``/``field-`` applied to the current lists."""
    submission = read_submission(collection, data)
    errors = dict(submission.errors)
    values: dict[str, Any] = dict(submission.values)
    for name in submission.append | submission.prepend | submission.remove:
        values[name] = apply_modifiers(current.get(name) or [], submission, name)
    removed = [
        current[f.name]
        for f in collection.file_fields
        if current.get(f.name)
        and ((f.name in values and values[f.name] != current[f.name]) or any(u.field == f.name for u in uploads))
    ]
    named = attach_files(collection, uploads, values, errors)
    check_immutable(collection, current, values, errors)
    check_required(collection, {**current, **values}, errors)
    return Draft(values, errors, named, removed)


def changed_fields(collection: Collection, values: Mapping[str, Any], current: JsonObject) -> list[str]:
    """The fields whose values differ from the current record's (dates compared as datetimes)."""
    return [name for name, value in values.items() if value != _comparable(collection.field(name), current)]


def _comparable(spec: Field | None, current: JsonObject) -> Any:
    if spec is None:
        return None
    value = current.get(spec.name)
    if spec.kind is Kind.DATE:
        return parse_pb(value) if value else None
    return value
