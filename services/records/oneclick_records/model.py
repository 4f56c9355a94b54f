"""The One-Click collections: fields, storage, PocketBase ids, and who owns a record.

One declaration per collection feeds everything else: the filter resolver's schema, input validation,
serialization to PocketBase's JSON shape, expand, access rules and event audiences.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from oneclick_core.contracts.records import COLLECTION_IDS
from oneclick_core.search.schema import Schema


class Kind(Enum):
    TEXT = "text"
    BOOL = "bool"
    DATE = "date"
    JSON = "json"
    RELATION = "relation"
    FILE = "file"


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    column: str = ""
    required: bool = False
    max_length: int = 0
    target: str = ""  # collection a relation points at
    multiple: bool = False
    # Set by the server from the caller (``user``/``owner``): a client may only repeat its own id.
    owner: bool = False
    # Never written by clients: the server maintains it (rollout dates follow the lifecycle rules).
    system: bool = False

    @property
    def sql_column(self) -> str:
        return self.column or self.name


@dataclass(frozen=True)
class Collection:
    name: str
    id: str  # PocketBase collection id ("collectionId" of every record)
    table: str
    fields: tuple[Field, ...]
    # SQL of who may see a record: ``{t}`` is the row's alias, ``{actor}`` the actor id's placeholder (see
    # view_sql). Superusers bypass rules.
    view_rule: str
    # Who may change or delete it (owner-only for every collection, shared blueprints included).
    write_rule: str
    owner_field: str
    by_name: Mapping[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})

    def view_sql(self, actor: str, row: str = "t") -> str:
        """The view rule over the row aliased ``row``, for the actor id behind the placeholder ``actor``."""
        return self.view_rule.format(t=row, actor=actor)

    def write_sql(self, actor: str, row: str = "t") -> str:
        return self.write_rule.format(t=row, actor=actor)

    def field(self, name: str) -> Field | None:
        return self.by_name.get(name)

    @property
    def relations(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.kind is Kind.RELATION)

    @property
    def file_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.kind is Kind.FILE)


_OWNED = '{t}."user" = {actor}'

PROJECTS = Collection(
    name="projects", id=COLLECTION_IDS["projects"], table="projects",
    fields=(
        Field("name", Kind.TEXT, required=True, max_length=200),
        Field("description", Kind.TEXT, max_length=5000),
        Field("tags", Kind.TEXT, max_length=2000),
        Field("avatar", Kind.FILE),
        Field("user", Kind.RELATION, target="users", owner=True),
        # The project's tenancy limits, set by superusers only (oneclick_records.tenancy.check_limits).
        Field("limits", Kind.JSON),
    ),
    view_rule=_OWNED, write_rule=_OWNED, owner_field="user",
)

BLUEPRINTS = Collection(
    name="blueprints", id=COLLECTION_IDS["blueprints"], table="blueprints",
    fields=(
        Field("name", Kind.TEXT, required=True, max_length=200),
        Field("description", Kind.TEXT, max_length=5000),
        Field("avatar", Kind.FILE),
        Field("manifest", Kind.JSON, required=True),
        Field("private", Kind.BOOL),
        Field("owner", Kind.RELATION, target="users", owner=True),
        Field("users", Kind.RELATION, target="users", multiple=True),
    ),
    view_rule="({t}.owner = {actor} OR {actor} = ANY ({t}.users) OR NOT {t}.private)",
    write_rule="{t}.owner = {actor}", owner_field="owner",
)

DEPLOYMENTS = Collection(
    name="deployments", id=COLLECTION_IDS["deployments"], table="deployments",
    fields=(
        Field("name", Kind.TEXT, max_length=200),
        Field("avatar", Kind.FILE),
        Field("project", Kind.RELATION, target="projects", required=True),
        Field("blueprint", Kind.RELATION, target="blueprints"),
        Field("user", Kind.RELATION, target="users", owner=True),
    ),
    view_rule=_OWNED, write_rule=_OWNED, owner_field="user",
)

ROLLOUTS = Collection(
    name="rollouts", id=COLLECTION_IDS["rollouts"], table="rollouts",
    fields=(
        Field("manifest", Kind.JSON, required=True),
        Field("startDate", Kind.DATE, column="start_date", system=True),
        Field("endDate", Kind.DATE, column="end_date"),
        Field("hide", Kind.BOOL),
        Field("project", Kind.RELATION, target="projects", required=True),
        Field("deployment", Kind.RELATION, target="deployments", required=True),
        Field("user", Kind.RELATION, target="users", owner=True),
    ),
    view_rule=_OWNED, write_rule=_OWNED, owner_field="user",
)

AUTO_UPDATES = Collection(
    name="autoUpdates", id=COLLECTION_IDS["autoUpdates"], table="auto_updates",
    fields=(
        Field("interval", Kind.TEXT, required=True, max_length=20),
        Field("pattern", Kind.TEXT, max_length=500),
        Field("policy", Kind.TEXT, max_length=100),
        Field("project", Kind.RELATION, target="projects", required=True),
        Field("deployment", Kind.RELATION, target="deployments", required=True),
        Field("user", Kind.RELATION, target="users", owner=True),
    ),
    view_rule=_OWNED, write_rule=_OWNED, owner_field="user",
)

# The users read-model: only expandable (oneself), never listed through records.
USERS = Collection(
    name="users", id="_pb_users_auth_", table="users",
    fields=(
        Field("email", Kind.TEXT),
        Field("emailVisibility", Kind.BOOL, column="email_visibility"),
        Field("username", Kind.TEXT),
        Field("verified", Kind.BOOL),
        Field("name", Kind.TEXT),
        Field("avatar", Kind.FILE),
    ),
    view_rule="{t}.id = {actor}", write_rule="false", owner_field="id",
)

COLLECTIONS: Mapping[str, Collection] = {
    c.name: c for c in (PROJECTS, BLUEPRINTS, DEPLOYMENTS, ROLLOUTS, AUTO_UPDATES)}
ALL_COLLECTIONS: Mapping[str, Collection] = {**COLLECTIONS, "users": USERS}

SYSTEM_FIELDS = ("id", "created", "updated")


def _search_field(f: Field) -> dict[str, Any]:
    kind = {Kind.TEXT: "text", Kind.BOOL: "bool", Kind.DATE: "date", Kind.JSON: "json", Kind.FILE: "file",
            Kind.RELATION: "relation"}[f.kind]
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
        if collection is USERS:
            fields = {name: {**spec, "hidden": True} for name, spec in fields.items()}
        described[collection.name] = {"table": collection.table, "fields": fields}
    return Schema.from_dict(described)
