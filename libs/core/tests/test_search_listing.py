"""List parameters (page, perPage, skipTotal), fields projections, excerpts and expand trees."""

from __future__ import annotations

import pytest

from oneclick_core.search import (
    Excerpt,
    FilterError,
    ListQuery,
    list_page,
    parse_expand,
    parse_fields,
    pick_fields,
    resolve_expand,
)

from .test_search_support import SCHEMA


def test_list_parameters_parse_and_normalize_like_pocketbase() -> None:
    query = ListQuery.parse(
        {
            "page": "0",
            "perPage": "5000",
            "filter": "name = 'x'",
            "sort": "-created",
            "expand": "project",
            "fields": "id",
            "skipTotal": "1",
        }
    )
    assert (query.page, query.per_page, query.skip_total) == (1, 1000, True)
    assert query.filter is not None
    assert query.sort[0].descending
    assert query.expand == {"project": {}}
    assert query.fields == {"id": None}
    assert ListQuery.parse({}) == ListQuery()
    assert ListQuery.parse({"page": "3", "perPage": "-1"}).offset == 60


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"page": "x"}, "page"),
        ({"page": "1.5"}, "page"),
        ({"perPage": " 3"}, "perPage"),
        ({"page": "9" * 30}, "page"),
        ({"skipTotal": "yes"}, "skipTotal"),
        ({"filter": "name = "}, "filter"),
        ({"sort": "nope;"}, "sort"),
        ({"fields": "name:shout(1)"}, "fields"),
    ],
)
def test_bad_list_parameters_are_400s_naming_the_parameter(params: dict[str, str], param: str) -> None:
    with pytest.raises(FilterError) as caught:
        ListQuery.parse(params)
    assert caught.value.status == 400
    assert set(caught.value.data) == {param}


def test_list_pages_have_pocketbase_shape() -> None:
    query = ListQuery.parse({"page": "2", "perPage": "2"})
    assert list_page(["c"], query, total=3) == {
        "page": 2,
        "perPage": 2,
        "totalItems": 3,
        "totalPages": 2,
        "items": ["c"],
    }
    assert list_page([], query, total=None)["totalItems"] == -1


RECORD = {
    "id": "d1",
    "name": "web",
    "description": "<p>Hello <b>big</b>   world</p><script>x()</script><div>again</div>",
    "expand": {
        "project": {"id": "p1", "name": "Alpha", "user": "u1"},
        "users": [{"id": "u1", "name": "a"}, {"id": "u2", "name": "b"}],
    },
}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ("id,name", {"id": "d1", "name": "web"}),
        ("id, expand.project.name", {"id": "d1", "expand": {"project": {"name": "Alpha"}}}),
        ("expand.users.name", {"expand": {"users": [{"name": "a"}, {"name": "b"}]}}),
        ("*", RECORD),
        (
            "*,expand.project.id",
            {**{k: v for k, v in RECORD.items() if k != "expand"}, "expand": {"project": {"id": "p1"}}},
        ),
        ("expand.project.*", {"expand": {"project": RECORD["expand"]["project"]}}),  # type: ignore[index]
        ("expand,expand.project.id", {"expand": RECORD["expand"]}),
        ("nope", {}),
        ("description:excerpt(10,true)", {"description": "Hello big..."}),
        ("description:excerpt(11,true)", {"description": "Hello big w..."}),
        ("description:excerpt(100)", {"description": "Hello big world again"}),
    ],
)
def test_fields_pick_keys_like_pocketbase(fields: str, expected: object) -> None:
    assert pick_fields(RECORD, parse_fields(fields)) == expected


def test_picking_works_on_lists_and_never_mutates() -> None:
    items = [RECORD, {"id": "d2", "name": "db"}]
    assert pick_fields(items, parse_fields("id")) == [{"id": "d1"}, {"id": "d2"}]
    assert "expand" in RECORD
    assert pick_fields(items, parse_fields("")) is items


def test_field_modifiers_parse() -> None:
    assert parse_fields("a:excerpt(5, TRUE), b") == {"a": Excerpt(5, True), "b": None}
    assert Excerpt(3).apply(42) == 42
    for bad in ("a:excerpt()", "a:excerpt(0)", "a:excerpt(x)", "a:excerpt(1,2,3)", "a:lower"):
        with pytest.raises(FilterError):
            parse_fields(bad)


def test_expand_trees_nest_and_stop_at_six_levels() -> None:
    assert parse_expand("project, deployment.project,deployment.blueprint,,") == {
        "project": {},
        "deployment": {"project": {}, "blueprint": {}},
    }
    deep = parse_expand(".".join(f"r{n}" for n in range(9)))
    depth = 0
    while deep:
        (deep,) = deep.values()
        depth += 1
    assert depth == 6


def test_expand_trees_resolve_to_relations_the_schema_knows() -> None:
    nodes = resolve_expand(SCHEMA, "deployments", parse_expand("project.user,blueprint.users,name,nope,user"))
    assert [(node.field.name, node.target.name, [child.field.name for child in node.children]) for node in nodes] == [
        ("project", "projects", ["user"]),
        ("blueprint", "blueprints", ["users"]),
        ("user", "users", []),
    ]
