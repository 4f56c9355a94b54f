"""Compile a filter AST to a parameterized PostgreSQL condition (asyncpg ``$n`` placeholders).

::

    rule = compile_filter(parse_filter(rule_text), resolver, alias="r", context=ctx)
    user = compile_filter(parse_filter(filter_text), resolver, alias="r", context=ctx,
                          param_offset=len(rule.params))
    sql = f'SELECT r.* FROM records.projects AS r WHERE ({rule.sql}) AND ({user.sql})'
    rows = await conn.fetch(sql, *rule.params, *user.params)

Every value — literals, request values, macros, JSON paths, LIKE patterns — is a parameter with an explicit
type cast (``$1::text``, ``$2::double precision``, ``$3::boolean``, ``$4::text[]``); the SQL text holds only
quoted identifiers from the schema, generated aliases (``"_s1"``) and fixed keywords, whatever the filter.

Shapes produced (``r`` is the caller's alias of the collection's table):

- scalar field: ``COALESCE("r"."name", '') = $1::text``;
- single relations: a correlated sub-select,
  ``COALESCE((SELECT "_s1"."name" FROM "projects" AS "_s1" WHERE "_s1"."id" = "r"."project"), '')``;
- multi-valued operands (``text[]`` fields, paths through multiple relations): ``EXISTS`` (any-of) or
  ``NOT EXISTS … IS NOT TRUE`` (every item) over the items, where a list without items counts as one null;
- a hop into a guarded collection (see :class:`~oneclick_core.search.resolving.RowGuard`) adds the guard's
  condition on the joined row, so rows hidden from the reader read as missing;
- comparisons whose operands are all constants (``@request.auth.id != ''``) are folded to ``TRUE``/``FALSE``,
  and ``And``/``Or`` simplify around them.
"""

from __future__ import annotations

from dataclasses import dataclass

from oneclick_core.search.context import RequestContext
from oneclick_core.search.macros import Clock, system_clock
from oneclick_core.search.nodes import And, Comparison, Expr, Op
from oneclick_core.search.operands import Constant, PreparedComparison, PreparedPair, Preparer, field_value
from oneclick_core.search.resolving import FieldResolver, ResolvedField
from oneclick_core.search.schema import FieldKind, quote_identifier
from oneclick_core.search.values import Domain, compare, like_pattern

_SQL_TYPES = {Domain.TEXT: "text", Domain.NUMBER: "double precision", Domain.BOOL: "boolean"}
_ORDERING = {Op.LT: "<", Op.LTE: "<=", Op.GT: ">", Op.GTE: ">="}
PB_DATE_FORMAT_SQL = """'YYYY-MM-DD HH24:MI:SS.MS"Z"'"""


@dataclass(frozen=True)
class SqlFragment:
    """SQL text and its parameters, numbered from ``param_offset + 1``."""

    sql: str
    params: tuple[object, ...]


def compile_filter(
    expr: Expr,
    resolver: FieldResolver,
    *,
    alias: str,
    context: RequestContext | None = None,
    param_offset: int = 0,
    clock: Clock = system_clock,
) -> SqlFragment:
    """``expr`` as a boolean SQL expression over the table aliased ``alias``; raises :class:`FilterError`."""
    builder = SqlBuilder(alias, param_offset)
    moment = clock()
    prepared = Preparer(resolver, context or RequestContext(), lambda: moment)
    sql = _FilterCompiler(builder, prepared).expr(expr)
    return SqlFragment(sql, tuple(builder.params))


