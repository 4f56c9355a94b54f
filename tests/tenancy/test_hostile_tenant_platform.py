"""The rest of what a hostile tenant tried, aimed at the platform itself rather than the cluster: the updater as a
port scanner, an id oracle in the webhook, bytes the database can't store, and other users' details through
blueprints. Each has a suite of its own (tests/updater, tests/fuzz, tests/records); these are the issue's cases,
as Mallory would run them, against the same platform as test_hostile_tenant.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from oneclick_testing.probes import AcceptRecorder, closed_port, port_probes
from oneclick_testing.records import create, rollout_manifest

from .tenants import Tenants

pytestmark = pytest.mark.e2e
# The updater answers the checks.
SERVICES = ("auth", "records", "k8s-executor", "updater")

UNREACHABLE = "The registry could not be reached."


@pytest.fixture(scope="module")
def listeners() -> Iterator[tuple[AcceptRecorder, AcceptRecorder]]:
    with port_probes() as probes:
        yield probes


async def test_the_updater_is_no_port_scanner(tenants: Tenants,
                                              listeners: tuple[AcceptRecorder, AcceptRecorder]) -> None:
    mallory = tenants.mallory
    http, banner = listeners
    answers = []
    for registry in (http.address, f"127.0.0.1:{closed_port()}", banner.address):
        deployment = await mallory.new_deployment("probe")
        made = await mallory.rollout(rollout_manifest("1.0.0", registry=registry, repository="team/app"),
                                     deployment=deployment)
        assert made.status_code == 200, made.text
        auto = await create(mallory.user, "autoUpdates", project=mallory.project, deployment=deployment,
                            interval="1w", policy="semver")
        check = await mallory.user.client.post(f"/auto-update/{auto['id']}")
        assert check.status_code == 200, check.text
        body = check.json()["check"]
        answers.append((body["outcome"], body["message"]))
        deleted = await mallory.user.client.delete(f"/api/collections/deployments/records/{deployment}")
        assert deleted.status_code == 204
    # An open HTTP port, a closed one and one speaking another protocol read exactly the same, and none was
    # connected to.
    assert answers == [("failed", UNREACHABLE)] * 3
    assert (http.accepted, banner.accepted) == (0, 0)


async def test_the_webhook_is_no_id_oracle(tenants: Tenants) -> None:
    mallory = tenants.mallory
    auto = await create(mallory.user, "autoUpdates", project=mallory.project, deployment=mallory.deployment,
                        interval="1w")
    anonymous = tenants.platform.client
    existing = await anonymous.post(f"/auto-update/{auto['id']}", headers={"X-Webhook-Secret": "ocwh_guess"})
    unknown = await anonymous.post("/auto-update/nosuchid000000", headers={"X-Webhook-Secret": "ocwh_guess"})
    bare_existing = await anonymous.post(f"/auto-update/{auto['id']}")
    bare_unknown = await anonymous.post("/auto-update/nosuchid000000")
    assert (existing.status_code, existing.content) == (unknown.status_code, unknown.content)
    assert (bare_existing.status_code, bare_existing.content) == (bare_unknown.status_code, bare_unknown.content)
    assert existing.status_code == 401


async def test_bytes_the_database_cant_store_are_field_errors(tenants: Tenants) -> None:
    mallory = tenants.mallory
    client = mallory.user.client
    by_id = await client.get(f"/api/collections/projects/records/{mallory.project}%00")
    assert by_id.status_code == 400
    assert set(by_id.json()["data"]) == {"record_id"}, by_id.text
    named = await client.post("/api/collections/projects/records", json={"name": "evil\u0000"})
    assert named.status_code == 400
    assert set(named.json()["data"]) == {"name"}
    manifest = rollout_manifest(env=[{"name": "X", "value": "a\u0000b"}])
    valued = await mallory.rollout(manifest)
    assert valued.status_code == 400
    assert set(valued.json()["data"]) == {"manifest.spec.env.0.value"}
    login = await tenants.platform.client.post("/api/collections/users/auth-with-password",
                                               json={"identity": "mallory\u0000@example.com", "password": "x"})
    assert login.status_code == 400
    assert set(login.json()["data"]) == {"identity"}
    assert await tenants.alice_is_ok()


async def test_blueprints_tell_nobody_about_other_people(tenants: Tenants) -> None:
    alice, mallory = tenants.alice.user, tenants.mallory.user
    # No unsolicited blueprint in Alice's list.
    pushed = await mallory.client.post("/api/collections/blueprints/records", json={
        "name": "gift", "manifest": rollout_manifest(), "private": True, "users": [alice.id]})
    assert pushed.status_code == 400
    assert "users" in pushed.json()["data"]
    # Alice's public blueprint, which a third user already uses.
    public = await create(alice, "blueprints", name="public", manifest=rollout_manifest(), private=False)
    third = await tenants.platform.new_user("third")
    assert (await third.client.post(f"/pb/blueprints/shared/{public['id']}")).status_code == 200
    joined = await mallory.client.post(f"/pb/blueprints/shared/{public['id']}")
    assert joined.status_code == 200, joined.text
    assert joined.json()["users"] == [mallory.id]  # not the other subscribers
    seen = await mallory.client.get(f"/api/collections/blueprints/records/{public['id']}",
                                    params={"expand": "owner,users"})
    assert seen.status_code == 200
    body = seen.json()
    assert body["users"] == [mallory.id]
    expanded = body.get("expand", {})
    assert "owner" not in expanded  # Alice's name and username stay hers
    assert [user["id"] for user in expanded.get("users", [])] == [mallory.id]
    # Alice, the owner, sees who uses it: by id, and only her own details.
    owned = (await alice.client.get(f"/api/collections/blueprints/records/{public['id']}",
                                    params={"expand": "users"})).json()
    assert set(owned["users"]) == {third.id, mallory.id}
    assert owned.get("expand", {}).get("users", []) == []
