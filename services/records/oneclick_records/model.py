"""The One-Click collections, gathered: each is declared with its behaviour in its own module under
:mod:`oneclick_records.collections` (the declarative model itself is :mod:`oneclick_records.declaring`).

``COLLECTIONS`` are those clients list and change; ``ALL_COLLECTIONS`` adds the users read-model, which
relations name and expand reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from oneclick_core.search.schema import Schema
from oneclick_records.collections.autoupdates import AUTO_UPDATES
from oneclick_records.collections.blueprints import BLUEPRINTS
from oneclick_records.collections.deployments import DEPLOYMENTS
from oneclick_records.collections.projects import PROJECTS
from oneclick_records.collections.rollouts import ROLLOUTS
from oneclick_records.collections.users import USERS
from oneclick_records.declaring import SYSTEM_FIELDS, Collection, Field, Kind

__all__ = ["ALL_COLLECTIONS", "COLLECTIONS", "SYSTEM_FIELDS", "Collection", "Field", "Kind", "search_schema"]

COLLECTIONS: Mapping[str, Collection] = {c.name: c for c in (PROJECTS, BLUEPRINTS, DEPLOYMENTS, ROLLOUTS, AUTO_UPDATES)}
ALL_COLLECTIONS: Mapping[str, Collection] = {**COLLECTIONS, USERS.name: USERS}


def _search_field(f: Field) -> dict[str, Any]:
    kind = {
        Kind.TEXT: "text",
        Kind.BOOL: "bool",
        Kind.DATE: "date",
        Kind.JSON: "json",
        Kind.FILE: "file",
        Kind.RELATION: "relation",
    }[f.kind]
    spec: dict[str, Any] = {"type": kind, "column": f.sql_column}
    if f.kind is Kind.RELATION:
        spec["collection"] = f.target
    if f.multiple:
        spec["multiple"] = True
    return spec


def search_schema() -> Schema:
    """What clients may filter and sort on. Other users' details are hidden: only their ids are filterable."""
    described: dict[str, dict[str, Any]] = {}
    for collection in ALL_COLLECTIONS.values():
        fields = {f.name: _search_field(f) for f in collection.fields}
        fields["created"] = {"type": "date"}
        fields["updated"] = {"type": "date"}
        if collection.details_hidden:
            fields = {name: {**spec, "hidden": True} for name, spec in fields.items()}
        described[collection.name] = {"table": collection.table, "fields": fields}
    return Schema.from_dict(described)
