"""Shared by the test_search_* modules: a One-Click-like schema, its PostgreSQL tables and rows.

No tests here. Rows cover the awkward cases: nulls next to empty strings and lists, dangling relation
ids, text dates, JSON that is a bare string, non-ASCII text, LIKE metacharacters.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson

from oneclick_core.search import Schema

SCHEMA = Schema.from_dict(
    {
        "users": {"fields": {"name": "text", "email": {"type": "email", "hidden": True}, "verified": "bool"}},
        "projects": {
            "fields": {
                "name": "text",
                "description": "editor",
                "tags": {"type": "select", "multiple": True},
                "user": {"type": "relation", "collection": "users"},
                "created": "autodate",
                "score": "number",
                "active": "bool",
            }
        },
        "blueprints": {
            "fields": {
                "name": "text",
                "private": "bool",
                "owner": {"type": "relation", "collection": "users"},
                "users": {"type": "relation", "collection": "users", "multiple": True},
                "manifest": "json",
                "created": {"type": "date", "storage": "text", "column": "created_text"},
            }
        },
        "deployments": {
            "fields": {
                "name": "text",
                "project": {"type": "relation", "collection": "projects"},
                "blueprint": {"type": "relation", "collection": "blueprints"},
                "user": {"type": "relation", "collection": "users"},
                "replicas": "number",
                "started": "date",
            }
        },
    }
)

DDL = """
CREATE TABLE users (id text PRIMARY KEY, name text, email text, verified boolean);
CREATE TABLE projects (id text PRIMARY KEY, name text, description text, tags text[], "user" text,
                       created timestamptz, score double precision, active boolean);
CREATE TABLE blueprints (id text PRIMARY KEY, name text, private boolean, owner text, users text[],
                         manifest jsonb, created_text text);
CREATE TABLE deployments (id text PRIMARY KEY, name text, project text, blueprint text, "user" text,
                          replicas integer, started timestamptz);
"""


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


ROWS: dict[str, list[dict[str, Any]]] = {
    "users": [
        {"id": "u1", "name": "Alice", "email": "a@example.com", "verified": True},
        {"id": "u2", "name": "bob", "email": "b@example.com", "verified": False},
        {"id": "u3", "name": "Émile", "email": None, "verified": None},
    ],
    "projects": [
        {
            "id": "p1",
            "name": "Alpha",
            "description": "first_project 100%",
            "tags": ["web", "prod"],
            "user": "u1",
            "created": at("2024-01-01 10:00:00"),
            "score": 10.0,
            "active": True,
        },
        {
            "id": "p2",
            "name": "beta",
            "description": None,
            "tags": [],
            "user": "u2",
            "created": at("2024-06-15 12:30:00.500"),
            "score": 2.5,
            "active": False,
        },
        {
            "id": "p3",
            "name": "",
            "description": "x\\y",
            "tags": ["prod"],
            "user": None,
            "created": None,
            "score": None,
            "active": None,
        },
        {
            "id": "p4",
            "name": "Gamma",
            "description": "ümlaut ÜMLAUT",
            "tags": None,
            "user": "dangling",
            "created": at("2025-12-31 23:59:59.999"),
            "score": -1.0,
            "active": True,
        },
    ],
    "blueprints": [
        {
            "id": "b1",
            "name": "nginx",
            "private": False,
            "owner": "u1",
            "users": ["u2", "u3"],
            "manifest": {
                "spec": {"replicas": 2, "image": {"tag": "1.25"}, "interfaces": [{"port": 80}]},
                "enabled": True,
            },
            "created_text": "2024-02-01 00:00:00.000Z",
        },
        {
            "id": "b2",
            "name": "redis",
            "private": True,
            "owner": "u2",
            "users": [],
            "manifest": {"spec": {"replicas": "3", "image": {"tag": "7"}}, "enabled": False},
            "created_text": "",
        },
        {
            "id": "b3",
            "name": "pg",
            "private": True,
            "owner": "u1",
            "users": ["u1", "missing"],
            "manifest": None,
            "created_text": None,
        },
        {
            "id": "b4",
            "name": "x",
            "private": None,
            "owner": None,
            "users": None,
            "manifest": "just text",
            "created_text": "2023-05-05 05:05:05.005Z",
        },
    ],
    "deployments": [
        {
            "id": "d1",
            "name": "web",
            "project": "p1",
            "blueprint": "b1",
            "user": "u1",
            "replicas": 3,
            "started": at("2024-03-01 08:00:00"),
        },
        {"id": "d2", "name": "cache", "project": "p2", "blueprint": "b2", "user": "u2", "replicas": 1, "started": None},
        {
            "id": "d3",
            "name": "db",
            "project": "p1",
            "blueprint": "b3",
            "user": "u1",
            "replicas": 0,
            "started": at("2023-12-31 23:00:00"),
        },
        {
            "id": "d4",
            "name": "orphan",
            "project": None,
            "blueprint": None,
            "user": None,
            "replicas": None,
            "started": None,
        },
        {
            "id": "d5",
            "name": "ghost_1",
            "project": "nope",
            "blueprint": "b4",
            "user": "u3",
            "replicas": 2,
            "started": None,
        },
    ],
}


async def create_tables(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec(
        "jsonb", schema="pg_catalog", encoder=lambda v: orjson.dumps(v).decode(), decoder=orjson.loads, format="text"
    )
    await conn.execute(DDL)
    for table, rows in ROWS.items():
        columns = list(rows[0])
        quoted = ", ".join(f'"{column}"' for column in columns)
        placeholders = ", ".join(f"${n}" for n in range(1, len(columns) + 1))
        await conn.executemany(
            f"INSERT INTO {table} ({quoted}) VALUES ({placeholders})",
            [[row[column] for column in columns] for row in rows],
        )


def api_records(collection: str) -> list[dict[str, Any]]:
    """Records as the API serves them, with every relation expanded (targets that exist only)."""
    return [_api_record(collection, row) for row in ROWS[collection]]


def _api_record(collection: str, row: dict[str, Any]) -> dict[str, Any]:
    spec = SCHEMA.collection(collection)
    record: dict[str, Any] = {}
    expand: dict[str, Any] = {}
    for field in spec.fields.values():
        value = row.get(field.column)
        record[field.name] = value
        if field.collection is None or value is None:
            continue
        targets = {target["id"]: target for target in ROWS[field.collection]}
        if field.multiple:
            expand[field.name] = [_api_record(field.collection, targets[i]) for i in value if i in targets]
        elif value in targets:
            expand[field.name] = _api_record(field.collection, targets[value])
    record["expand"] = expand
    return record
