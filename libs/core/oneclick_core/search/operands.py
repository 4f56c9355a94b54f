"""Operands as the compiler and the evaluator see them, and the rules both apply to pairs of them.

A filter operand becomes a :class:`ResolvedField` (via the resolver), a :class:`Constant` (literal, macro,
request value) or a :class:`ConstantList` (a request value that is a list, e.g. ``@request.auth.roles``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from oneclick_core.search.context import RequestContext
from oneclick_core.search.errors import FilterError
from oneclick_core.search.macros import macro_value
from oneclick_core.search.nodes import Comparison, Expr, Identifier, Literal, Macro, Op, Operand, Or, RequestField
from oneclick_core.search.resolving import FieldResolver, ResolvedField
from oneclick_core.search.schema import FieldKind
from oneclick_core.search.values import (
    Domain,
    DomainValue,
    Incoercible,
    ascii_lower,
    coerce,
    common_domain,
    compare,
    constant_domain,
    json_extract,
    json_value,
    lenient,
)

_FIELD_DOMAINS = {
    FieldKind.TEXT: Domain.TEXT,
    FieldKind.RELATION: Domain.TEXT,
    FieldKind.DATE: Domain.TEXT,
    FieldKind.NUMBER: Domain.NUMBER,
    FieldKind.BOOL: Domain.BOOL,
}


@dataclass(frozen=True)
class Constant:
    value: object
    label: str
    strict: bool  # written in the filter: a value that does not fit the other side is a 400


@dataclass(frozen=True)
class ConstantList:
    items: tuple[object, ...]
    label: str


Resolved = ResolvedField | Constant | ConstantList
Side = ResolvedField | Constant


def resolve_operand(
    operand: Operand, resolver: FieldResolver, context: RequestContext, now: Callable[[], datetime]
) -> Resolved:
    if isinstance(operand, Identifier):
        return resolver.resolve(operand)
    if isinstance(operand, Literal):
        return Constant(operand.value, repr(operand.value), strict=True)
    if isinstance(operand, Macro):
        return Constant(macro_value(operand.name, now()), f"@{operand.name}", strict=False)
    return _request_value(operand, context)


def _request_value(operand: RequestField, context: RequestContext) -> Resolved:
    label = str(operand)
    found, value = context.lookup(operand.path)
    modifier = operand.modifier
    if modifier == "isset":
        return Constant(found, label, strict=False)
    if modifier == "length":
        count = len(value) if isinstance(value, list | tuple) else 0 if value is None else 1
        return Constant(count, label, strict=False)
    if modifier == "lower":
        return Constant(ascii_lower(str(lenient(value, Domain.TEXT))), label, strict=False)
    if isinstance(value, list | tuple):
        return ConstantList(tuple(value), label)
    if modifier == "each":
        return ConstantList((value,) if value is not None else (), label)
    return Constant(value, label, strict=False)


def field_domain(field: ResolvedField) -> Domain | None:
    """The domain a field imposes; ``None`` for JSON, which adapts to the other side."""
    return _FIELD_DOMAINS.get(field.value_kind)


def choose_domain(op: Op, left: Side, right: Side) -> Domain:
    """The domain of one comparison (see :mod:`oneclick_core.search.values`); raises :class:`FilterError`."""
    if op.base in (Op.LIKE, Op.NLIKE):
        for side in (left, right):
            if isinstance(side, ResolvedField) and side.value_kind in (FieldKind.NUMBER, FieldKind.BOOL):
                raise FilterError(f"{op.value} needs text, and {side.label!r} is a {side.value_kind.value} field")
        return Domain.TEXT
    if isinstance(left, ResolvedField):
        if isinstance(right, ResolvedField):
            first, second = field_domain(left), field_domain(right)
            if first is not None and second is not None and first is not second:
                raise FilterError(
                    f"cannot compare {left.label!r} ({left.value_kind.value}) with "
                    f"{right.label!r} ({right.value_kind.value})"
                )
            return first or second or Domain.TEXT
        return field_domain(left) or constant_domain(right.value) or Domain.TEXT
    if isinstance(right, ResolvedField):
        return field_domain(right) or constant_domain(left.value) or Domain.TEXT
    return common_domain(left.value, right.value)


def constant_value(constant: Constant, domain: Domain, other: Side) -> DomainValue:
    """A constant in ``domain``; a filter literal that does not fit a field is a 400."""
    try:
        return coerce(constant.value, domain)
    except Incoercible:
        if constant.strict and isinstance(other, ResolvedField):
            raise FilterError(f"{constant.label} is not a valid value for {other.label!r} ({domain.value})") from None
        return coerce(None, domain)


def any_of(op: Op, left: Resolved) -> bool:
    """Whether multi-valued operands need one matching item (``?`` forms) rather than every item.

    Plain ``~`` on a multiple field of the record itself (``users ~ 'x'``) also means "some item", keeping
    PocketBase's idiom where LIKE runs over the stored JSON list.
    """
    return op.is_any or (op is Op.LIKE and isinstance(left, ResolvedField) and left.is_direct_list)


def scalar_pairs(left: Resolved, right: Resolved) -> list[tuple[Side, Side]]:
    """The scalar pairs a comparison stands for: one per item of constant lists (an empty list is one null)."""
    return [(first, second) for first in _items(left) for second in _items(right)]


def _items(side: Resolved) -> list[Side]:
    if isinstance(side, ConstantList):
        return [Constant(item, side.label, strict=False) for item in side.items] or [
            Constant(None, side.label, strict=False)
        ]
    return [side]


@dataclass(frozen=True)
class PreparedPair:
    """Two scalar-or-field sides in their domain; constants already converted (``*_value``)."""

    left: Side
    right: Side
    domain: Domain
    left_value: DomainValue = None
    right_value: DomainValue = None

    @property
    def right_is_pattern(self) -> bool:
        return isinstance(self.right, Constant)

    def constant_result(self, op: Op) -> bool | None:
        if isinstance(self.left, Constant) and isinstance(self.right, Constant):
            return compare(op, self.domain, self.left_value, self.right_value, right_is_pattern=True)
        return None


@dataclass(frozen=True)
class PreparedComparison:
    """A comparison with its operands resolved: one pair, or one per item of constant lists.

    The pairs combine with OR when ``any_of`` and with AND otherwise, as do the items of multi-valued fields.
    ``constant`` is the result when it does not depend on the record.
    """

    op: Op
    any_of: bool
    pairs: tuple[PreparedPair, ...]
    constant: bool | None


def prepare_comparison(
    comparison: Comparison, resolver: FieldResolver, context: RequestContext, now: Callable[[], datetime]
) -> PreparedComparison:
    left = resolve_operand(comparison.left, resolver, context, now)
    right = resolve_operand(comparison.right, resolver, context, now)
    op = comparison.op
    pairs: list[PreparedPair] = []
    for first, second in scalar_pairs(left, right):
        domain = choose_domain(op, first, second)
        pairs.append(
            PreparedPair(
                first,
                second,
                domain,
                constant_value(first, domain, second) if isinstance(first, Constant) else None,
                constant_value(second, domain, first) if isinstance(second, Constant) else None,
            )
        )
    any_match = any_of(op, left)
    results = [pair.constant_result(op) for pair in pairs]
    decisive = any_match  # OR stops at a True, AND at a False
    if decisive in results:
        constant: bool | None = decisive
    elif all(result is not None for result in results):
        constant = not decisive
    else:
        constant = None
    return PreparedComparison(op, any_match, tuple(pairs), constant)


class Preparer:
    """Resolves each comparison once (operands, domain, constants) and remembers it."""

    def __init__(self, resolver: FieldResolver, context: RequestContext, now: Callable[[], datetime]) -> None:
        self._resolver = resolver
        self._context = context
        self._now = now
        # Keyed by identity: equal-looking nodes may differ (Literal(1) == Literal(True) == Literal(1.0)).
        self._cache: dict[int, tuple[Comparison, PreparedComparison]] = {}

    def comparison(self, node: Comparison) -> PreparedComparison:
        cached = self._cache.get(id(node))
        if cached is None:
            cached = (node, prepare_comparison(node, self._resolver, self._context, self._now))
            self._cache[id(node)] = cached  # holding the node keeps its id from being reused
        return cached[1]

    def constant(self, node: Expr) -> bool | None:
        """The value of ``node`` when no record can change it, else ``None``."""
        if isinstance(node, Comparison):
            return self.comparison(node).constant
        decisive = isinstance(node, Or)  # True decides an Or, False an And
        results = [self.constant(item) for item in node.items]
        if decisive in results:
            return decisive
        if all(result is not None for result in results):
            return not decisive
        return None


def field_value(raw: object, field: ResolvedField, domain: Domain) -> DomainValue:
    """A stored value as the SQL compiler reads it in ``domain``."""
    if field.modifier == "length":
        return float(len(raw)) if isinstance(raw, list) else 0.0
    if field.kind is FieldKind.JSON:
        value = json_value(json_extract(raw, field.json_path), domain)
    else:
        value = lenient(raw, domain)
    if field.modifier == "lower" and isinstance(value, str):
        return ascii_lower(value)
    return value
