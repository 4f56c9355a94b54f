"""``sort=-created,name,@random`` → sort terms → ``ORDER BY`` SQL.

``-`` sorts descending, ``+`` (or nothing) ascending; ``@random`` shuffles. Fields resolve like filter
identifiers (relation paths through single relations, JSON paths, ``:lower``, ``:length``); multi-valued
paths cannot be sorted on. Text sorts by code point (``COLLATE "C"``, like SQLite's default), nulls first
ascending and last descending (SQLite's order). At most :data:`MAX_SORT_TERMS` terms (PocketBase's limit).
"""

from __future__ import annotations

from dataclasses import dataclass

from oneclick_core.search.errors import FilterError
from oneclick_core.search.nodes import Identifier
from oneclick_core.search.parsing import parse_identifier
from oneclick_core.search.resolving import FieldResolver
from oneclick_core.search.schema import FieldKind
from oneclick_core.search.sql import SqlBuilder, SqlFragment
from oneclick_core.search.tokens import check_filter_text

MAX_SORT_TERMS = 8
MAX_SORT_FIELD_LENGTH = 255
RANDOM = "@random"


@dataclass(frozen=True)
class SortTerm:
    field: Identifier | None  # None: @random
    descending: bool = False


def parse_sort(text: str | None) -> tuple[SortTerm, ...]:
    """Parse a ``sort`` parameter; ``None`` or ``""`` is no sorting. Raises :class:`FilterError`."""
    if not text:
        return ()
    check_filter_text(text, param="sort")
    items = text.split(",")
    if len(items) > MAX_SORT_TERMS:
        raise FilterError(f"too many sort fields (max {MAX_SORT_TERMS})", param="sort")
    terms: list[SortTerm] = []
    for item in items:
        name = item.strip()
        descending = name.startswith("-")
        if name[:1] in ("-", "+"):
            name = name[1:]
        if not name:
            raise FilterError("empty sort field", param="sort")
        if len(name) > MAX_SORT_FIELD_LENGTH:
            raise FilterError(f"sort field longer than {MAX_SORT_FIELD_LENGTH} characters", param="sort")
        if name == RANDOM:
            terms.append(SortTerm(None, descending))
            continue
        operand = parse_identifier(name, param="sort")
        if not isinstance(operand, Identifier):
            raise FilterError(f"cannot sort by {name!r}", param="sort")
        terms.append(SortTerm(operand, descending))
    return tuple(terms)


def compile_sort(
    terms: tuple[SortTerm, ...], resolver: FieldResolver, *, alias: str, param_offset: int = 0
) -> SqlFragment:
    """The ``ORDER BY`` list (without the keyword; ``""`` for no terms) over the table aliased ``alias``."""
    builder = SqlBuilder(alias, param_offset)
    parts: list[str] = []
    for term in terms:
        if term.field is None:
            parts.append("random()")
            continue
        try:
            field = resolver.resolve(term.field)
        except FilterError as error:
            raise FilterError(error.detail, param="sort") from None
        if field.is_set:
            raise FilterError(f"cannot sort by the multi-valued {field.label!r}", param="sort")
        value = builder.scalar(field, None)
        if field.modifier == "length":
            value = f"COALESCE({value}, 0)"
        elif field.modifier == "lower":
            value = f'lower({value} COLLATE "C")'
        elif field.kind in (FieldKind.TEXT, FieldKind.RELATION) or (
            field.kind is FieldKind.DATE and field.date_storage == "text"
        ):
            value = f'{value} COLLATE "C"'
        parts.append(f"{value} {'DESC NULLS LAST' if term.descending else 'ASC NULLS FIRST'}")
    return SqlFragment(", ".join(parts), tuple(builder.params))
