"""How a collection is declared: its fields, its access rules, and its hooks (PocketBase's record hooks).

A collection's declaration feeds everything generic: the filter resolver's schema, input validation,
serialization to PocketBase's JSON shape, expand, access rules and event audiences. What one collection does
differently lives in its own module under :mod:`oneclick_records.collections`, registered here as
:class:`Hooks`; the generic modules only ever ask the declaration, never which collection it is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, Protocol

import asyncpg

from oneclick_core.contracts.auth import Actor
from oneclick_core.contracts.records import Audience, JsonObject
from oneclick_records.tenancy import Tenancy

FieldErrors = dict[str, dict[str, str]]

SYSTEM_FIELDS = ("id", "created", "updated")

# The view and write rule of the collections only their owner's ``user`` sees and changes.
OWNED = '{t}."user" = {actor}'

CREATE_FAILED = "Failed to create record."
UPDATE_FAILED = "Failed to update record."


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
    # Set on create only: moving a record elsewhere would leave its history behind (create a new one).
    immutable: bool = False
    # Anyone but the record's owner reads at most their own id in it: whom a blueprint is shared with is
    # its owner's to know (lists, filters and sorts read it so; ``seen_by`` is the same rule for answers).
    own_id_only: bool = False

    @property
    def sql_column(self) -> str:
        return self.column or self.name


class UserDirectory(Protocol):
    """Who exists, asked of auth itself when the users read-model has not heard of someone yet."""

    async def existing(self, ids: set[str]) -> set[str]: ...


@dataclass
class Change:
    """One create, update or delete on its way through its collection's hooks (PocketBase's record event).

    Checks add to ``errors``; nothing is written while there are any. Hooks may change ``values`` (what will
    be written) and read everything else.
    """

    conn: asyncpg.Connection
    collection: Collection
    actor: Actor
    # Create: every field (defaults for those not sent); update: the fields sent; delete: none.
    values: dict[str, Any]
    # Every collection by name: relations name their target by name.
    collections: Mapping[str, Collection]
    # The record before an update or a delete; None on create.
    current: JsonObject | None = None
    errors: FieldErrors = field(default_factory=dict)
    # The single relations' target records, found by the relations check (for checks after it).
    related: dict[str, JsonObject] = field(default_factory=dict)
    # An update's fields whose values differ from the current record (set once validated).
    changed: list[str] = field(default_factory=list)
    users: UserDirectory | None = None
    tenancy: Tenancy | None = None

    @property
    def failed(self) -> str:
        """The message of the 400 a refused change answers."""
        return CREATE_FAILED if self.current is None else UPDATE_FAILED


# A check of a create or update: adds field errors to the change (or, where one refusal must stand alone,
# raises it).
Check = Callable[[Change], Awaitable[None]]
# Runs once the change is valid, just before the write, in its transaction (``now``: its created/updated time).
BeforeWrite = Callable[[Change, datetime], Awaitable[None]]
# Runs after the write (or delete) and its event, in the same transaction, with the record as stored (deleted).
AfterWrite = Callable[[Change, JsonObject], Awaitable[None]]
# The ids among those given that a relation of the change may name (default: those the actor may see).
Nameable = Callable[[Change, list[str]], Awaitable[set[str]]]
# A record as an actor may read it.
SeenBy = Callable[[JsonObject, Actor], JsonObject]
# Who hears of a change of the record (realtime, through its event).
AudienceOf = Callable[[JsonObject], Audience]


@dataclass(frozen=True)
class Cascade:
    """Deleting a record first deletes the records of ``collection`` whose ``field`` names it, each with its
    own event (PocketBase's cascadeDelete). Only the records themselves go: not their own cascades or hooks."""

    collection: Collection
    field: str


@dataclass(frozen=True)
class Hooks:
    """What a collection does beyond the generic CRUD, in the order a write runs them (all optional).

    ``validate`` runs every check in order, then a 400 if any found a problem; ``before_write`` (a valid
    change), the write itself with its event, ``after_write``. A delete runs ``cascade`` then the delete and
    its event, then ``after_delete``. ``nameable``, ``seen_by`` and ``audience`` shape how the collection's
    records are named by relations, read and heard of.
    """

    validate: tuple[Check, ...] = ()
    before_write: BeforeWrite | None = None
    after_write: AfterWrite | None = None
    cascade: tuple[Cascade, ...] = ()
    after_delete: AfterWrite | None = None
    nameable: Nameable | None = None
    seen_by: SeenBy | None = None
    audience: AudienceOf | None = None


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
    hooks: Hooks = Hooks()
    # SQL a row meets to exist at all, for everyone (superusers included); "" for every row. The users
    # read-model keeps deleted accounts as tombstones.
    exists_rule: str = ""
    # Only superusers filter or sort on its fields (system fields included): other users' details are private.
    details_hidden: bool = False
    # The fields naming the project and deployment a record belongs to, for its events ("id": itself).
    project_field: str = "project"
    deployment_field: str = "deployment"
    by_name: Mapping[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})

    def view_sql(self, actor: str, row: str = "t") -> str:
        """The view rule over the row aliased ``row``, for the actor id behind the placeholder ``actor``."""
        return self.view_rule.format(t=row, actor=actor)

    def write_sql(self, actor: str, row: str = "t") -> str:
        return self.write_rule.format(t=row, actor=actor)

    def exists_sql(self, row: str = "t") -> str:
        return self.exists_rule.format(t=row) if self.exists_rule else "TRUE"

    def field(self, name: str) -> Field | None:
        return self.by_name.get(name)

    @property
    def relations(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.kind is Kind.RELATION)

    @property
    def file_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.kind is Kind.FILE)

    def seen_by(self, record: JsonObject, actor: Actor) -> JsonObject:
        """``record`` as ``actor`` may read it."""
        return self.hooks.seen_by(record, actor) if self.hooks.seen_by is not None else record

    def audience(self, record: JsonObject) -> Audience:
        if self.hooks.audience is not None:
            return self.hooks.audience(record)
        return Audience(owner=record.get(self.owner_field))
