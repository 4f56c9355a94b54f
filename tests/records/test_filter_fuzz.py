"""Whatever a client puts in ``filter`` and ``sort``, the service answers 200 or 400, never 500, and
never more than the caller's own records."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oneclick_testing.platform import Platform, User
from oneclick_testing.records import create

FIELDS = [
    "id",
    "name",
    "description",
    "tags",
    "user",
    "created",
    "updated",
    "avatar",
    "user.id",
    "user.email",
    "nosuch",
    "name:lower",
    "@request.auth.id",
    "@now",
    "@todayStart",
    "project.name",
]
OPERATORS = ["=", "!=", ">", ">=", "<", "<=", "~", "!~", "?=", "?!=", "?~", "?>"]
VALUES = [
    "'shop'",
    '"x\\" OR 1=1 --"',
    "'a'; DROP TABLE projects; --'",
    "1",
    "-2.5",
    "true",
    "null",
    "''",
    "'%'",
    "'_'",
    "@request.auth.id",
    "'\\u0000'",
    "name",
]

comparison = st.builds(
    lambda f, o, v: f"{f} {o} {v}", st.sampled_from(FIELDS), st.sampled_from(OPERATORS), st.sampled_from(VALUES)
)
expression = st.recursive(
    comparison,
    lambda inner: st.one_of(
        st.builds(lambda a, b: f"{a} && {b}", inner, inner), st.builds(lambda a, b: f"({a} || {b})", inner, inner)
    ),
    max_leaves=6,
)
noise = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)


@pytest.fixture(scope="module")
async def owners(platform: Platform) -> tuple[User, User]:
    alice, bob = await platform.new_user("alice"), await platform.new_user("bob")
    for name in ("shop", "blog"):
        await create(alice, "projects", name=name, tags="prod")
    await create(bob, "projects", name="bobs")
    return alice, bob


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(expression, noise), sort=st.one_of(st.just(""), st.sampled_from(FIELDS), noise))
async def test_filters_never_break_the_service(owners: tuple[User, User], text: str, sort: str) -> None:
    alice, bob = owners
    response = await alice.client.get(
        "/api/collections/projects/records", params={"filter": text, "sort": sort, "perPage": 50}
    )
    assert response.status_code in (200, 400), response.text
    if response.status_code == 200:
        assert all(item["user"] == alice.id for item in response.json()["items"])
    else:
        assert response.json()["status"] == 400
    # And the table is still there, whole.
    assert (await bob.client.get("/api/collections/projects/records")).json()["totalItems"] == 1
