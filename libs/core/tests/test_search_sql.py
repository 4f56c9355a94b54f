"""Compiling filters and sorts to SQL: exact text and parameters, resolution errors, and no values in the SQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oneclick_core.search import (
    FilterError,
    RequestContext,
    SchemaResolver,
    compile_filter,
    compile_sort,
    parse_filter,
    parse_sort,
)

from .search_oracle import Matcher
from .test_search_support import SCHEMA

NOW = datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
CONTEXT = RequestContext(auth={"id": "u1", "roles": ["admin", "dev"]})


def compiled(
    text: str, collection: str = "projects", *, offset: int = 0, context: RequestContext = CONTEXT
) -> tuple[str, tuple[object, ...]]:
    fragment = compile_filter(
        parse_filter(text),
        SchemaResolver(SCHEMA, collection),
        alias="r",
        context=context,
        param_offset=offset,
        clock=lambda: NOW,
    )
    return fragment.sql, fragment.params


EXACT = [
    ("name = 'x'", 'COALESCE("r"."name", \'\') = $1::text', ("x",)),
    ("name != null", 'COALESCE("r"."name", \'\') <> $1::text', ("",)),
    ("name < 'b'", 'COALESCE("r"."name", \'\') < $1::text COLLATE "C"', ("b",)),
    ("name = 12", 'COALESCE("r"."name", \'\') = $1::text', ("12",)),
    ("name ~ 'a_b'", '(COALESCE("r"."name", \'\') COLLATE "C") ILIKE $1::text ESCAPE \'\\\'', ("%a\\_b%",)),
    ("name !~ 'a%'", '(COALESCE("r"."name", \'\') COLLATE "C") NOT ILIKE $1::text ESCAPE \'\\\'', ("a%",)),
    ("name:lower = 'x'", 'lower(COALESCE("r"."name", \'\') COLLATE "C") = $1::text', ("x",)),
    ("score >= 2", 'CAST("r"."score" AS double precision) >= $1::double precision', (2.0,)),
    ("score = null", 'CAST("r"."score" AS double precision) IS NOT DISTINCT FROM $1::double precision', (None,)),
    ("active != true", '"r"."active" IS DISTINCT FROM $1::boolean', (True,)),
    (
        "created > @now",
        "COALESCE(to_char(\"r\".\"created\" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS\"Z\"'), '') > $1::text "
        'COLLATE "C"',
        ("2024-01-02 03:04:05.678Z",),
    ),
    (
        "user.name = 'Alice'",
        'COALESCE((SELECT "_s1"."name" FROM "users" AS "_s1" WHERE "_s1"."id" = "r"."user"), \'\') = $1::text',
        ("Alice",),
    ),
    ("user.id = 'u1'", 'COALESCE("r"."user", \'\') = $1::text', ("u1",)),
    (
        "tags ?= 'web'",
        'EXISTS (SELECT 1 FROM (SELECT "_v2".v AS v FROM unnest("r"."tags") AS "_v2"(v)) AS "_m1"(v) '
        "WHERE COALESCE(\"_m1\".v, '') = $1::text)",
        ("web",),
    ),
    (
        "tags != 'web'",
        'NOT EXISTS (SELECT 1 FROM (SELECT "_v2".v AS v FROM unnest("r"."tags") AS "_v2"(v)) AS "_m1"(v) '
        "WHERE (COALESCE(\"_m1\".v, '') <> $1::text) IS NOT TRUE)",
        ("web",),
    ),
    # every item equal: a list without items is one null item, which does not equal 'web'
    (
        "tags = 'web'",
        'NOT EXISTS (SELECT 1 FROM (SELECT v FROM (SELECT "_v2".v AS v FROM unnest("r"."tags") AS "_v2"(v)) AS "_i3" '
        'UNION ALL SELECT NULL WHERE NOT EXISTS (SELECT "_v2".v AS v FROM unnest("r"."tags") AS "_v2"(v))) '
        'AS "_m1"(v) WHERE (COALESCE("_m1".v, \'\') = $1::text) IS NOT TRUE)',
        ("web",),
    ),
    ("tags:length > 1", 'COALESCE(cardinality("r"."tags"), 0)::double precision > $1::double precision', (1.0,)),
    ("@request.auth.id != '' && user = @request.auth.id", 'COALESCE("r"."user", \'\') = $1::text', ("u1",)),
    ("@request.auth.id = '' && user = @request.auth.id", "FALSE", ()),
    ("@request.auth.roles ?= 'admin' || name = 'x'", "TRUE", ()),
    (
        "name ?= @request.auth.roles",
        '(COALESCE("r"."name", \'\') = $1::text OR COALESCE("r"."name", \'\') = $2::text)',
        ("admin", "dev"),
    ),
    # equal-looking literals keep their own text
    (
        "name = true || name = 1 || name = 1.0",
        '(COALESCE("r"."name", \'\') = $1::text OR COALESCE("r"."name", \'\') = $2::text OR '
        'COALESCE("r"."name", \'\') = $3::text)',
        ("true", "1", "1.0"),
    ),
    (
        "name = 'a' || score > 1 && active = true",
        '(COALESCE("r"."name", \'\') = $1::text OR (CAST("r"."score" AS double precision) > $2::double precision '
        'AND "r"."active" IS NOT DISTINCT FROM $3::boolean))',
        ("a", 1.0, True),
    ),
    (
        "user.name ~ name",
        '(COALESCE((SELECT "_s1"."name" FROM "users" AS "_s1" WHERE "_s1"."id" = "r"."user"), \'\') COLLATE "C") '
        "ILIKE ('%' || replace(replace(replace(COALESCE(\"r\".\"name\", ''), '\\', '\\\\'), '%', '\\%'), "
        "'_', '\\_') || '%') ESCAPE '\\'",
        (),
    ),
]


@pytest.mark.parametrize(("text", "sql", "params"), EXACT, ids=[text for text, _, _ in EXACT])
def test_filters_compile_to_this_sql(text: str, sql: str, params: tuple[object, ...]) -> None:
    assert compiled(text) == (sql, params)


def test_json_paths_and_relation_hops_are_parameters_and_generated_aliases() -> None:
    sql, params = compiled("blueprint.manifest.spec.replicas > 1", "deployments")
    assert sql == (
        '(SELECT CASE WHEN jsonb_typeof("_s1"."manifest" #> $1::text[]) = \'number\' '
        'THEN ("_s1"."manifest" #>> $1::text[])::double precision END '
        'FROM "blueprints" AS "_s1" WHERE "_s1"."id" = "r"."blueprint") > $2::double precision'
    )
    assert params == (["spec", "replicas"], 1.0)


def test_placeholders_start_after_the_offset() -> None:
    sql, params = compiled("name = 'a' && score > 1", offset=3)
    assert re.findall(r"\$\d+", sql) == ["$4", "$5"]
    assert params == ("a", 1.0)


RESOLUTION_ERRORS = [
    ("projects", "nope = 1", "unknown field 'nope' in 'nope' (collection 'projects')"),
    ("projects", "user.nope = 1", "unknown field 'nope' in 'user.nope' (collection 'users')"),
    ("projects", "user.email = 'a'", "field 'email' in 'user.email' cannot be filtered or sorted on"),
    ("projects", "name.x = 'a'", "'name' in 'name.x' is neither a relation nor a JSON field"),
    ("projects", "name:length = 1", ":length needs a multiple field, and 'name' is not one"),
    ("projects", "score:lower = 'a'", ":lower needs a text field, and 'score' is a number field"),
    ("projects", "score ~ 1", "~ needs text, and 'score' is a number field"),
    ("projects", "score = name", "cannot compare 'score' (number) with 'name' (text)"),
    ("projects", "score = 'abc'", "'abc' is not a valid value for 'score' (number)"),
    ("projects", "active = 'yes'", "'yes' is not a valid value for 'active' (bool)"),
    ("projects", "active = 2", "2 is not a valid value for 'active' (bool)"),
]


@pytest.mark.parametrize(
    ("collection", "text", "message"), RESOLUTION_ERRORS, ids=[text for _, text, _ in RESOLUTION_ERRORS]
)
def test_unknown_fields_and_type_errors_are_400s(collection: str, text: str, message: str) -> None:
    with pytest.raises(FilterError) as caught:
        compiled(text, collection)
    assert caught.value.detail == message
    assert caught.value.to_dict()["data"] == {"filter": {"code": "validation_invalid_filter", "message": message}}


def test_hidden_fields_are_filterable_when_allowed() -> None:
    resolver = SchemaResolver(SCHEMA, "users", allow_hidden=True)
    fragment = compile_filter(parse_filter("email = 'a'"), resolver, alias="r")
    assert fragment.sql == 'COALESCE("r"."email", \'\') = $1::text'


def test_relation_paths_stop_after_six_hops() -> None:
    from oneclick_core.search import Schema

    chain = Schema.from_dict(
        {"nodes": {"fields": {"next": {"type": "relation", "collection": "nodes"}, "name": "text"}}}
    )
    resolver = SchemaResolver(chain, "nodes")
    compile_filter(parse_filter("next." * 6 + "name = 'x'"), resolver, alias="r")
    with pytest.raises(FilterError, match="more than 6 relations"):
        compile_filter(parse_filter("next." * 7 + "name = 'x'"), resolver, alias="r")


SORT_SQL = [
    ("-created", '"r"."created" DESC NULLS LAST'),
    ("name,+score", '"r"."name" COLLATE "C" ASC NULLS FIRST, "r"."score" ASC NULLS FIRST'),
    ("@random", "random()"),
    (
        "-user.name",
        '(SELECT "_s1"."name" FROM "users" AS "_s1" WHERE "_s1"."id" = "r"."user") COLLATE "C" DESC NULLS LAST',
    ),
    ("tags:length", 'COALESCE(cardinality("r"."tags"), 0) ASC NULLS FIRST'),
    ("name:lower", 'lower("r"."name" COLLATE "C") ASC NULLS FIRST'),
]


@pytest.mark.parametrize(("sort", "sql"), SORT_SQL)
def test_sorts_compile_to_order_by_lists(sort: str, sql: str) -> None:
    fragment = compile_sort(parse_sort(sort), SchemaResolver(SCHEMA, "projects"), alias="r")
    assert fragment.sql == sql
    assert fragment.params == ()


def test_json_sorts_pass_the_path_as_a_parameter() -> None:
    fragment = compile_sort(
        parse_sort("manifest.spec.replicas"), SchemaResolver(SCHEMA, "blueprints"), alias="r", param_offset=2
    )
    assert fragment.sql == '("r"."manifest" #> $3::text[]) ASC NULLS FIRST'
    assert fragment.params == (["spec", "replicas"],)


SORT_ERRORS = [
    ("name,,id", "empty sort field"),
    ("-", "empty sort field"),
    ("nope", "unknown field 'nope'"),
    ("tags", "cannot sort by the multi-valued 'tags'"),
    ("@now", "cannot sort by '@now'"),
    ("@rowid", "unknown macro '@rowid'"),
    ("name;drop", "invalid field name"),
    ("user.email", "cannot be filtered or sorted on"),
    (",".join(["name"] * 9), "too many sort fields (max 8)"),
    ("x" * 256, "longer than 255"),
]


@pytest.mark.parametrize(("sort", "message"), SORT_ERRORS)
def test_bad_sorts_are_400s_about_the_sort_parameter(sort: str, message: str) -> None:
    with pytest.raises(FilterError) as caught:
        compile_sort(parse_sort(sort), SchemaResolver(SCHEMA, "projects"), alias="r")
    assert message in caught.value.detail
    assert caught.value.to_dict()["message"] == "Invalid sort parameters."
    assert set(caught.value.data) == {"sort"}


def test_missing_sort_is_no_order() -> None:
    assert compile_sort(parse_sort(None), SchemaResolver(SCHEMA, "projects"), alias="r").sql == ""


# --- values never reach the SQL text --------------------------------------------------------------------------

MARK = "Zq"  # a prefix no generated SQL contains, so a leaked value is easy to see
FIELDS = ["name", "description", "tags", "user", "user.name", "created", "name:lower", "tags:each", "id"]
NUMERIC_FIELDS = ["score", "tags:length"]
SQL_CONSTANTS = {
    "''",
    "'UTC'",
    """'YYYY-MM-DD HH24:MI:SS.MS"Z"'""",
    "'number'",
    "'boolean'",
    "'\\'",
    "'\\\\'",
    "'%'",
    "'\\%'",
    "'_'",
    "'\\_'",
}
HOSTILE = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=12)


def quoted(value: str) -> str:
    """``value`` as filter text between double quotes (the tokenizer unescapes only ``\\"``)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@st.composite
def leaky_filters(draw: st.DrawFn) -> tuple[str, list[str]]:
    parts: list[str] = []
    secrets: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        if draw(st.booleans()):
            secret = MARK + draw(HOSTILE)
            secrets.append(secret)
            parts.append(
                f"{draw(st.sampled_from(FIELDS))} {draw(st.sampled_from(['=', '!=', '~', '!~', '?=', '<']))}"
                f" {quoted(secret)}"
            )
        else:
            number = draw(st.integers(10**6, 10**9))
            secrets.append(str(number))
            parts.append(f"{draw(st.sampled_from(NUMERIC_FIELDS))} {draw(st.sampled_from(['=', '>', '?<=']))} {number}")
    return " && ".join(parts), secrets


@settings(max_examples=300, deadline=None)
@given(leaky_filters())
def test_no_literal_value_appears_in_the_compiled_sql(case: tuple[str, list[str]]) -> None:
    text, secrets = case
    sql, params = compiled(text)
    for secret in secrets:
        assert secret not in sql
    # The only string constants in the SQL are the compiler's own.
    assert set(re.findall(r"'(?:[^']|'')*'", sql)) <= SQL_CONSTANTS
    assert len(set(re.findall(r"\$(\d+)", sql))) == len(params)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_random_text_as_a_value_is_a_parameter(value: str) -> None:
    try:
        sql, params = compiled(f"name = {quoted(value)} || user.name ~ {quoted(value)}")
    except FilterError:
        return  # NUL and unencodable characters are refused before compiling
    assert "$1::text" in sql
    assert "$2::text" in sql
    assert len(params) == 2


PIPELINE_SOUP = st.sampled_from(
    [
        "name",
        "tags",
        "tags:length",
        "tags:each",
        "user",
        "user.id",
        "user.name",
        "user.email",
        "user.verified",
        "score",
        "active",
        "created",
        "description:lower",
        "nope",
        "name.x",
        "@request.auth.id",
        "@request.auth.roles",
        "@request.body.x:isset",
        "@now",
        "@year",
        "'x'",
        "'%'",
        "''",
        '"\\""',
        "1",
        "-2.5",
        "true",
        "null",
        "=",
        "!=",
        "~",
        "!~",
        "<",
        ">=",
        "?=",
        "?!~",
        "?>",
        "&&",
        "||",
        "(",
        ")",
        " ",
        "'",
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(PIPELINE_SOUP, max_size=12).map(" ".join))
def test_parse_compile_and_evaluate_only_ever_raise_filter_errors(text: str) -> None:
    resolver = SchemaResolver(SCHEMA, "projects")
    try:
        expr = parse_filter(text)
        fragment = compile_filter(expr, resolver, alias="r", context=CONTEXT)
        matcher = Matcher(expr, resolver, context=CONTEXT)
    except FilterError:
        return
    assert isinstance(fragment.sql, str)
    assert matcher({"id": "p1", "name": "x", "tags": ["web"], "score": 1, "expand": {}}) in (True, False)
