"""The in-memory evaluator on its own: what it reads from a record, expand data and the request."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from oneclick_core.search import FilterError, RequestContext, SchemaResolver, parse_filter
from oneclick_core.search.macros import macro_value

from .search_oracle import Matcher, evaluate
from .test_search_support import SCHEMA

DEPLOYMENT = {
    "id": "d1",
    "name": "web",
    "project": "p1",
    "blueprint": "b1",
    "user": "u1",
    "replicas": 3,
    "started": "2024-03-01 08:00:00.000Z",
}
EXPANDED = {
    **DEPLOYMENT,
    "expand": {
        "project": {
            "id": "p1",
            "name": "Alpha",
            "tags": ["web", "prod"],
            "user": "u1",
            "expand": {"user": {"id": "u1", "name": "Alice"}},
        },
        "blueprint": {
            "id": "b1",
            "users": ["u2", "u3"],
            "manifest": {"spec": {"replicas": 2}},
            "expand": {"users": [{"id": "u2", "name": "bob"}, {"id": "u3", "name": "Émile"}]},
        },
    },
}


def matches(
    text: str, record: dict[str, object], collection: str = "deployments", context: RequestContext | None = None
) -> bool:
    return evaluate(parse_filter(text), record, SchemaResolver(SCHEMA, collection), context=context)


@pytest.mark.parametrize(
    "text",
    [
        "project.name = 'Alpha'",
        "project.user.name = 'Alice'",
        "project.tags ?= 'prod'",
        "blueprint.users.name ?= 'Émile'",
        "blueprint.users.name != 'Alice'",
        "blueprint.manifest.spec.replicas < replicas",
    ],
)
def test_relation_paths_read_expand_data(text: str) -> None:
    assert matches(text, EXPANDED)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("project.name = 'Alpha'", False),
        ("project.name = ''", True),  # not expanded: the path reads as null
        ("project.id = 'p1'", True),  # the stored id needs no expand
        ("project = 'p1'", True),
        ("blueprint.users.name ?= 'bob'", False),
    ],
)
def test_without_expand_relation_paths_are_null_but_ids_are_known(text: str, expected: bool) -> None:
    assert matches(text, DEPLOYMENT) is expected


def test_request_auth_fields_come_from_the_context() -> None:
    owner = RequestContext(auth={"id": "u1", "verified": True})
    other = RequestContext(auth={"id": "u2"})
    rule = "@request.auth.id != '' && user = @request.auth.id && @request.auth.verified = true"
    assert matches(rule, DEPLOYMENT, context=owner)
    assert not matches(rule, DEPLOYMENT, context=other)
    assert not matches(rule, DEPLOYMENT, context=RequestContext())


def test_other_request_values_are_readable() -> None:
    context = RequestContext(
        auth={"id": "u1"},
        method="GET",
        context="realtime",
        query={"page": "2"},
        headers={"x_token": "t"},
        body={"name": "web"},
    )
    text = (
        "@request.method = 'GET' && @request.context = 'realtime' && @request.query.page = 2 && "
        "@request.headers.x_token = 't' && name = @request.body.name && @request.body.nope:isset = false"
    )
    assert matches(text, DEPLOYMENT, context=context)


def test_dates_may_be_datetimes_or_pocketbase_text() -> None:
    moment = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
    for started in (moment, "2024-03-01 08:00:00.000Z"):
        assert matches(
            "started = '2024-03-01 08:00:00.000Z' && started > '2024-02'", {**DEPLOYMENT, "started": started}
        )
    assert matches("started = null", {**DEPLOYMENT, "started": ""})


def test_a_matcher_resolves_once_and_reads_the_clock_once() -> None:
    ticks: list[datetime] = []

    def clock() -> datetime:
        ticks.append(datetime(2024, 3, 1, tzinfo=UTC))
        return ticks[-1]

    matcher = Matcher(
        parse_filter("started >= @todayStart && started <= @todayEnd"),
        SchemaResolver(SCHEMA, "deployments"),
        clock=clock,
    )
    assert matcher(DEPLOYMENT)
    assert not matcher({**DEPLOYMENT, "started": "2024-03-02 00:00:00.000Z"})
    assert len(ticks) == 1


def test_errors_surface_when_the_matcher_is_built_not_per_record() -> None:
    with pytest.raises(FilterError, match="unknown field"):
        Matcher(parse_filter("name = 'x' || nope = 1"), SchemaResolver(SCHEMA, "deployments"))


def test_values_of_the_wrong_type_in_a_record_read_as_null() -> None:
    assert matches("replicas = null", {**DEPLOYMENT, "replicas": "many"})
    assert matches("name = '12'", {**DEPLOYMENT, "name": 12})


MOMENT = datetime(2024, 2, 29, 13, 14, 15, 999999, tzinfo=UTC)  # a Thursday in a leap year


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("now", "2024-02-29 13:14:15.999Z"),
        ("yesterday", "2024-02-28 13:14:15.999Z"),
        ("tomorrow", "2024-03-01 13:14:15.999Z"),
        ("todayStart", "2024-02-29 00:00:00.000Z"),
        ("todayEnd", "2024-02-29 23:59:59.999Z"),
        ("monthStart", "2024-02-01 00:00:00.000Z"),
        ("monthEnd", "2024-02-29 23:59:59.999Z"),
        ("yearStart", "2024-01-01 00:00:00.000Z"),
        ("yearEnd", "2024-12-31 23:59:59.999Z"),
        ("second", 15),
        ("minute", 14),
        ("hour", 13),
        ("day", 29),
        ("month", 2),
        ("year", 2024),
        ("weekday", 4),  # Go counts from Sunday = 0
    ],
)
def test_macros_follow_pocketbase(name: str, value: object) -> None:
    assert macro_value(name, MOMENT) == value
