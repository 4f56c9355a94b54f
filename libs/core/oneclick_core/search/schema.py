"""A dict-described schema of the collections a resolver may filter on (PostgreSQL storage).

::

    Schema.from_dict({
        "projects": {
            "table": "records.projects",                    # optional, default: the collection name
            "fields": {
                "name": "text",
                "tags": {"type": "text", "multiple": True},   # text[] column
                "user": {"type": "relation", "collection": "users"},
                "created": "date",                            # timestamptz column
                "startDate": {"type": "date", "storage": "text", "column": "start_date"},
                "manifest": "json",                           # jsonb column
                "tokenKey": {"type": "text", "hidden": True}, # never filterable or sortable by clients
            },
        },
        "users": {"fields": {"name": "text"}},
    })

Types: ``text`` (also ``email``, ``url``, ``editor``, ``select``, ``file``), ``number``, ``bool``, ``date``
(``autodate``), ``json``, ``relation``. Storage the SQL side assumes: text → ``text``; number → any numeric
column (compared as ``double precision``); bool → ``boolean``; date → ``timestamptz`` (or ``text`` holding
PocketBase-formatted UTC strings with ``"storage": "text"``); json → ``jsonb``; a single relation → ``text``
holding the target id; ``"multiple": True`` (text-like and relation fields only) → ``text[]``. Every
collection has an ``id`` text column that is unique (added to the fields when not declared).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

_SQL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FIELD_NAME = re.compile(r"[A-Za-z0-9_]+")


class FieldKind(Enum):
    TEXT = "text"
    NUMBER = "number"
    BOOL = "bool"
    DATE = "date"
    JSON = "json"
    RELATION = "relation"


_TYPE_ALIASES: Mapping[str, FieldKind] = {
    "text": FieldKind.TEXT,
    "email": FieldKind.TEXT,
    "url": FieldKind.TEXT,
    "editor": FieldKind.TEXT,
    "select": FieldKind.TEXT,
    "file": FieldKind.TEXT,
    "number": FieldKind.NUMBER,
    "bool": FieldKind.BOOL,
    "date": FieldKind.DATE,
    "autodate": FieldKind.DATE,
    "json": FieldKind.JSON,
    "relation": FieldKind.RELATION,
}
DATE_STORAGES = frozenset({"timestamptz", "text"})


def quote_identifier(name: str) -> str:
    """``name`` → ``"name"``; only plain SQL names are accepted, so schema text can never inject SQL."""
    if not _SQL_NAME.fullmatch(name):
        raise ValueError(f"invalid SQL identifier {name!r}")
    return f'"{name}"'


def quote_table(name: str) -> str:
    """``schema.table`` or ``table`` → quoted identifiers."""
    return ".".join(quote_identifier(part) for part in name.split("."))


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: FieldKind
    column: str
    multiple: bool = False
    collection: str | None = None  # target collection of a relation
    date_storage: str = "timestamptz"
    hidden: bool = False


@dataclass(frozen=True)
class CollectionSpec:
    name: str
    table: str
    fields: Mapping[str, FieldSpec]


@dataclass(frozen=True)
class Schema:
    collections: Mapping[str, CollectionSpec]

    @classmethod
    def from_dict(cls, data: Mapping[str, Mapping[str, Any]]) -> Schema:
        collections = {name: _collection(name, spec) for name, spec in data.items()}
        schema = cls(collections)
        for collection in collections.values():
            for field in collection.fields.values():
                if field.collection is not None and field.collection not in collections:
                    raise ValueError(
                        f"{collection.name}.{field.name} points at unknown collection {field.collection!r}"
                    )
        return schema

    def collection(self, name: str) -> CollectionSpec:
        try:
            return self.collections[name]
        except KeyError:
            raise ValueError(f"unknown collection {name!r}") from None


def _collection(name: str, spec: Mapping[str, Any]) -> CollectionSpec:
    table = spec.get("table", name)
    quote_table(table)
    fields = {
        field_name: _field(f"{name}.{field_name}", field_name, field_spec)
        for field_name, field_spec in spec.get("fields", {}).items()
    }
    fields.setdefault("id", FieldSpec("id", FieldKind.TEXT, "id"))
    return CollectionSpec(name, table, fields)


def _field(where: str, name: str, spec: str | Mapping[str, Any]) -> FieldSpec:
    if not _FIELD_NAME.fullmatch(name):
        raise ValueError(f"invalid field name {where!r}")
    options: Mapping[str, Any] = {"type": spec} if isinstance(spec, str) else spec
    type_name = options.get("type")
    if not isinstance(type_name, str) or type_name not in _TYPE_ALIASES:
        raise ValueError(f"{where}: unknown type {type_name!r} (one of {', '.join(sorted(_TYPE_ALIASES))})")
    kind = _TYPE_ALIASES[type_name]
    column = options.get("column", name)
    quote_identifier(column)
    multiple = bool(options.get("multiple", False))
    if multiple and kind not in (FieldKind.TEXT, FieldKind.RELATION):
        raise ValueError(f"{where}: only text-like and relation fields can be multiple")
    target = options.get("collection")
    if (kind is FieldKind.RELATION) != (target is not None):
        raise ValueError(f"{where}: relation fields, and only they, name their target collection")
    storage = options.get("storage", "timestamptz")
    if storage not in DATE_STORAGES:
        raise ValueError(f"{where}: date storage must be one of {sorted(DATE_STORAGES)}")
    return FieldSpec(name, kind, column, multiple, target, storage, bool(options.get("hidden", False)))
