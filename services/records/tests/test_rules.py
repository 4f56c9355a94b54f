"""The checks collections register as their ``validate`` hook, run on a change without a database (a stand-in
connection answers the relation lookups)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from oneclick_core.contracts.auth import Actor
from oneclick_core.errors import ApiError
from oneclick_records import rules
from oneclick_records.collections import rollouts
from oneclick_records.collections.autoupdates import AUTO_UPDATES
from oneclick_records.collections.blueprints import BLUEPRINTS
from oneclick_records.collections.deployments import DEPLOYMENTS
from oneclick_records.collections.projects import PROJECTS
from oneclick_records.collections.rollouts import ROLLOUTS
from oneclick_records.declaring import Change, Collection
from oneclick_records.model import ALL_COLLECTIONS
from oneclick_records.validating import defaults

ALICE = Actor(id="a" * 15, collection="users")
ROOT = Actor(id="r" * 15, collection="_superusers")
P1, P2, D1 = "p" * 15, "q" * 15, "d" * 15
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


class Rows:
    """Answers ``fetch`` with the rows it holds whose id was asked for (the SQL's rule is not evaluated)."""

    def __init__(self, *rows: dict[str, Any]) -> None:
        self.rows = rows
        self.asked: list[str] = []

    async def fetch(self, sql: str, ids: list[str], *params: object) -> list[dict[str, Any]]:
        self.asked.append(sql)
        return [row for row in self.rows if row["id"] in ids]


def _change(
    collection: Collection,
    values: dict[str, Any],
    *,
    actor: Actor = ALICE,
    current: dict[str, Any] | None = None,
    conn: object = None,
) -> Change:
    return Change(conn, collection, actor, values, ALL_COLLECTIONS, current=current)  # type: ignore[arg-type]


def _new(collection: Collection, conn: object = None, actor: Actor = ALICE, **values: Any) -> Change:
    return _change(collection, {**defaults(collection), **values}, actor=actor, conn=conn)


def _codes(change: Change) -> dict[str, str]:
    return {name: error["code"] for name, error in change.errors.items()}


async def test_the_owner_of_a_new_record_is_the_caller() -> None:
    change = _new(PROJECTS)
    await rules.owner(change)
    assert change.values["user"] == ALICE.id
    assert not change.errors
    someone_else = _new(PROJECTS, user=P1)
    await rules.owner(someone_else)
    assert _codes(someone_else) == {"user": "validation_owner_mismatch"}


async def test_superusers_name_the_owner() -> None:
    unnamed = _new(PROJECTS, actor=ROOT)
    await rules.owner(unnamed)
    assert _codes(unnamed) == {"user": "validation_required"}
    named = _new(PROJECTS, actor=ROOT, user=P1)
    await rules.owner(named)
    assert named.values["user"] == P1
    assert not named.errors


async def test_the_owner_never_changes_hands() -> None:
    current = {"id": P1, "user": ALICE.id}
    repeated = _change(PROJECTS, {"user": ALICE.id, "name": "x"}, current=current)
    await rules.owner(repeated)
    assert repeated.values == {"name": "x"}
    assert not repeated.errors
    moved = _change(PROJECTS, {"user": P2}, actor=ROOT, current=current)
    await rules.owner(moved)
    assert _codes(moved) == {"user": "validation_immutable"}
    assert moved.values == {}


async def test_relations_must_be_visible_and_keep_single_targets() -> None:
    deployment = {
        "id": D1,
        "created": EPOCH,
        "updated": EPOCH,
        "name": "",
        "avatar": "",
        "project": P2,
        "blueprint": "",
        "user": ALICE.id,
    }
    conn = Rows(deployment)
    change = _new(ROLLOUTS, conn=conn, project="z" * 15, deployment=D1)
    await rules.relations(change)
    assert _codes(change) == {"project": "validation_missing_rel_records"}
    assert change.related["deployment"]["project"] == P2
    await rules.same_project(change)
    assert "deployment" not in change.errors  # the project is wrong already: one error is enough


async def test_relations_with_errors_or_not_sent_are_not_looked_up() -> None:
    conn = Rows()
    change = _change(ROLLOUTS, {"hide": True}, conn=conn, current={"id": "r" * 15})
    await rules.relations(change)
    failed = _new(DEPLOYMENTS, conn=conn, project=P1)
    failed.errors["project"] = {"code": "validation_required", "message": ""}
    await rules.relations(failed)
    assert conn.asked == []


async def test_a_new_records_deployment_belongs_to_its_project() -> None:
    change = _new(AUTO_UPDATES, project=P1, deployment=D1)
    change.related["deployment"] = {"id": D1, "project": P2}
    await rules.same_project(change)
    assert _codes(change) == {"deployment": "validation_project_mismatch"}
    change = _new(AUTO_UPDATES, project=P2, deployment=D1)
    change.related["deployment"] = {"id": D1, "project": P2}
    await rules.same_project(change)
    assert not change.errors


async def test_a_bad_manifest_is_reported_by_its_fields() -> None:
    change = _new(
        ROLLOUTS,
        manifest={"apiVersion": "one-click.dev/v1alpha1", "kind": "Rollout", "spec": {"image": {"repository": 1}}},
    )
    await rules.manifest(change)
    assert change.errors
    assert all(name.startswith("manifest.") for name in change.errors)
    empty = _new(ROLLOUTS, manifest={})
    await rules.manifest(empty)
    assert not empty.errors  # "required" says it


async def test_a_new_blueprint_naming_users_is_refused_on_its_own() -> None:
    join = BLUEPRINTS.hooks.validate[0]
    change = _new(BLUEPRINTS, users=[P1])
    change.errors["name"] = {"code": "validation_required", "message": ""}
    with pytest.raises(ApiError) as refused:
        await join(change)
    assert refused.value.status == 400
    assert set(refused.value.data or {}) == {"users"}
    superuser = _new(BLUEPRINTS, actor=ROOT, users=[P1])
    await join(superuser)
    assert not superuser.errors


async def test_an_updated_blueprint_only_loses_users() -> None:
    join = BLUEPRINTS.hooks.validate[0]
    current = {"id": "b" * 15, "owner": ALICE.id, "users": [P1, P2]}
    fewer = _change(BLUEPRINTS, {"users": [P2]}, current=current)
    await join(fewer)
    assert not fewer.errors
    more = _change(BLUEPRINTS, {"users": [P2, D1]}, current=current)
    await join(more)
    assert _codes(more) == {"users": "validation_join_by_link"}


async def test_auto_update_schedules_are_ones_the_updater_runs() -> None:
    schedule = AUTO_UPDATES.hooks.validate[1]
    change = _new(AUTO_UPDATES, interval="often", pattern="(", policy="newest")
    await schedule(change)
    assert set(change.errors) == {"interval", "pattern", "policy"}
    fine = _change(AUTO_UPDATES, {"interval": "5m"}, current={"id": "u" * 15})
    await schedule(fine)
    assert not fine.errors


async def test_only_superusers_change_a_projects_limits() -> None:
    limits = PROJECTS.hooks.validate[1]
    change = _new(PROJECTS, limits={"maxReplicas": 50})
    await limits(change)
    assert _codes(change) == {"limits": "validation_superusers_only"}
    sent_back = _change(PROJECTS, {"limits": {"maxReplicas": 50}}, current={"id": P1, "limits": {"maxReplicas": 50}})
    await limits(sent_back)
    assert not sent_back.errors
    assert "limits" not in sent_back.values


async def test_a_new_rollout_has_no_end_date() -> None:
    check = ROLLOUTS.hooks.validate[1]
    change = _new(ROLLOUTS, endDate=EPOCH)
    await check(change)
    assert _codes(change) == {"endDate": "validation_not_allowed"}


@pytest.mark.parametrize(
    ("current_end", "values", "starts"),
    [
        ("", {"hide": True}, False),
        ("", {"manifest": {"changed": True}}, True),
        ("", {"manifest": {"same": True}}, False),
        ("", {"endDate": EPOCH}, False),
        ("2024-01-01 00:00:00.000Z", {"endDate": None}, True),
        ("2024-01-01 00:00:00.000Z", {"manifest": {"changed": True}}, False),
    ],
)
def test_which_updates_make_a_rollout_run_something_new(current_end: str, values: dict[str, Any], starts: bool) -> None:
    current = {"endDate": current_end, "manifest": {"same": True}}
    assert rollouts._starts_running(current, values) is starts
