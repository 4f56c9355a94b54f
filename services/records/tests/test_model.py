"""The declarations and the hooks registered on them: what each collection checks, in which order, what a
delete takes with it, and how its records are read and heard of."""

from __future__ import annotations

import pytest

from oneclick_core.contracts.auth import Actor
from oneclick_core.contracts.records import COLLECTION_IDS, seen_by
from oneclick_records import rules
from oneclick_records.collections.autoupdates import AUTO_UPDATES
from oneclick_records.collections.blueprints import BLUEPRINTS
from oneclick_records.collections.deployments import DEPLOYMENTS
from oneclick_records.collections.projects import PROJECTS
from oneclick_records.collections.rollouts import ROLLOUTS
from oneclick_records.collections.users import USERS
from oneclick_records.declaring import Collection, Kind
from oneclick_records.model import ALL_COLLECTIONS, COLLECTIONS, search_schema
from oneclick_records.publishing import change_of

OWNER, OTHER = "o" * 15, "x" * 15


def test_the_collections_and_their_pocketbase_ids() -> None:
    assert list(COLLECTIONS) == ["projects", "blueprints", "deployments", "rollouts", "autoUpdates"]
    assert list(ALL_COLLECTIONS) == [*COLLECTIONS, "users"]
    for collection in COLLECTIONS.values():
        assert collection.id == COLLECTION_IDS[collection.name]


def test_relations_point_at_declared_collections() -> None:
    for collection in ALL_COLLECTIONS.values():
        for spec in collection.relations:
            assert spec.target in ALL_COLLECTIONS
        assert collection.owner_field == "id" or collection.by_name[collection.owner_field].owner


@pytest.mark.parametrize("collection", list(COLLECTIONS.values()), ids=list(COLLECTIONS))
def test_every_writable_collection_checks_its_owner_and_relations(collection: Collection) -> None:
    """A collection's checks are its own list: none may lose the ones that keep records apart."""
    checks = collection.hooks.validate
    assert {rules.owner, rules.owner_exists, rules.relations} <= set(checks)
    assert checks.index(rules.owner) < checks.index(rules.owner_exists) < checks.index(rules.relations)


def test_checks_needing_related_records_run_after_the_relations() -> None:
    for collection in (ROLLOUTS, AUTO_UPDATES):
        checks = collection.hooks.validate
        assert checks.index(rules.relations) < checks.index(rules.same_project)
    assert ROLLOUTS.hooks.validate[-1].__name__ == "_within_tenancy"  # only an otherwise valid rollout claims hosts


def test_manifests_are_checked_where_there_are_manifests() -> None:
    for collection in COLLECTIONS.values():
        assert (rules.manifest in collection.hooks.validate) == (collection.field("manifest") is not None)


def test_a_new_blueprint_is_refused_for_its_users_before_anything_else() -> None:
    assert BLUEPRINTS.hooks.validate[0].__name__ == "_users_join_by_link"


def test_the_rollout_lifecycle_and_host_claims_are_rollouts_and_deployments_hooks() -> None:
    assert ROLLOUTS.hooks.before_write is not None
    assert ROLLOUTS.hooks.after_write is ROLLOUTS.hooks.after_delete is DEPLOYMENTS.hooks.after_delete
    others = (PROJECTS, BLUEPRINTS, AUTO_UPDATES)
    assert all(c.hooks.before_write is c.hooks.after_write is c.hooks.after_delete is None for c in others)


def test_cascades_delete_children_before_their_parents() -> None:
    assert [(c.collection, c.field) for c in PROJECTS.hooks.cascade] == [
        (ROLLOUTS, "project"),
        (AUTO_UPDATES, "project"),
        (DEPLOYMENTS, "project"),
    ]
    assert [(c.collection, c.field) for c in DEPLOYMENTS.hooks.cascade] == [
        (ROLLOUTS, "deployment"),
        (AUTO_UPDATES, "deployment"),
    ]
    for collection in COLLECTIONS.values():
        for cascade in collection.hooks.cascade:
            assert cascade.collection.field(cascade.field) is not None


def test_links_to_the_project_and_deployment_never_change() -> None:
    immutable = {(c.name, f.name) for c in COLLECTIONS.values() for f in c.fields if f.immutable}
    assert immutable == {
        ("deployments", "project"),
        ("rollouts", "project"),
        ("rollouts", "deployment"),
        ("autoUpdates", "project"),
        ("autoUpdates", "deployment"),
    }


def test_blueprints_read_as_the_shared_seen_by_contract_says() -> None:
    """``own_id_only`` (lists, filters) and the ``seen_by`` hook (answers) are one rule; the edge applies
    ``seen_by`` to events, so the hook must be that contract."""
    record = {"id": "b" * 15, "owner": OWNER, "users": [OTHER, "y" * 15], "private": True}
    for actor in (
        Actor(id=OWNER, collection="users"),
        Actor(id=OTHER, collection="users"),
        Actor(id="z" * 15, collection="users"),
        Actor(id="r" * 15, collection="_superusers"),
    ):
        assert BLUEPRINTS.seen_by(record, actor) == seen_by("blueprints", record, actor)
    for collection in ALL_COLLECTIONS.values():
        private = [f for f in collection.fields if f.own_id_only]
        assert all(f.kind is Kind.RELATION and f.multiple for f in private)
        assert bool(private) == (collection is BLUEPRINTS)


def test_other_users_email_is_hidden_unless_made_visible() -> None:
    user = {"id": OTHER, "email": "x@example.com", "emailVisibility": False}
    me = Actor(id=OWNER, collection="users")
    assert USERS.seen_by(user, me)["email"] == ""
    assert USERS.seen_by({**user, "emailVisibility": True}, me)["email"] == "x@example.com"
    assert USERS.seen_by(user, Actor(id=OTHER, collection="users")) == user
    assert USERS.seen_by(user, Actor(id="r" * 15, collection="_superusers")) == user
    assert PROJECTS.seen_by(user, me) is user


def test_only_superusers_filter_on_users_details() -> None:
    schema = search_schema()
    users = schema.collection("users")
    assert all(spec.hidden for spec in users.fields.values() if spec.name != "id")
    assert not any(spec.hidden for spec in schema.collection("projects").fields.values())


def test_events_name_the_project_deployment_and_audience() -> None:
    project = {"id": "p" * 15, "user": OWNER}
    deployment = {"id": "d" * 15, "project": "p" * 15, "user": OWNER}
    rollout = {
        "id": "r" * 15,
        "project": "p" * 15,
        "deployment": "d" * 15,
        "user": OWNER,
        "manifest": {"spec": {"secrets": [{"name": "s", "value": "hidden"}]}},
    }
    blueprint = {"id": "b" * 15, "owner": OWNER, "users": [OTHER], "private": False}
    scopes = [
        (c.project, c.deployment)
        for c in (
            change_of(PROJECTS, "create", project),
            change_of(DEPLOYMENTS, "create", deployment),
            change_of(ROLLOUTS, "create", rollout),
            change_of(BLUEPRINTS, "create", blueprint),
        )
    ]
    assert scopes == [("p" * 15, None), ("p" * 15, "d" * 15), ("p" * 15, "d" * 15), (None, None)]
    audience = change_of(BLUEPRINTS, "update", blueprint, ["users"]).audience
    assert (audience.owner, audience.users, audience.public) == (OWNER, [OTHER], True)
    assert change_of(ROLLOUTS, "create", rollout).audience.model_dump() == {
        "owner": OWNER,
        "users": [],
        "public": False,
    }
    assert change_of(ROLLOUTS, "create", rollout).record["manifest"] != rollout["manifest"]  # secrets redacted