class SqlBuilder:
    """Parameters, fresh aliases and the SQL of resolved fields; shared by the filter and sort compilers."""

    def __init__(self, alias: str, param_offset: int) -> None:
        self.alias = quote_identifier(alias)
        self.params: list[object] = []
        self._offset = param_offset
        self._aliases = 0

    def param(self, value: object, sql_type: str) -> str:
        self.params.append(value)
        return f"${self._offset + len(self.params)}::{sql_type}"

    def fresh(self, prefix: str) -> str:
        self._aliases += 1
        return f'"_{prefix}{self._aliases}"'

    def _chain(self, field: ResolvedField) -> tuple[list[str], str | None, str]:
        """FROM items and correlation for the field's hops; returns (items, where, alias of the last row)."""
        current = self.alias
        items: list[str] = []
        where: str | None = None
        for index, hop in enumerate(field.hops):
            target = self.fresh("s")
            guard = f" AND {hop.guard(target, self.param)}" if hop.guard is not None else ""
            if hop.multiple:
                ids = self.fresh("u")
                unnest = f"unnest({current}.{hop.column}) AS {ids}(id)"
                items.append(unnest if index == 0 else f"CROSS JOIN LATERAL {unnest}")
                items.append(f"JOIN {hop.table} AS {target} ON {target}.{hop.target_id} = {ids}.id{guard}")
            elif index == 0:
                items.append(f"{hop.table} AS {target}")
                where = f"{target}.{hop.target_id} = {current}.{hop.column}{guard}"
            else:
                items.append(
                    f"JOIN {hop.table} AS {target} ON {target}.{hop.target_id} = {current}.{hop.column}{guard}"
                )
            current = target
        return items, where, current

    def raw(self, field: ResolvedField, source: str, domain: Domain | None) -> str:
        """One stored value read for ``domain`` (``None``: for sorting), before null handling."""
        if field.modifier == "length":
            return f"cardinality({source})"
        if field.kind is FieldKind.JSON:
            path = self.param(list(field.json_path), "text[]")
            if domain is None:
                return f"({source} #> {path})"
            if domain is Domain.TEXT:
                return f"({source} #>> {path})"
            json_type = "number" if domain is Domain.NUMBER else "boolean"
            return (
                f"CASE WHEN jsonb_typeof({source} #> {path}) = '{json_type}' "
                f"THEN ({source} #>> {path})::{_SQL_TYPES[domain]} END"
            )
        if field.kind is FieldKind.DATE and field.date_storage == "timestamptz" and domain is not None:
            return f"to_char({source} AT TIME ZONE 'UTC', {PB_DATE_FORMAT_SQL})"
        if field.kind is FieldKind.NUMBER and domain is not None:
            return f"CAST({source} AS double precision)"
        return source

    def normalized(self, expression: str, field: ResolvedField, domain: Domain) -> str:
        """Null handling and modifiers applied to a value: ``''`` for null text, ``0`` for a missing length."""
        if field.modifier == "length":
            return f"COALESCE({expression}, 0)::double precision"
        if domain is not Domain.TEXT:
            return expression
        text = f"COALESCE({expression}, '')"
        return f'lower({text} COLLATE "C")' if field.modifier == "lower" else text

    def scalar(self, field: ResolvedField, domain: Domain | None) -> str:
        """The field's one value (the field must not be multi-valued)."""
        items, where, last = self._chain(field)
        value = self.raw(field, f"{last}.{field.column}", domain)
        if items:
            value = f"(SELECT {value} FROM {' '.join(items)}{f' WHERE {where}' if where else ''})"
        return value

    def items(self, field: ResolvedField, domain: Domain, *, empty_as_null: bool = True) -> str:
        """A sub-select of the field's values (column ``v``); without values, one null (``empty_as_null``)."""
        items, where, last = self._chain(field)
        source = f"{last}.{field.column}"
        if field.multiple and field.modifier != "length":
            element = self.fresh("v")
            unnest = f"unnest({source}) AS {element}(v)"
            items.append(f"CROSS JOIN LATERAL {unnest}" if items else unnest)
            source = f"{element}.v"
        select = f"SELECT {self.raw(field, source, domain)} AS v FROM {' '.join(items)}"
        if where:
            select += f" WHERE {where}"
        if not empty_as_null:
            return select
        return f"SELECT v FROM ({select}) AS {self.fresh('i')} UNION ALL SELECT NULL WHERE NOT EXISTS ({select})"


