"""Recursive-descent parser: filter text → :mod:`~oneclick_core.search.nodes` AST.

Grammar (``&&`` binds tighter than ``||``, as in PocketBase where the joins end up in SQL)::

    filter     := or_expr END
    or_expr    := and_expr ("||" and_expr)*
    and_expr   := primary ("&&" primary)*
    primary    := "(" or_expr ")" | operand OPERATOR operand
    operand    := IDENTIFIER | NUMBER | TEXT

``true``, ``false`` and ``null`` (any case) are literals; ``@now``-style names are macros; ``@request.…``
are request fields. Limits keep pathological input cheap: :data:`~oneclick_core.search.tokens.MAX_FILTER_LENGTH`
characters, :data:`MAX_COMPARISONS` comparisons (PocketBase's ``DefaultFilterExprLimit``) and
:data:`MAX_DEPTH` nested parentheses.
"""

from __future__ import annotations

import math
import re

from oneclick_core.search.errors import FilterError
from oneclick_core.search.macros import MACROS
from oneclick_core.search.nodes import (
    And,
    Comparison,
    Expr,
    Identifier,
    Literal,
    Macro,
    Op,
    Operand,
    Or,
    RequestField,
)
from oneclick_core.search.tokens import Token, TokenKind, tokenize

MAX_COMPARISONS = 200
MAX_DEPTH = 32
MAX_PATH_SEGMENTS = 32

FIELD_MODIFIERS = frozenset({"lower", "length", "each"})
REQUEST_MODIFIERS = frozenset({"isset", "lower", "length", "each"})
# @request.<namespace>: the parts of a request a rule or filter may read (PocketBase's list, minus @collection).
REQUEST_NAMESPACES = frozenset({"auth", "body", "query", "headers"})
REQUEST_VALUES = frozenset({"method", "context"})

_SEGMENT = re.compile(r"[A-Za-z0-9_]+")
_KEYWORDS: dict[str, bool | None] = {"true": True, "false": False, "null": None}


def parse_filter(text: str) -> Expr:
    """Parse a filter; raises :class:`FilterError` (400) on empty or invalid input."""
    tokens = tokenize(text)
    if tokens[0].kind is TokenKind.END:
        raise FilterError("the filter is empty")
    return _Parser(tokens).parse()


def parse_optional_filter(text: str | None) -> Expr | None:
    """Like :func:`parse_filter`, but a missing or ``""`` filter (PocketBase ignores those) gives ``None``."""
    if not text:
        return None
    return parse_filter(text)


def parse_identifier(literal: str, *, param: str = "filter") -> Operand:
    """Turn an identifier token into its operand: field path, macro, request field or keyword literal."""
    if param == "filter" and literal.lower() in _KEYWORDS:
        return Literal(_KEYWORDS[literal.lower()])
    name, _, modifier_text = literal.partition(":")
    modifier = modifier_text or None
    segments = tuple(name.split("."))
    if len(segments) > MAX_PATH_SEGMENTS:
        raise FilterError(f"the path {literal!r} is too long (max {MAX_PATH_SEGMENTS} parts)", param=param)
    if segments[0].startswith("@"):
        return _special_identifier(literal, segments, modifier, param)
    if any(not _SEGMENT.fullmatch(segment) for segment in segments):
        raise FilterError(f"invalid field name {literal!r}", param=param)
    if modifier is not None and modifier not in FIELD_MODIFIERS:
        raise FilterError(
            f"unknown modifier {modifier!r} in {literal!r} (supported: {', '.join(sorted(FIELD_MODIFIERS))})",
            param=param,
        )
    return Identifier(segments, modifier)


