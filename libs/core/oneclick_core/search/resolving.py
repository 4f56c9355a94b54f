"""Field resolution: a filter's identifier path → a :class:`ResolvedField` the compiler and evaluator use.

A :class:`ResolvedField` is a description, not SQL: the relation hops to follow, the final column and its
kind. The SQL compiler renders it from quoted schema identifiers only (never from filter text); the
in-memory evaluator walks the same hops through a record's ``expand`` data.

Paths (``SchemaResolver``):

- ``name`` — a field of the collection;
- ``project.name``, ``deployment.project.user`` — through relations, at most :data:`MAX_RELATION_HOPS` hops;
  a multiple relation (``users.name``) makes the operand multi-valued;
- ``project.id`` / ``users.id`` — the stored relation id(s) themselves: no join, no expand needed;
- ``manifest.spec.image.tag`` — into a JSON field (segments are object keys or array indexes);
- modifiers: ``:lower`` (ASCII lower-case of a text value), ``:length`` (number of items of a multiple
  field), ``:each`` (the items of a multiple field — the default anyway).

Row guards: a relation path must not read what its reader may not see. PocketBase applies the related
collection's view rule to every relation it joins; here the caller gives ``guards`` (collection name →
:class:`RowGuard`) and every hop into that collection only reaches rows its guard admits, so
``blueprint.name = 'x'`` or ``sort=blueprint.name`` reads ``null`` for a blueprint hidden from the caller.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from oneclick_core.search.errors import FilterError
from oneclick_core.search.nodes import Identifier
from oneclick_core.search.schema import CollectionSpec, FieldKind, FieldSpec, Schema, quote_identifier, quote_table

# PocketBase's maxNestedRels.
MAX_RELATION_HOPS = 6

_TEXT_LIKE = frozenset({FieldKind.TEXT, FieldKind.RELATION, FieldKind.DATE, FieldKind.JSON})


AddParam = Callable[[object, str], str]
"""Adds a parameter of an SQL type (``"text"``) to the statement and returns its placeholder (``$3::text``)."""


class RowGuard(Protocol):
    """SQL condition admitting the rows of a collection its reader may see; ``row`` is the quoted alias of
    the joined row. Values go through ``param``, never into the text."""

    def __call__(self, row: str, param: AddParam) -> str: ...


@dataclass(frozen=True)
class Hop:
    """One relation to follow: ``name`` is the field (and ``expand`` key) on the current record."""

    name: str
    column: str  # quoted column on the current row
    table: str  # quoted table of the target collection
    target_id: str  # quoted id column of the target collection
    multiple: bool
    guard: RowGuard | None = None  # which target rows the reader may see; None: all of them


@dataclass(frozen=True)
class ResolvedField:
    label: str  # the identifier as written, for messages
    name: str  # record key of the final field
    column: str  # quoted SQL column of the final field
    kind: FieldKind
    hops: tuple[Hop, ...] = ()
    multiple: bool = False  # the final field holds a list (text[])
    modifier: str | None = None
    json_path: tuple[str, ...] = ()
    date_storage: str = "timestamptz"

    @property
    def is_set(self) -> bool:
        """Multi-valued: through a multiple relation, or a multiple field read item by item."""
        return any(hop.multiple for hop in self.hops) or (self.multiple and self.modifier != "length")

    @property
    def value_kind(self) -> FieldKind:
        """The kind of one value after modifiers: ``:lower`` gives text, ``:length`` a number."""
        if self.modifier == "lower":
            return FieldKind.TEXT
        if self.modifier == "length":
            return FieldKind.NUMBER
        return self.kind

    @property
    def is_direct_list(self) -> bool:
        """A multiple field of the record itself, unmodified: ``users ~ 'x'`` keeps PocketBase's "contains"."""
        return not self.hops and self.multiple and self.modifier is None


class FieldResolver(Protocol):
    """Turns identifiers into resolved fields; raises :class:`FilterError` for unknown or forbidden ones."""

    def resolve(self, identifier: Identifier) -> ResolvedField: ...


class SchemaResolver:
    """Resolves identifiers against one collection of a :class:`Schema`.

    Hidden fields (``"hidden": True``) are refused unless ``allow_hidden`` (superusers, server rules).
    Relation hops into a collection named in ``guards`` only reach the rows its guard admits.
    """

    def __init__(
        self,
        schema: Schema,
        collection: str,
        *,
        allow_hidden: bool = False,
        guards: Mapping[str, RowGuard] | None = None,
    ) -> None:
        self.schema = schema
        self.collection = schema.collection(collection)
        self.allow_hidden = allow_hidden
        self.guards: Mapping[str, RowGuard] = guards or {}

    def resolve(self, identifier: Identifier) -> ResolvedField:
        label = str(identifier)
        path = identifier.path
        collection = self.collection
        hops: list[Hop] = []
        index = 0
        while True:
            field = self._field(collection, path[index], label)
            rest = path[index + 1 :]
            if not rest:
                return self._finish(label, field, hops, identifier.modifier, ())
            if field.kind is FieldKind.JSON:
                return self._finish(label, field, hops, identifier.modifier, rest)
            if field.kind is not FieldKind.RELATION or field.collection is None:
                raise FilterError(f"{path[index]!r} in {label!r} is neither a relation nor a JSON field")
            if rest == ("id",):
                # The stored id(s) are the targets' ids: no join, and no expand needed in memory.
                return self._finish(label, field, hops, identifier.modifier, ())
            if len(hops) >= MAX_RELATION_HOPS:
                raise FilterError(f"{label!r} follows more than {MAX_RELATION_HOPS} relations")
            target = self.schema.collection(field.collection)
            hops.append(
                Hop(
                    field.name,
                    quote_identifier(field.column),
                    quote_table(target.table),
                    quote_identifier(target.fields["id"].column),
                    field.multiple,
                    self.guards.get(target.name),
                )
            )
            collection = target
            index += 1

    def _field(self, collection: CollectionSpec, name: str, label: str) -> FieldSpec:
        field = collection.fields.get(name)
        if field is None:
            raise FilterError(f"unknown field {name!r} in {label!r} (collection {collection.name!r})")
        if field.hidden and not self.allow_hidden:
            raise FilterError(f"field {name!r} in {label!r} cannot be filtered or sorted on")
        return field

    @staticmethod
    def _finish(
        label: str, field: FieldSpec, hops: list[Hop], modifier: str | None, json_path: tuple[str, ...]
    ) -> ResolvedField:
        path = label.partition(":")[0]
        if modifier in ("length", "each") and not field.multiple:
            raise FilterError(f":{modifier} needs a multiple field, and {path!r} is not one")
        if modifier == "lower" and field.kind not in _TEXT_LIKE:
            raise FilterError(f":lower needs a text field, and {path!r} is a {field.kind.value} field")
        return ResolvedField(
            label,
            field.name,
            quote_identifier(field.column),
            field.kind,
            tuple(hops),
            field.multiple,
            modifier,
            json_path,
            field.date_storage,
        )
