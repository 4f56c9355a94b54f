"""Evaluate a filter against a record dict in memory, with the SQL compiler's semantics: the tests' oracle.

No service filters in memory (records filters in PostgreSQL, the edge's realtime by audience), so this lives
with the tests, which check the SQL compiler's answers against it::

    matcher = Matcher(parse_filter(text), SchemaResolver(schema, "deployments"), context=ctx)
    if matcher(record): ...

What it reads:

- direct fields: ``record[name]`` as the API serializes records (dates as PocketBase text or
  ``datetime``; multiple fields as lists; JSON fields decoded);
- ``rel.id`` (``project.id``, ``users.id``): the stored id(s) in ``record[rel]`` — no expand needed;
- other relation paths (``project.name``, ``blueprint.users.name``): through PocketBase's ``expand`` data,
  ``record["expand"][rel]`` (a record dict for single relations, a list of them for multiple ones), nested
  the same way. A relation that is not expanded counts as empty, so the path's value is ``null`` — expand
  what the filter reads, or results differ from SQL, which always follows relations;
- ``@request.*`` and macros: as in SQL, from the :class:`RequestContext` and the clock (read once per
  :class:`Matcher` call unless a fixed clock is given).

Unknown fields and type errors raise the same :class:`FilterError` as the SQL compiler, when the matcher
is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from oneclick_core.search.context import RequestContext
from oneclick_core.search.macros import Clock, system_clock
from oneclick_core.search.nodes import And, Comparison, Expr
from oneclick_core.search.operands import Constant, PreparedComparison, PreparedPair, Preparer, Side, field_value
from oneclick_core.search.resolving import FieldResolver, ResolvedField
from oneclick_core.search.values import Domain, DomainValue, compare

Record = Mapping[str, Any]


class Matcher:
    """A filter prepared once (fields resolved, constants folded) and applied to many records."""

    def __init__(
        self, expr: Expr, resolver: FieldResolver, *, context: RequestContext | None = None, clock: Clock = system_clock
    ) -> None:
        moment = clock()
        self._expr = expr
        self._prepared = Preparer(resolver, context or RequestContext(), lambda: moment)
        self._validate(expr)

    def _validate(self, node: Expr) -> None:
        if isinstance(node, Comparison):
            self._prepared.comparison(node)
        else:
            for item in node.items:
                self._validate(item)

    def __call__(self, record: Record) -> bool:
        return self._evaluate(self._expr, record)

    def _evaluate(self, node: Expr, record: Record) -> bool:
        if isinstance(node, Comparison):
            return _comparison(self._prepared.comparison(node), record)
        results = (self._evaluate(item, record) for item in node.items)
        return all(results) if isinstance(node, And) else any(results)


def evaluate(
    expr: Expr,
    record: Record,
    resolver: FieldResolver,
    *,
    context: RequestContext | None = None,
    clock: Clock = system_clock,
) -> bool:
    """One-off :class:`Matcher`."""
    return Matcher(expr, resolver, context=context, clock=clock)(record)


def _comparison(prepared: PreparedComparison, record: Record) -> bool:
    if prepared.constant is not None:
        return prepared.constant
    results = (_pair(prepared, pair, record) for pair in prepared.pairs)
    return any(results) if prepared.any_of else all(results)


def _pair(prepared: PreparedComparison, pair: PreparedPair, record: Record) -> bool:
    lefts = _values(pair.left, pair.left_value, pair.domain, record)
    rights = _values(pair.right, pair.right_value, pair.domain, record)
    results = (
        compare(prepared.op, pair.domain, left, right, right_is_pattern=pair.right_is_pattern)
        for left in lefts
        for right in rights
    )
    return any(results) if prepared.any_of else all(results)


def _values(side: Side, value: DomainValue, domain: Domain, record: Record) -> list[DomainValue]:
    if isinstance(side, Constant):
        return [value]
    raws = _raw_values(side, record)
    if not raws or not side.is_set:
        raws = raws[:1] or [None]
    return [field_value(raw, side, domain) for raw in raws]


def _raw_values(field: ResolvedField, record: Record) -> list[object]:
    rows: list[Record] = [record]
    for hop in field.hops:
        following: list[Record] = []
        for row in rows:
            expand = row.get("expand")
            linked = expand.get(hop.name) if isinstance(expand, Mapping) else None
            if isinstance(linked, Mapping):
                following.append(linked)
            elif isinstance(linked, list):
                following.extend(item for item in linked if isinstance(item, Mapping))
        rows = following
    raws: list[object] = []
    for row in rows:
        raw = row.get(field.name)
        if field.multiple and field.modifier != "length":
            raws.extend(raw if isinstance(raw, list) else [])
        else:
            raws.append(raw)
    return raws
