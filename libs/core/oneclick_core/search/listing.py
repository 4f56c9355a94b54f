"""The list endpoint's query parameters, parsed and checked in one place, and the result page shape.

``GET /api/collections/{name}/records?page&perPage&sort&filter&expand&fields&skipTotal``::

    query = ListQuery.parse(request_params)           # FilterError (400) on any bad parameter
    where = compile_filter(query.filter, resolver, alias="r", context=ctx) if query.filter else None
    order = compile_sort(query.sort, resolver, alias="r", param_offset=...)
    ... LIMIT query.per_page OFFSET query.offset ...
    page = list_page(items, query, total=None if query.skip_total else count)
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from oneclick_core.search.errors import FilterError
from oneclick_core.search.fields import Excerpt, parse_expand, parse_fields
from oneclick_core.search.nodes import Expr
from oneclick_core.search.parsing import parse_optional_filter
from oneclick_core.search.sorting import SortTerm, parse_sort

DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 1000
MAX_PAGE = 1_000_000_000  # keeps OFFSET within bigint; nobody pages that far

_INTEGER = re.compile(r"[+-]?[0-9]{1,12}")

# Go's strconv.ParseBool, which PocketBase uses for skipTotal.
_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


@dataclass(frozen=True)
class ListQuery:
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    filter: Expr | None = None
    sort: tuple[SortTerm, ...] = ()
    expand: Mapping[str, Any] = field(default_factory=dict)
    fields: Mapping[str, Excerpt | None] | None = None
    skip_total: bool = False

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> ListQuery:
        """Parse PocketBase list parameters; page/perPage are normalized the way PocketBase does."""
        page = _integer(params, "page")
        per_page = _integer(params, "perPage")
        if per_page is None or per_page <= 0:
            per_page = DEFAULT_PER_PAGE
        return cls(
            page=page if page is not None and page > 0 else 1,
            per_page=min(per_page, MAX_PER_PAGE),
            filter=parse_optional_filter(params.get("filter")),
            sort=parse_sort(params.get("sort")),
            expand=parse_expand(params.get("expand")),
            fields=parse_fields(params.get("fields")),
            skip_total=_boolean(params, "skipTotal"),
        )


def _integer(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name)
    if not raw:
        return None
    if not _INTEGER.fullmatch(raw):
        raise FilterError(f"{name} must be an integer", param=name)
    value = int(raw)
    if value > MAX_PAGE:
        raise FilterError(f"{name} must be at most {MAX_PAGE}", param=name)
    return value


def _boolean(params: Mapping[str, str], name: str) -> bool:
    raw = params.get(name)
    if not raw:
        return False
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise FilterError(f"{name} must be true or false", param=name)


def list_page(items: Sequence[Any], query: ListQuery, *, total: int | None) -> dict[str, Any]:
    """PocketBase's list result; ``total=None`` (skipTotal) gives ``totalItems``/``totalPages`` of -1."""
    return {
        "page": query.page,
        "perPage": query.per_page,
        "totalItems": -1 if total is None else total,
        "totalPages": -1 if total is None else math.ceil(total / query.per_page),
        "items": list(items),
    }
