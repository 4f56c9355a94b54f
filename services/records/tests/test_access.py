"""Access rules as SQL text, checked without a database: who the placeholders name, what a list reads, and
which guard a path through a relation gets."""

from __future__ import annotations

from oneclick_core.contracts.auth import Actor
from oneclick_core.search.nodes import Identifier
from oneclick_core.search.parsing import parse_filter
from oneclick_core.search.resolving import SchemaResolver
from oneclick_core.search.sql import compile_filter
from oneclick_records.access import OwnIdOnly, Params, can_view, can_write, readable_table, relation_guards
from oneclick_records.collections.blueprints import BLUEPRINTS
from oneclick_records.collections.projects import PROJECTS
from oneclick_records.model import ALL_COLLECTIONS, search_schema

ALICE = Actor(id="a" * 15, collection="users")
ROOT = Actor(id="r" * 15, collection="_superusers")


def test_rules_take_the_actor_as_the_next_parameter() -> None:
    params = Params("record-id")
    assert can_view(PROJECTS, ALICE, params) == 't."user" = $2'
    assert can_write(BLUEPRINTS, ALICE, params) == "t.owner = $3"
    assert params.values == ["record-id", ALICE.id, ALICE.id]


def test_superusers_pass_every_rule_without_a_parameter() -> None:
    params = Params()
    assert (can_view(BLUEPRINTS, ROOT, params), can_write(PROJECTS, ROOT, params)) == ("TRUE", "TRUE")
    assert params.values == []
    assert relation_guards(ROOT, ALL_COLLECTIONS) == {}


def test_a_list_of_blueprints_reads_only_the_actors_own_id_in_users() -> None:
    params = Params()
    source = readable_table(BLUEPRINTS, ALICE, params)
    assert params.values == [ALICE.id]
    assert source.startswith('(SELECT b."id", b."created", b."updated", b."name"')
    assert (
        'CASE WHEN b."owner" = $1 THEN b."users" WHEN $1 = ANY (b."users") THEN ARRAY[$1]::text[] '
        "ELSE '{}'::text[] END AS \"users\""
    ) in source
    assert source.endswith("FROM blueprints b)")


def test_other_lists_and_superusers_read_the_table() -> None:
    params = Params()
    assert readable_table(PROJECTS, ALICE, params) == "projects"
    assert readable_table(BLUEPRINTS, ROOT, params) == "blueprints"
    assert params.values == []


def _sql(collection: str, text: str, actor: Actor) -> str:
    resolver = OwnIdOnly(
        SchemaResolver(search_schema(), collection, guards=relation_guards(actor, ALL_COLLECTIONS)),
        ALL_COLLECTIONS.values(),
        actor.id,
    )
    return compile_filter(parse_filter(text), resolver, alias="t").sql


def test_a_path_through_a_relation_obeys_the_targets_view_rule() -> None:
    sql = _sql("deployments", "blueprint.name = 'x'", ALICE)
    assert "OR NOT" in sql
    assert ".private" in sql


def test_reading_own_id_only_fields_through_a_relation_needs_ownership() -> None:
    assert '"owner" = $' in _sql("deployments", f"blueprint.users ?= '{ALICE.id}'", ALICE)
    assert '"owner" = $' not in _sql("deployments", "blueprint.name = 'x'", ALICE)


def test_own_id_only_leaves_other_paths_alone() -> None:
    inner = SchemaResolver(search_schema(), "deployments")
    wrapped = OwnIdOnly(inner, ALL_COLLECTIONS.values(), ALICE.id)
    for path in (("name",), ("project", "name"), ("blueprint", "name")):
        assert wrapped.resolve(Identifier(path)) == inner.resolve(Identifier(path))