class _FilterCompiler:
    def __init__(self, builder: SqlBuilder, prepared: Preparer) -> None:
        self._builder = builder
        self._prepared = prepared

    def expr(self, node: Expr) -> str:
        constant = self._prepared.constant(node)
        if constant is not None:
            return "TRUE" if constant else "FALSE"
        if isinstance(node, Comparison):
            return self._comparison(self._prepared.comparison(node))
        # Constant items left here cannot change the result (True in an And, False in an Or): drop them.
        parts = [self.expr(item) for item in node.items if self._prepared.constant(item) is None]
        return _join(" AND " if isinstance(node, And) else " OR ", parts)

    def _comparison(self, prepared: PreparedComparison) -> str:
        parts = [
            self._pair(prepared.op, prepared.any_of, pair)
            for pair in prepared.pairs
            if pair.constant_result(prepared.op) is None
        ]
        return _join(" OR " if prepared.any_of else " AND ", parts)

    def _pair(self, op: Op, any_of: bool, pair: PreparedPair) -> str:
        builder = self._builder
        sources: list[str] = []
        sides: list[str] = []
        base = op.base
        for side, value in ((pair.left, pair.left_value), (pair.right, pair.right_value)):
            if isinstance(side, Constant):
                if base in (Op.LIKE, Op.NLIKE) and side is pair.right:
                    value = like_pattern(str(value))
                sides.append(builder.param(value, _SQL_TYPES[pair.domain]))
            elif side.is_set:
                alias = builder.fresh("m")
                fallback = _empty_matters(op, any_of, pair, side)
                sources.append(f"({builder.items(side, pair.domain, empty_as_null=fallback)}) AS {alias}(v)")
                sides.append(builder.normalized(f"{alias}.v", side, pair.domain))
            else:
                sides.append(builder.normalized(builder.scalar(side, pair.domain), side, pair.domain))
        condition = _condition(base, pair.domain, sides[0], sides[1], right_is_pattern=pair.right_is_pattern)
        if not sources:
            return condition
        if any_of:
            return f"EXISTS (SELECT 1 FROM {', '.join(sources)} WHERE {condition})"
        return f"NOT EXISTS (SELECT 1 FROM {', '.join(sources)} WHERE ({condition}) IS NOT TRUE)"


def _empty_matters(op: Op, any_of: bool, pair: PreparedPair, side: ResolvedField) -> bool:
    """Whether a multi-valued side without items (one null item) could change the comparison's result.

    Against a constant this is known now: ``tags ?= 'web'`` is false for an empty list anyway, so the SQL can
    skip the null item; only when the null item would match (any-of) or fail (every item) is it needed.
    """
    other = pair.right if side is pair.left else pair.left
    if not isinstance(other, Constant):
        return True
    null = field_value(None, side, pair.domain)
    left, right = (null, pair.right_value) if side is pair.left else (pair.left_value, null)
    matches = compare(op, pair.domain, left, right, right_is_pattern=pair.right_is_pattern)
    return matches if any_of else not matches


def _join(joiner: str, parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "(" + joiner.join(parts) + ")"


def _condition(op: Op, domain: Domain, left: str, right: str, *, right_is_pattern: bool) -> str:
    if op in (Op.LIKE, Op.NLIKE):
        pattern = (
            right
            if right_is_pattern
            else (f"('%' || replace(replace(replace({right}, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%')")
        )
        negation = "NOT " if op is Op.NLIKE else ""
        return f"({left} COLLATE \"C\") {negation}ILIKE {pattern} ESCAPE '\\'"
    if op in _ORDERING:
        collation = ' COLLATE "C"' if domain is Domain.TEXT else ""
        return f"{left} {_ORDERING[op]} {right}{collation}"
    if domain is Domain.TEXT:
        return f"{left} {'=' if op is Op.EQ else '<>'} {right}"
    return f"{left} IS {'NOT ' if op is Op.EQ else ''}DISTINCT FROM {right}"
