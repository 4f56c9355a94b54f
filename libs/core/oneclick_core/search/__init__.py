"""PocketBase's filter language and list-query machinery, as a pure library (no I/O).

Pipeline: filter text → :func:`parse_filter` → AST (:mod:`.nodes`) → :func:`compile_filter` (parameterized
PostgreSQL) or :class:`Matcher` / :func:`evaluate` (in memory, same answers). Fields are resolved by a
:class:`FieldResolver`; :class:`SchemaResolver` does it from a dict-described :class:`Schema`. Every bad
input raises :class:`FilterError`, an ``ApiError`` 400 in PocketBase's shape whose ``data`` names the
parameter (``{"filter": {"code": "validation_invalid_filter", "message": "unknown field 'x' …"}}``).

Typical use in a service that owns the tables::

    schema = Schema.from_dict({...})                         # see oneclick_core.search.schema
    resolver = SchemaResolver(schema, "deployments")         # allow_hidden=True for superusers/rules;
                                                             # guards= the related collections' view rules
    context = RequestContext(auth={"id": user_id, ...})
    query = ListQuery.parse(params)                          # page, perPage, sort, filter, expand, fields
    rule = compile_filter(parse_filter(LIST_RULE), resolver, alias="r", context=context)
    where, params = rule.sql, list(rule.params)
    if query.filter is not None:
        user = compile_filter(query.filter, resolver, alias="r", context=context, param_offset=len(params))
        where, params = f"({where}) AND ({user.sql})", params + list(user.params)
    order = compile_sort(query.sort, resolver, alias="r", param_offset=len(params))
    params += order.params
    sql = f'SELECT r.* FROM "deployments" AS r WHERE {where}' + (f" ORDER BY {order.sql}" if order.sql else "")
    ... LIMIT/OFFSET from query.per_page / query.offset; list_page(items, query, total=...);
    pick_fields(item, query.fields); resolve_expand(schema, "deployments", query.expand)

Language (PocketBase's, via ``fexpr``): operators ``= != > >= < <= ~ !~`` and their any-of forms
``?= ?!= ?> ?>= ?< ?<= ?~ ?!~``; ``&&`` (binds tighter) and ``||``; parentheses; ``'…'``/``"…"`` text
(``\\'`` escapes the quote, other backslashes stay for LIKE); numbers; ``true``/``false``/``null``; field
paths through relations and into JSON; ``@request.auth.<field>`` (and ``@request.method``, ``.context``,
``.body.*``, ``.query.*``, ``.headers.*``); macros ``@now @second @minute @hour @weekday @day @month @year
@todayStart @todayEnd @monthStart @monthEnd @yearStart @yearEnd @yesterday @tomorrow``; ``// comments``.
Not supported (a 400): functions (``strftime()``, ``geoDistance()``), ``@collection.*``, back relations
(``x_via_y``), ``:changed``.

Semantics (where this differs from or pins down PocketBase):

- Types: see :mod:`.values` — one domain per comparison (text, number, bool); ``null`` equals ``''`` for
  text-like fields; a literal that does not fit its field (``count = 'abc'``) is a 400.
- ``~``: case-insensitive for ASCII (SQLite's LIKE). A constant right side is wrapped in ``%…%`` with
  ``\\ % _`` escaped unless it has its own unescaped ``%``; a field on the right means "contains".
- Multi-valued operands (``text[]`` fields, paths through multiple relations, list request values): the
  ``?`` forms need one matching item, the plain forms need every item to match (PocketBase ≥ 0.13); a
  list without items behaves as one ``null`` item. Exception kept for PocketBase's idiom: plain ``~`` on a
  multiple field of the record itself (``users ~ @request.auth.id``) means "some item contains".
- ``rel.id`` is the stored id(s), without a join; other relation paths follow existing targets only
  (dangling ids are skipped) and a single relation without a target reads as ``null``.
- Dates compare as PocketBase-formatted UTC text (``2024-01-02 03:04:05.678Z``), whether stored as
  ``timestamptz`` (formatted in SQL) or text; macros produce the same format.
- Constant comparisons (``@request.auth.id != ''``) fold to ``TRUE``/``FALSE`` at compile time.
- An in-memory evaluator of the same language lives with the tests (``libs/core/tests/search_oracle.py``): the
  oracle the SQL compiler is checked against.
"""

from oneclick_core.search.context import RequestContext
from oneclick_core.search.errors import FilterError
from oneclick_core.search.fields import (
    Excerpt,
    ExpandNode,
    parse_expand,
    parse_fields,
    pick_fields,
    resolve_expand,
)
from oneclick_core.search.listing import DEFAULT_PER_PAGE, MAX_PER_PAGE, ListQuery, list_page
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
from oneclick_core.search.parsing import parse_filter, parse_optional_filter
from oneclick_core.search.resolving import AddParam, FieldResolver, Hop, ResolvedField, RowGuard, SchemaResolver
from oneclick_core.search.schema import CollectionSpec, FieldKind, FieldSpec, Schema
from oneclick_core.search.sorting import SortTerm, compile_sort, parse_sort
from oneclick_core.search.sql import SqlFragment, compile_filter

__all__ = [
    "DEFAULT_PER_PAGE",
    "MAX_PER_PAGE",
    "AddParam",
    "And",
    "CollectionSpec",
    "Comparison",
    "Excerpt",
    "ExpandNode",
    "Expr",
    "FieldKind",
    "FieldResolver",
    "FieldSpec",
    "FilterError",
    "Hop",
    "Identifier",
    "ListQuery",
    "Literal",
    "Macro",
    "Op",
    "Operand",
    "Or",
    "RequestContext",
    "RequestField",
    "ResolvedField",
    "RowGuard",
    "Schema",
    "SchemaResolver",
    "SortTerm",
    "SqlFragment",
    "compile_filter",
    "compile_sort",
    "list_page",
    "parse_expand",
    "parse_fields",
    "parse_filter",
    "parse_optional_filter",
    "parse_sort",
    "pick_fields",
    "resolve_expand",
]
