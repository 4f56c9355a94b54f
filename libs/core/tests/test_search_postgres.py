"""Compiled filters and sorts run on a real PostgreSQL and agree with the in-memory evaluator.

Tables (``test_search_support``) mirror the One-Click collections with a ``text[]`` relation column, a
``jsonb`` column, ``timestamptz`` and text dates. Every table case checks three things: the expected ids,
the ids PostgreSQL returns for the compiled SQL, and the ids the in-memory evaluator accepts. A hypothesis
test then throws random filters over the known fields at both and requires identical answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oneclick_cli.embedded.postgres import EmbeddedPostgres
from oneclick_core.search import (
    AddParam,
    FilterError,
    RequestContext,
    RowGuard,
    SchemaResolver,
    compile_filter,
    compile_sort,
    parse_filter,
    parse_sort,
)
from oneclick_testing.infrastructure import Database, create_database, drop_database

from .search_oracle import Matcher
from .test_search_support import SCHEMA, api_records, create_tables

NOW = datetime(2024, 6, 15, 12, 0, 0, 250000, tzinfo=UTC)
CONTEXT = RequestContext(auth={"id": "u1", "name": "Alice", "roles": ["admin", "dev"], "verified": True})


def clock() -> datetime:
    return NOW


@pytest.fixture(scope="module")
async def tables(postgres_server: EmbeddedPostgres) -> AsyncIterator[Database]:
    """One database for the module: the tests only read, and a database per case would be slow."""
    database = await create_database(postgres_server.url)
    connection = await database.connect()
    try:
        await create_tables(connection)
    finally:
        await connection.close()
    yield database
    await drop_database(postgres_server.url, database)


@pytest.fixture
async def conn(tables: Database) -> AsyncIterator[asyncpg.Connection]:
    connection = await tables.connect()
    yield connection
    await connection.close()


async def sql_ids(
    conn: asyncpg.Connection,
    collection: str,
    text: str,
    context: RequestContext = CONTEXT,
) -> list[str]:
    resolver = SchemaResolver(SCHEMA, collection)
    fragment = compile_filter(parse_filter(text), resolver, alias="r", context=context, clock=clock)
    table = SCHEMA.collection(collection).table
    rows = await conn.fetch(f'SELECT r.id FROM "{table}" AS r WHERE {fragment.sql} ORDER BY r.id', *fragment.params)
    return [row["id"] for row in rows]


def memory_ids(collection: str, text: str, context: RequestContext = CONTEXT) -> list[str]:
    matcher = Matcher(parse_filter(text), SchemaResolver(SCHEMA, collection), context=context, clock=clock)
    return sorted(record["id"] for record in api_records(collection) if matcher(record))


CASES: list[tuple[str, str, list[str]]] = [
    # text: null and '' alike, case-sensitive =, ASCII case-insensitive ~
    ("projects", "name = 'Alpha'", ["p1"]),
    ("projects", "name = 'alpha'", []),
    ("projects", "'Alpha' = name", ["p1"]),
    ("projects", "name ~ 'alpha'", ["p1"]),
    ("projects", "name = ''", ["p3"]),
    ("projects", "name = null", ["p3"]),
    ("projects", "name != ''", ["p1", "p2", "p4"]),
    ("projects", "description = null", ["p2"]),
    ("projects", "name ~ ''", ["p1", "p2", "p3", "p4"]),
    ("projects", "name !~ ''", []),
    # LIKE: auto-wrapping and escaping unless the value brings its own %
    ("projects", "description ~ '100%'", []),
    ("projects", "description ~ '100\\%'", ["p1"]),
    ("projects", "description ~ '_'", ["p1"]),
    ("projects", "description ~ 'x\\y'", ["p3"]),
    ("projects", "name ~ '%a'", ["p1", "p2", "p4"]),
    ("projects", "description ~ 'ümlaut'", ["p4"]),
    ("users", "name ~ 'é'", []),
    ("users", "name ~ 'É'", ["u3"]),
    ("projects", "'lph' ~ name", ["p3"]),
    ("projects", "user.name ~ name", ["p3"]),
    # ordering by code point
    ("users", "name > 'a'", ["u2", "u3"]),
    ("users", "name < 'B'", ["u1"]),
    # multiple text fields: ?= any item, = every item, empty or null list = one null item
    ("projects", "tags ?= 'prod'", ["p1", "p3"]),
    ("projects", "tags = 'prod'", ["p3"]),
    ("projects", "tags != 'prod'", ["p2", "p4"]),
    ("projects", "tags ?!= 'prod'", ["p1", "p2", "p4"]),
    ("projects", "tags = ''", ["p2", "p4"]),
    ("projects", "tags ~ 'we'", ["p1"]),
    ("projects", "tags !~ 'we'", ["p2", "p3", "p4"]),
    ("projects", "tags ?~ 'ro'", ["p1", "p3"]),
    ("projects", "tags:length = 0", ["p2", "p4"]),
    ("projects", "tags:length > 1", ["p1"]),
    ("projects", "tags:each ~ 'r'", ["p3"]),
    # numbers and bools
    ("projects", "score > 2.5", ["p1"]),
    ("projects", "score >= 2.5", ["p1", "p2"]),
    ("projects", "score < 0", ["p4"]),
    ("projects", "score = null", ["p3"]),
    ("projects", "score != null", ["p1", "p2", "p4"]),
    ("projects", "score = '10'", ["p1"]),
    ("projects", "score = true", []),
    ("projects", "active = true", ["p1", "p4"]),
    ("projects", "active = false", ["p2"]),
    ("projects", "active = null", ["p3"]),
    ("projects", "active != true", ["p2", "p3"]),
    ("projects", "active = 1", ["p1", "p4"]),
    ("users", "verified != false", ["u1", "u3"]),
    # dates: PocketBase text, macros from the clock
    ("projects", "created > '2024-06'", ["p2", "p4"]),
    ("projects", "created >= @todayStart", ["p2", "p4"]),
    ("projects", "created < @now", ["p1", "p3"]),
    ("projects", "created = ''", ["p3"]),
    ("projects", "created ~ '2024-06-15 12:30:00.500Z'", ["p2"]),
    ("projects", "created <= @yearEnd && created >= @yearStart", ["p1", "p2"]),
    ("projects", "@year = 2024 && @month = 6 && @day = 15 && @hour = 12 && @weekday = 6", ["p1", "p2", "p3", "p4"]),
    ("blueprints", "created > '2024'", ["b1"]),
    ("blueprints", "created = ''", ["b2", "b3"]),
    # relations
    ("projects", "user = @request.auth.id", ["p1"]),
    ("projects", "user.name = 'Alice'", ["p1"]),
    ("projects", "user.name = ''", ["p3", "p4"]),
    ("projects", "user.name != 'Alice'", ["p2", "p3", "p4"]),
    ("projects", "user.id = 'dangling'", ["p4"]),
    ("projects", "user.verified = null", ["p3", "p4"]),
    ("deployments", "project.name = 'Alpha'", ["d1", "d3"]),
    ("deployments", "project.user.name = 'Alice'", ["d1", "d3"]),
    ("deployments", "project.tags ?= 'web'", ["d1", "d3"]),
    ("deployments", "project.tags = 'prod'", []),
    ("deployments", "project.tags:length = 2", ["d1", "d3"]),
    ("deployments", "blueprint.users.name ?= 'bob'", ["d1"]),
    ("deployments", "blueprint.users.name = 'bob'", []),
    ("deployments", "blueprint.users.name != 'bob'", ["d2", "d3", "d4", "d5"]),
    ("deployments", "blueprint.users.id ?= 'missing'", ["d3"]),
    ("deployments", "@request.auth.id ?= blueprint.users.id", ["d3"]),
    ("deployments", "blueprint.users:length = 2", ["d1", "d3"]),
    ("deployments", "user.name = project.user.name", ["d1", "d2", "d3", "d4"]),
    ("deployments", "replicas = project.score", ["d4"]),
    ("deployments", "project.user.verified = user.verified", ["d1", "d2", "d3", "d4", "d5"]),
    ("deployments", "project.name:lower = 'alpha'", ["d1", "d3"]),
    ("deployments", "user.name:lower = 'Émile'", ["d5"]),
    ("blueprints", "users.name ?= 'Alice' || users.name ?= 'bob'", ["b1", "b3"]),
    ("blueprints", "users ?= 'u2'", ["b1"]),
    ("blueprints", "users ~ 'u'", ["b1", "b3"]),
    ("blueprints", "users != 'u2'", ["b2", "b3", "b4"]),
    # JSON adapts to the other side
    ("deployments", "blueprint.manifest.spec.replicas > 1", ["d1"]),
    ("deployments", "blueprint.manifest.spec.replicas = '3'", ["d2"]),
    ("deployments", "blueprint.manifest.spec.image.tag = '1.25'", ["d1"]),
    ("deployments", "blueprint.manifest.spec.image.tag = 1.25", []),
    ("deployments", "blueprint.manifest.enabled = true", ["d1"]),
    ("deployments", "blueprint.manifest.spec.interfaces.0.port = 80", ["d1"]),
    ("deployments", "blueprint.manifest = 'just text'", ["d5"]),
    ("deployments", "blueprint.manifest ~ 'replicas'", ["d1", "d2"]),
    ("blueprints", "manifest.spec.missing = null", ["b1", "b2", "b3", "b4"]),
    # numbers, nulls, dates, LIKE on deployments
    ("deployments", "replicas > 1", ["d1", "d5"]),
    ("deployments", "replicas = null", ["d4"]),
    ("deployments", "replicas = 0", ["d3"]),
    ("deployments", "started = null", ["d2", "d4", "d5"]),
    ("deployments", "started > '2024'", ["d1"]),
    ("deployments", "name ~ 'ghost_'", ["d5"]),
    ("deployments", "name ~ 'ghost%'", ["d5"]),
    ("deployments", "name ~ 'g_ost'", []),
    # request values and constant folding
    ("projects", "@request.auth.id != '' && user = @request.auth.id", ["p1"]),
    ("projects", "@request.auth.roles ?= 'admin'", ["p1", "p2", "p3", "p4"]),
    ("projects", "@request.auth.roles = 'admin'", []),
    ("projects", "@request.auth.missing = null && name = 'beta'", ["p2"]),
    ("projects", "@request.auth.id:isset = true && @request.auth.nope:isset = false && score > 5", ["p1"]),
    ("projects", "@request.auth.roles:length = 2 && name = 'Alpha'", ["p1"]),
    ("projects", "1 = 2 || name = 'beta'", ["p2"]),
    ("projects", "1 = 1 || name = 'beta'", ["p1", "p2", "p3", "p4"]),
    ("projects", "name ?= @request.auth.roles || name ?= @request.auth.name", []),
    # precedence
    ("projects", "active = false && name = 'Alpha' || name = 'Gamma'", ["p4"]),
    ("projects", "active = false && (name = 'Alpha' || name = 'Gamma')", []),
    # injection attempts are just values
    ("projects", 'name = "x\' OR 1=1 --"', []),
    ("projects", "name = 'Alpha\\' OR \\'1\\'=\\'1'", []),
    ("projects", 'name ~ "\'; DROP TABLE projects; --"', []),
]


@pytest.mark.parametrize(("collection", "text", "expected"), CASES, ids=[f"{c}: {t}" for c, t, _ in CASES])
async def test_sql_and_memory_agree_with_the_expected_records(
    conn: asyncpg.Connection, collection: str, text: str, expected: list[str]
) -> None:
    assert await sql_ids(conn, collection, text) == expected
    assert memory_ids(collection, text) == expected


async def test_guests_read_null_for_every_auth_field(conn: asyncpg.Connection) -> None:
    guest = RequestContext()
    assert await sql_ids(conn, "projects", "@request.auth.id = ''", guest) == ["p1", "p2", "p3", "p4"]
    # PocketBase's null == '' rule: a guest "is" the owner of records without one, which is why
    # One-Click's rules start with @request.auth.id != "".
    assert await sql_ids(conn, "projects", "user = @request.auth.id", guest) == ["p3"]
    guarded = "@request.auth.id != '' && user = @request.auth.id"
    assert await sql_ids(conn, "projects", guarded, guest) == []
    assert memory_ids("projects", guarded, guest) == []


async def test_the_tables_survive_injection_attempts(conn: asyncpg.Connection) -> None:
    for text in (
        "name = 'a'); DROP TABLE projects; --",
        'name = "x"; DELETE FROM projects',
        'na"me = 1',
        "name\" = '1",
        "name' OR '1'='1' = 1",
    ):
        with pytest.raises(FilterError):
            await sql_ids(conn, "projects", text)
    await sql_ids(conn, "projects", 'name = "\');DROP TABLE projects;--"')
    assert await conn.fetchval("SELECT count(*) FROM projects") == 4


async def test_filters_and_with_a_rule_using_a_parameter_offset(conn: asyncpg.Connection) -> None:
    resolver = SchemaResolver(SCHEMA, "deployments")
    rule = compile_filter(
        parse_filter("@request.auth.id != '' && user = @request.auth.id"), resolver, alias="r", context=CONTEXT
    )
    user = compile_filter(
        parse_filter("project.name = 'Alpha' && replicas > 0"),
        resolver,
        alias="r",
        context=CONTEXT,
        param_offset=len(rule.params),
    )
    rows = await conn.fetch(
        f"SELECT id FROM deployments AS r WHERE ({rule.sql}) AND ({user.sql})", *rule.params, *user.params
    )
    assert [row["id"] for row in rows] == ["d1"]


SORTS = [
    ("projects", "name", ["p3", "p1", "p4", "p2"]),
    ("projects", "-name", ["p2", "p4", "p1", "p3"]),
    ("projects", "score", ["p3", "p4", "p2", "p1"]),
    ("projects", "-score", ["p1", "p2", "p4", "p3"]),
    ("projects", "-created", ["p4", "p2", "p1", "p3"]),
    ("projects", "active,-score", ["p3", "p2", "p1", "p4"]),
    ("projects", "user.name,id", ["p3", "p4", "p1", "p2"]),
    ("projects", "name:lower", ["p3", "p1", "p2", "p4"]),
    ("projects", "tags:length,id", ["p2", "p4", "p3", "p1"]),
    # jsonb order: null < string < number
    ("deployments", "blueprint.manifest.spec.replicas,id", ["d3", "d4", "d5", "d2", "d1"]),
    ("deployments", "project.user.name,-replicas", ["d5", "d4", "d1", "d3", "d2"]),
    ("blueprints", "created,id", ["b3", "b2", "b4", "b1"]),
]


@pytest.mark.parametrize(("collection", "sort", "expected"), SORTS, ids=[f"{c}: {s}" for c, s, _ in SORTS])
async def test_sorts_order_rows_like_pocketbase(
    conn: asyncpg.Connection, collection: str, sort: str, expected: list[str]
) -> None:
    order = compile_sort(parse_sort(sort), SchemaResolver(SCHEMA, collection), alias="r")
    table = SCHEMA.collection(collection).table
    rows = await conn.fetch(f'SELECT r.id FROM "{table}" AS r ORDER BY {order.sql}', *order.params)
    assert [row["id"] for row in rows] == expected


async def test_random_sort_returns_every_row(conn: asyncpg.Connection) -> None:
    order = compile_sort(parse_sort("@random"), SchemaResolver(SCHEMA, "projects"), alias="r")
    rows = await conn.fetch(f"SELECT r.id FROM projects AS r ORDER BY {order.sql}")
    assert sorted(row["id"] for row in rows) == ["p1", "p2", "p3", "p4"]


# --- random filters: SQL and memory must agree ----------------------------------------------------------------

FIELDS: dict[str, list[str]] = {
    "projects": [
        "name",
        "description",
        "tags",
        "tags:length",
        "tags:each",
        "user",
        "user.id",
        "user.name",
        "user.verified",
        "created",
        "score",
        "active",
        "name:lower",
        "id",
    ],
    "deployments": [
        "name",
        "replicas",
        "started",
        "project",
        "project.name",
        "project.tags",
        "project.tags:length",
        "project.score",
        "project.active",
        "project.created",
        "project.user.name",
        "blueprint.users",
        "blueprint.users.name",
        "blueprint.users.id",
        "blueprint.users:length",
        "blueprint.manifest",
        "blueprint.manifest.spec.replicas",
        "blueprint.manifest.spec.image.tag",
        "blueprint.manifest.enabled",
        "blueprint.private",
        "blueprint.created",
        "user",
        "user.verified",
        "user.name:lower",
    ],
    "blueprints": [
        "name",
        "private",
        "owner",
        "owner.name",
        "users",
        "users.name",
        "users.verified",
        "manifest",
        "manifest.spec",
        "manifest.spec.replicas",
        "manifest.spec.interfaces.0.port",
        "created",
        "users:length",
    ],
}
OPERATORS = ["=", "!=", "~", "!~", "<", "<=", ">", ">=", "?=", "?!=", "?~", "?!~", "?<", "?<=", "?>", "?>="]
VALUES = [
    "'Alpha'",
    "'alpha'",
    "'a'",
    "'b'",
    "''",
    "'prod'",
    "'web'",
    "'u1'",
    "'u2'",
    "'p1'",
    "'3'",
    "'1.25'",
    "'2024'",
    "'2024-06-15 12:30:00.500Z'",
    "'%a%'",
    "'_'",
    "'100\\%'",
    "'x\\y'",
    "'É'",
    "'10'",
    "0",
    "1",
    "2",
    "2.5",
    "-1",
    "10",
    "80",
    "true",
    "false",
    "null",
    "@now",
    "@todayStart",
    "@year",
    "@request.auth.id",
    "@request.auth.name",
    "@request.auth.roles",
    "@request.auth.missing",
    "@request.auth.verified",
]


# Quoted text made of the characters LIKE, escaping and case folding care about.
TEXTS = st.lists(
    st.sampled_from(["a", "A", "l", "%", "_", "\\", "\\'", "\\%", " ", "É", "é", "1", "-"]), max_size=5
).map(lambda units: "'" + "".join(units).rstrip("\\") + "'")


def comparisons(collection: str) -> st.SearchStrategy[str]:
    operand = st.one_of(st.sampled_from(FIELDS[collection]), st.sampled_from(VALUES), TEXTS)
    return st.builds(
        lambda left, op, right: f"{left} {op} {right}",
        st.sampled_from(FIELDS[collection]),
        st.sampled_from(OPERATORS),
        operand,
    )


def filters(collection: str) -> st.SearchStrategy[str]:
    return st.recursive(
        comparisons(collection),
        lambda inner: st.builds(
            lambda a, join, b, wrap: f"({a} {join} {b})" if wrap else f"{a} {join} {b}",
            inner,
            st.sampled_from(["&&", "||"]),
            inner,
            st.booleans(),
        ),
        max_leaves=4,
    )


async def test_random_filters_give_the_same_records_in_sql_and_in_memory(tables: Database) -> None:
    # Hypothesis drives a synchronous test, so the queries run on a loop of their own in a worker thread.
    await asyncio.to_thread(_run_random_filters, tables.url)


def _run_random_filters(url: str) -> None:
    loop = asyncio.new_event_loop()
    try:
        conn: asyncpg.Connection = loop.run_until_complete(asyncpg.connect(url))
        try:
            _agree(lambda coroutine: loop.run_until_complete(coroutine), conn)
        finally:
            loop.run_until_complete(conn.close())
    finally:
        loop.close()


def _agree(run: Callable[[Any], Any], conn: asyncpg.Connection) -> None:
    outcomes = {"compared": 0}

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(st.data())
    def check(data: st.DataObject) -> None:
        collection = data.draw(st.sampled_from(sorted(FIELDS)))
        text = data.draw(filters(collection))
        try:
            expected = memory_ids(collection, text)
        except FilterError:
            with pytest.raises(FilterError):
                run(sql_ids(conn, collection, text))
            return
        assert run(sql_ids(conn, collection, text)) == expected, text
        outcomes["compared"] += 1

    check()
    # Most generated filters must be valid, or the test would prove little.
    assert outcomes["compared"] > 100


def private_blueprints_hidden_from(reader: str) -> dict[str, RowGuard]:
    """A view rule for blueprints: the owner, shared users and everyone for public ones."""

    def guard(row: str, param: AddParam) -> str:
        who = param(reader, "text")
        return f"({row}.owner = {who} OR {who} = ANY ({row}.users) OR {row}.private IS NOT TRUE)"

    return {"blueprints": guard}


GUARDED = [
    # u3 may see b1 (shared), b4 (not private); not b2 or b3 (private, not theirs).
    ("deployments", "blueprint.name != ''", ["d1", "d5"]),
    ("deployments", "blueprint.name = 'redis' || blueprint.name = 'pg'", []),
    ("deployments", "blueprint.manifest.spec.image.tag = '7'", []),
    ("deployments", "blueprint.id = 'b2'", ["d2"]),  # the stored id is the deployment's own field: no join
]


@pytest.mark.parametrize(("collection", "text", "expected"), GUARDED, ids=[text for _, text, _ in GUARDED])
async def test_hops_read_only_rows_their_guard_admits(
    conn: asyncpg.Connection, collection: str, text: str, expected: list[str]
) -> None:
    resolver = SchemaResolver(SCHEMA, collection, guards=private_blueprints_hidden_from("u3"))
    fragment = compile_filter(parse_filter(text), resolver, alias="r", context=CONTEXT, param_offset=1, clock=clock)
    rows = await conn.fetch(
        f"SELECT r.id FROM deployments AS r WHERE $1::boolean AND {fragment.sql} ORDER BY r.id", True, *fragment.params
    )
    assert [row["id"] for row in rows] == expected
    joins = "blueprint.id" not in text
    assert ("u3" in fragment.params) is joins  # the reader is a parameter of each join, never SQL text
    assert "u3" not in fragment.sql


async def test_sorting_through_a_guarded_hop_sees_hidden_rows_as_null(conn: asyncpg.Connection) -> None:
    resolver = SchemaResolver(SCHEMA, "deployments", guards=private_blueprints_hidden_from("u3"))
    order = compile_sort(parse_sort("-blueprint.name,id"), resolver, alias="r")
    rows = await conn.fetch(f"SELECT r.id FROM deployments AS r ORDER BY {order.sql}", *order.params)
    # x (d5), nginx (d1), then the hidden redis and pg and the missing one as nulls, by id.
    assert [row["id"] for row in rows] == ["d5", "d1", "d2", "d3", "d4"]
