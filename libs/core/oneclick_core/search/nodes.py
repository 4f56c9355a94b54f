"""The filter AST: frozen dataclasses, so a parsed filter can be cached and shared.

``Expr`` is a :class:`Comparison` or an :class:`And` / :class:`Or` of at least two expressions (the parser
flattens ``a && (b && c)`` into one ``And``). Operands are field :class:`Identifier` paths, :class:`Literal`
values, datetime :class:`Macro` s and :class:`RequestField` s (``@request.auth.id``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Op(Enum):
    EQ = "="
    NEQ = "!="
    LIKE = "~"
    NLIKE = "!~"
    LT = "<"
    LTE = "<="
    GT = ">"
    GTE = ">="
    ANY_EQ = "?="
    ANY_NEQ = "?!="
    ANY_LIKE = "?~"
    ANY_NLIKE = "?!~"
    ANY_LT = "?<"
    ANY_LTE = "?<="
    ANY_GT = "?>"
    ANY_GTE = "?>="

    @property
    def is_any(self) -> bool:
        """The ``?`` forms: at least one item of a multi-valued operand must match (otherwise: every item)."""
        return self.value.startswith("?")

    @property
    def base(self) -> Op:
        """The comparison itself, without the any-of flag (``?>=`` → ``>=``)."""
        return Op(self.value[1:]) if self.is_any else self


@dataclass(frozen=True)
class Identifier:
    """A field of the record, possibly through relations or into JSON: ``project.name``, ``manifest.spec.image``."""

    path: tuple[str, ...]
    modifier: str | None = None  # "lower", "length" or "each"

    def __str__(self) -> str:
        return ".".join(self.path) + (f":{self.modifier}" if self.modifier else "")


@dataclass(frozen=True)
class Literal:
    """Quoted text, a number, ``true``/``false`` or ``null``."""

    value: str | int | float | bool | None


@dataclass(frozen=True)
class Macro:
    """A datetime macro such as ``@now`` (``name`` without the ``@``), evaluated when a filter is compiled."""

    name: str


@dataclass(frozen=True)
class RequestField:
    """``@request.<path>``: a value of the request (``("auth", "id")``), known when a filter is compiled."""

    path: tuple[str, ...]
    modifier: str | None = None  # "isset", "lower", "length" or "each"

    def __str__(self) -> str:
        return "@request." + ".".join(self.path) + (f":{self.modifier}" if self.modifier else "")


Operand = Identifier | Literal | Macro | RequestField


@dataclass(frozen=True)
class Comparison:
    left: Operand
    op: Op
    right: Operand


@dataclass(frozen=True)
class And:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Expr, ...]


Expr = Comparison | And | Or