def _special_identifier(literal: str, segments: tuple[str, ...], modifier: str | None, param: str) -> Operand:
    head = segments[0][1:]
    if head == "request":
        rest = segments[1:]
        if any(not _SEGMENT.fullmatch(segment) for segment in rest):
            raise FilterError(f"invalid request field {literal!r}", param=param)
        valid = (len(rest) == 1 and rest[0] in REQUEST_VALUES) or (len(rest) >= 2 and rest[0] in REQUEST_NAMESPACES)
        if not valid:
            raise FilterError(
                f"unknown request field {literal!r} (use @request.auth.<field>, @request.method, "
                "@request.context, @request.body.<field>, @request.query.<name> or "
                "@request.headers.<name>)",
                param=param,
            )
        if modifier is not None and modifier not in REQUEST_MODIFIERS:
            raise FilterError(f"unknown modifier {modifier!r} in {literal!r}", param=param)
        return RequestField(rest, modifier)
    if head == "collection":
        raise FilterError(f"@collection lookups are not supported ({literal!r})", param=param)
    if head in MACROS and len(segments) == 1 and modifier is None:
        return Macro(head)
    raise FilterError(
        f"unknown macro {literal!r} (supported: {', '.join('@' + name for name in sorted(MACROS))})", param=param
    )


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self._tokens = tokens
        self._index = 0
        self._comparisons = 0

    def _peek(self) -> Token:
        return self._tokens[self._index]

    def _next(self) -> Token:
        token = self._tokens[self._index]
        if token.kind is not TokenKind.END:
            self._index += 1
        return token

    def parse(self) -> Expr:
        expr = self._or(0)
        token = self._peek()
        if token.kind is TokenKind.CLOSE:
            raise FilterError(f"unbalanced ')' at character {token.position + 1}")
        if token.kind is not TokenKind.END:
            raise FilterError(f"expected && or || before {token.describe()}")
        return expr

    def _or(self, depth: int) -> Expr:
        items = [self._and(depth)]
        while self._peek().kind is TokenKind.OR:
            self._next()
            items.append(self._and(depth))
        return _join(Or, items)

    def _and(self, depth: int) -> Expr:
        items = [self._primary(depth)]
        while self._peek().kind is TokenKind.AND:
            self._next()
            items.append(self._primary(depth))
        return _join(And, items)

    def _primary(self, depth: int) -> Expr:
        token = self._peek()
        if token.kind is TokenKind.OPEN:
            if depth >= MAX_DEPTH:
                raise FilterError(f"too many nested parentheses (max {MAX_DEPTH})")
            self._next()
            if self._peek().kind is TokenKind.CLOSE:
                raise FilterError(f"empty parentheses at character {token.position + 1}")
            expr = self._or(depth + 1)
            closing = self._next()
            if closing.kind is not TokenKind.CLOSE:
                raise FilterError(
                    f"missing ')' for the '(' at character {token.position + 1}, found {closing.describe()}"
                )
            return expr
        left = self._operand("left")
        operator = self._next()
        if operator.kind is not TokenKind.OPERATOR:
            raise FilterError(
                f"expected an operator (=, !=, ~, <, ?=, …) after the left operand, found {operator.describe()}"
            )
        right = self._operand("right")
        self._comparisons += 1
        if self._comparisons > MAX_COMPARISONS:
            raise FilterError(f"too many expressions (max {MAX_COMPARISONS})")
        return Comparison(left, Op(operator.text), right)

    def _operand(self, side: str) -> Operand:
        token = self._next()
        if token.kind is TokenKind.IDENTIFIER:
            return parse_identifier(token.text)
        if token.kind is TokenKind.TEXT:
            return Literal(token.text)
        if token.kind is TokenKind.NUMBER:
            if math.isinf(float(token.text)):
                raise FilterError(f"number out of range at character {token.position + 1}")
            return Literal(float(token.text) if "." in token.text else int(token.text))
        raise FilterError(
            f"expected a {side} operand (field, text, number, true, false or null), found {token.describe()}"
        )


def _join(kind: type[And] | type[Or], items: list[Expr]) -> Expr:
    if len(items) == 1:
        return items[0]
    flat: list[Expr] = []
    for item in items:
        flat.extend(item.items if isinstance(item, kind) else (item,))
    return kind(tuple(flat))
