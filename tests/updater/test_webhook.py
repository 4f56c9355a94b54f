"""``POST /auto-update/:id`` runs a check now: for the owner's token or the autoUpdate's webhook secret only.

The scheduler's tick is set to once a year here, so every check in this module is one a request ran.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest

from oneclick_core.bus.publishing import publish_event
from oneclick_core.contracts.updater import TAG_FOUND, TagFound
from oneclick_testing.infrastructure import Database
from oneclick_testing.platform import Platform, User, running_platform
from oneclick_testing.probes import AcceptRecorder, Redirector
from oneclick_testing.records import create, rollouts_of
from oneclick_testing.waiting import eventually
from oneclick_updater.registry import REGISTRY_UNREACHABLE

from .helpers import (
    FAST_UPDATER,
    LOCAL_REGISTRIES,
    UpdaterTables,
    auto_update,
    manifest,
    project,
    running,
    running_deployment,
    tag_of,
)
from .registry import Registry

YEARLY = "0 0 1 1 *"
UNKNOWN_ID = "nosuchautoupd8x"  # 15 characters of [a-z0-9], like a real id
WRONG_SECRET = {"status": 401, "message": "The webhook secret is not valid for this auto update.", "data": {}}


@pytest.fixture(scope="module")
async def platform(
    nats_url: str, module_database: Database, module_log_dir: Path, registry: Registry
) -> AsyncIterator[Platform]:
    async with running_platform(
        nats_url=nats_url,
        database=module_database,
        log_dir=module_log_dir,
        names=["auth", "records", "updater"],
        env={"updater": {**FAST_UPDATER, **LOCAL_REGISTRIES, "CRON_TICK": YEARLY}},
    ) as started:
        yield started


async def watched(
    user: User,
    registry: Registry,
    repository: str,
    tags: tuple[str, ...] = ("1.0.0", "1.1.0"),
    username: str = "",
    password: str = "",
) -> tuple[dict[str, object], dict[str, object]]:
    """A deployment running the first tag, with a semver autoUpdate; the registry has all ``tags``."""
    await registry.push(repository, *tags)
    deployment, _ = await running_deployment(
        user, await project(user), manifest(registry.host, repository, tags[0], username=username, password=password)
    )
    return deployment, await auto_update(user, deployment, interval="1w", policy="semver")


def without_tag(value: dict[str, Any]) -> dict[str, Any]:
    """A rollout manifest with its image tag taken out, everything else as it is."""
    copied = copy.deepcopy(value)
    del copied["spec"]["image"]["tag"]
    return copied


async def test_the_owner_runs_the_check_with_their_token(platform: Platform, registry: Registry) -> None:
    alice = await platform.new_user("alice")
    # Image credentials too (the anonymous registry ignores them): the new rollout must carry them over.
    deployment, auto = await watched(alice, registry, "hooks/owner", username="ci-bot", password="pull-secret-1")

    response = await alice.client.post(f"/auto-update/{auto['id']}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == auto["id"]  # the autoUpdate record, as One-Click answered
    assert body["collectionName"] == "autoUpdates"
    assert body["check"]["outcome"] == "tag_found"
    assert (body["check"]["currentTag"], body["check"]["tag"], body["check"]["trigger"]) == (
        "1.0.0",
        "1.1.0",
        "webhook",
    )

    async def replaced() -> bool:
        return [tag_of(r) for r in running(await rollouts_of(alice, deployment))] == ["1.1.0"]

    await eventually(replaced, message="the new rollout")
    rollouts = await rollouts_of(alice, deployment)
    assert [tag_of(r) for r in rollouts] == ["1.0.0", "1.1.0"]
    assert rollouts[0]["endDate"]
    assert rollouts[1]["user"] == alice.id
    # Nothing but the tag changed: the rest of the image (registry, repository, credentials) included.
    assert rollouts[0]["manifest"]["spec"]["image"] == {
        "registry": registry.host,
        "repository": "hooks/owner",
        "tag": "1.0.0",
        "username": "ci-bot",
        "password": "pull-secret-1",
    }
    assert without_tag(rollouts[1]["manifest"]) == without_tag(rollouts[0]["manifest"])

    again = await alice.client.post(f"/pb/auto-update/{auto['id']}")  # One-Click's path
    assert again.status_code == 200, again.text
    assert again.json()["check"]["outcome"] == "unchanged"
    assert len(await rollouts_of(alice, deployment)) == 2


async def test_the_webhook_secret_is_shown_once_and_authorizes_only_its_autoupdate(
    platform: Platform, registry: Registry, module_log_dir: Path
) -> None:
    alice = await platform.new_user("alice")
    deployment, auto = await watched(alice, registry, "hooks/secret")
    _, other = await watched(alice, registry, "hooks/other")

    shown = await alice.client.get(f"/auto-update/{auto['id']}/webhook-secret")
    assert shown.status_code == 200, shown.text
    assert shown.headers["cache-control"] == "no-store"
    secret = shown.json()["secret"]
    assert secret.startswith("ocwh_")
    assert len(secret) > 40
    later = await alice.client.get(f"/auto-update/{auto['id']}/webhook-secret")
    assert later.status_code == 200
    assert later.json()["secret"] is None  # shown once

    ci = platform.client
    by_header = await ci.post(f"/auto-update/{auto['id']}", headers={"X-Webhook-Secret": secret})
    assert by_header.status_code == 200, by_header.text
    assert by_header.json()["check"]["outcome"] == "tag_found"
    by_bearer = await ci.post(f"/auto-update/{auto['id']}", headers={"Authorization": f"Bearer {secret}"})
    assert by_bearer.status_code == 200, by_bearer.text

    wrong = await ci.post(f"/auto-update/{auto['id']}", headers={"X-Webhook-Secret": secret[:-1] + "x"})
    assert wrong.status_code == 401
    assert wrong.json() == WRONG_SECRET
    elsewhere = await ci.post(f"/auto-update/{other['id']}", headers={"X-Webhook-Secret": secret})
    assert elsewhere.status_code == 401
    unknown = await ci.post(f"/auto-update/{UNKNOWN_ID}", headers={"X-Webhook-Secret": secret})
    assert (unknown.status_code, unknown.json()) == (401, WRONG_SECRET)  # no id oracle
    anonymous = await ci.post(f"/auto-update/{auto['id']}")
    assert anonymous.status_code == 401
    assert anonymous.json()["status"] == 401

    async def replaced() -> bool:
        return [tag_of(r) for r in running(await rollouts_of(alice, deployment))] == ["1.1.0"]

    await eventually(replaced, message="the new rollout")
    assert len(await rollouts_of(alice, deployment)) == 2  # three checks, one new rollout

    # Rotation: the new secret is shown once, in the answer; the old one stops working at once.
    rotated = await alice.client.post(f"/auto-update/{auto['id']}/webhook-secret")
    assert rotated.status_code == 200, rotated.text
    fresh = rotated.json()["secret"]
    assert fresh.startswith("ocwh_")
    assert fresh != secret
    assert (await ci.post(f"/auto-update/{auto['id']}", headers={"X-Webhook-Secret": secret})).status_code == 401
    assert (await ci.post(f"/auto-update/{auto['id']}", headers={"X-Webhook-Secret": fresh})).status_code == 200
    assert (await alice.client.get(f"/auto-update/{auto['id']}/webhook-secret")).json()["secret"] is None

    # Secrets never reach a log line.
    for name in ("updater", "edge", "records"):
        text = (module_log_dir / f"{name}.log").read_text()
        assert secret not in text
        assert fresh not in text


async def test_another_user_gets_404_and_no_secret(
    platform: Platform, registry: Registry, tables: UpdaterTables
) -> None:
    alice, mallory = await platform.new_user("alice"), await platform.new_user("mallory")
    _, auto = await watched(alice, registry, "hooks/isolated")
    before = len(await tables.checks(auto["id"]))

    triggered = await mallory.client.post(f"/auto-update/{auto['id']}")
    assert triggered.status_code == 404
    assert triggered.json() == {"status": 404, "message": "The requested resource wasn't found.", "data": {}}
    assert (await mallory.client.get(f"/auto-update/{auto['id']}/webhook-secret")).status_code == 404
    assert (await mallory.client.post(f"/auto-update/{auto['id']}/webhook-secret")).status_code == 404
    assert (await mallory.client.post("/auto-update/nosuchautoupd8")).status_code == 404
    assert len(await tables.checks(auto["id"])) == before  # nothing ran
    # The secret is still unshown: mallory's attempts did not consume it.
    assert (await alice.client.get(f"/auto-update/{auto['id']}/webhook-secret")).json()["secret"] is not None


async def test_a_superuser_may_trigger_any_autoupdate(platform: Platform, registry: Registry) -> None:
    alice, root = await platform.new_user("alice"), await platform.superuser()
    _, auto = await watched(alice, registry, "hooks/admin")
    response = await root.client.post(f"/auto-update/{auto['id']}")
    assert response.status_code == 200, response.text
    assert response.json()["check"]["tag"] == "1.1.0"


async def test_a_deleted_autoupdate_cannot_be_triggered(platform: Platform, registry: Registry) -> None:
    alice = await platform.new_user("alice")
    _, auto = await watched(alice, registry, "hooks/deleted")
    secret = (await alice.client.get(f"/auto-update/{auto['id']}/webhook-secret")).json()["secret"]
    assert (await alice.client.delete(f"/api/collections/autoUpdates/records/{auto['id']}")).status_code == 204
    assert (await alice.client.post(f"/auto-update/{auto['id']}")).status_code == 404

    async def forgotten() -> bool:
        # Its secret stops working, and the answer is the one for an id that never existed.
        answer = await platform.client.post(f"/auto-update/{auto['id']}", headers={"X-Webhook-Secret": secret})
        return (answer.status_code, answer.json()) == (401, WRONG_SECRET)

    await eventually(forgotten, message="the updater forgetting the deleted autoUpdate")


async def test_a_failing_registry_is_reported_not_hidden(
    platform: Platform, registry: Registry, module_log_dir: Path
) -> None:
    alice = await platform.new_user("alice")
    deployment, _ = await running_deployment(
        alice, await project(alice), manifest(registry.host, "hooks/never-pushed", "1.0.0")
    )
    auto = await auto_update(alice, deployment, interval="1w")
    response = await alice.client.post(f"/auto-update/{auto['id']}")
    assert response.status_code == 200, response.text
    check = response.json()["check"]
    assert check["outcome"] == "failed"
    assert check["message"] == REGISTRY_UNREACHABLE  # what failed is for the service log only
    assert len(await rollouts_of(alice, deployment)) == 1
    log = (module_log_dir / "updater.log").read_text()
    assert "registry.listing_failed" in log
    assert "hooks/never-pushed does not exist in the registry" in log


async def test_invalid_settings_are_refused_when_saved(platform: Platform, registry: Registry) -> None:
    alice = await platform.new_user("alice")
    deployment, _ = await running_deployment(alice, await project(alice), manifest(registry.host, "x/y", "1.0.0"))
    response = await alice.client.post(
        "/api/collections/autoUpdates/records",
        json={
            "project": deployment["project"],
            "deployment": deployment["id"],
            "interval": "0m",
            "pattern": "^(?=1)",
            "policy": "semver:^^1",
        },
    )
    assert response.status_code == 400
    data = response.json()["data"]
    assert set(data) == {"interval", "pattern", "policy"}
    assert data["pattern"]["code"] == "validation_invalid_pattern"  # RE2 (Go's syntax) has no lookahead
    assert data["policy"]["code"] == "validation_invalid_policy"


async def test_checks_and_registry_calls_are_counted(platform: Platform, registry: Registry) -> None:
    alice = await platform.new_user("alice")
    _, auto = await watched(alice, registry, "hooks/metrics")
    assert (await alice.client.post(f"/auto-update/{auto['id']}")).status_code == 200
    broken, _ = await running_deployment(alice, await project(alice), manifest(registry.host, "hooks/nope", "1.0"))
    failing = await auto_update(alice, broken, interval="1w")
    assert (await alice.client.post(f"/auto-update/{failing['id']}")).json()["check"]["outcome"] == "failed"
    updater = next(p for p in platform.services.processes if p.name == "updater")
    async with httpx.AsyncClient() as http:
        metrics = (await http.get(f"{updater.admin_url}/metrics")).text
    assert 'oneclick_updater_checks_total{outcome="tag_found",trigger="webhook"}' in metrics
    assert f'oneclick_updater_registry_calls_total{{host="{registry.host}",outcome="200"}}' in metrics
    assert 'oneclick_updater_tag_listings_total{source="fetched"}' in metrics
    assert f'oneclick_updater_last_success_timestamp_seconds{{auto_update="{auto["id"]}"}}' in metrics
    assert 'oneclick_updater_check_failures_total{reason="registry"}' in metrics


async def test_records_replaces_only_the_rollout_the_check_looked_at(
    platform: Platform, registry: Registry, nats_url: str, module_log_dir: Path
) -> None:
    """records' side of autoupdate.tag_found, fed directly: stale or repeated findings change nothing."""
    alice = await platform.new_user("alice")
    deployment, first = await running_deployment(
        alice, await project(alice), manifest(registry.host, "hooks/direct", "1.0.0")
    )
    auto = await auto_update(alice, deployment, interval="1w")
    second = await create(
        alice,
        "rollouts",
        project=deployment["project"],
        deployment=deployment["id"],
        manifest=manifest(registry.host, "hooks/direct", "1.0.5"),
    )  # the user moved on

    def finding(rollout: dict[str, object], previous: str, tag: str) -> TagFound:
        return TagFound(
            autoUpdate=auto["id"],
            project=deployment["project"],
            deployment=deployment["id"],
            rollout=str(rollout["id"]),
            registry=registry.host,
            repository="hooks/direct",
            previousTag=previous,
            tag=tag,
            trigger="schedule",
            checkedAt="2026-01-01 00:00:00.000Z",
        )

    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await publish_event(js, TAG_FOUND, finding(first, "1.0.0", "1.1.0"), source="test")  # stale: not running
        await publish_event(js, TAG_FOUND, finding(second, "1.0.4", "1.1.0"), source="test")  # stale: other tag
        await publish_event(js, TAG_FOUND, finding(second, "1.0.5", "1.2.0"), source="test")  # current
        await publish_event(js, TAG_FOUND, finding(second, "1.0.5", "1.3.0"), source="test")  # repeated, now stale
    finally:
        await nc.close()

    async def replaced() -> bool:
        return [tag_of(r) for r in running(await rollouts_of(alice, deployment))] == ["1.2.0"]

    await eventually(replaced, message="the current finding applied")

    def stale_ones_handled() -> bool:
        lines = (module_log_dir / "records.log").read_text().splitlines()
        return sum(1 for line in lines if "autoupdate.tag_found_stale" in line and auto["id"] in line) == 3

    await eventually(stale_ones_handled, message="records handling the three stale findings")
    rollouts = await rollouts_of(alice, deployment)
    assert [tag_of(r) for r in rollouts] == ["1.0.0", "1.0.5", "1.2.0"]
    assert rollouts[2]["manifest"]["spec"]["secrets"] == second["manifest"]["spec"]["secrets"]


async def test_an_unknown_id_and_a_wrong_secret_get_the_same_answer(
    platform: Platform, registry: Registry, tables: UpdaterTables
) -> None:
    """The anonymous webhook is no id oracle: status, headers and body are the same, byte for byte."""
    alice = await platform.new_user("alice")
    _, auto = await watched(alice, registry, "hooks/oracle")
    secret = (await alice.client.get(f"/auto-update/{auto['id']}/webhook-secret")).json()["secret"]
    guess = "ocwh_" + "A" * 43
    ci = platform.client

    def shown(response: httpx.Response) -> tuple[int, bytes, tuple[tuple[str, str], ...]]:
        headers = tuple(sorted((k, v) for k, v in response.headers.items() if k not in ("date", "x-request-id")))
        return response.status_code, response.content, headers

    answers = set()
    for prefix in ("", "/pb"):
        for target in (auto["id"], UNKNOWN_ID):
            answers.add(shown(await ci.post(f"{prefix}/auto-update/{target}", headers={"X-Webhook-Secret": guess})))
            answers.add(
                shown(await ci.post(f"{prefix}/auto-update/{target}", headers={"Authorization": f"Bearer {guess}"}))
            )
    assert len(answers) == 1
    status, body, _ = answers.pop()
    assert (status, body) == (401, json.dumps(WRONG_SECRET, separators=(",", ":")).encode())
    assert await tables.checks(auto["id"]) == []  # no guess ran a check
    right = await ci.post(f"/auto-update/{auto['id']}", headers={"X-Webhook-Secret": secret})
    assert right.status_code == 200, right.text


async def test_a_redirect_to_a_refused_address_is_not_followed(
    platform: Platform, registry: Registry, tables: UpdaterTables
) -> None:
    """The updater may reach 127.0.0.1 here, and nothing else: a registry there that redirects the tag list to
    127.0.0.2 (where a socket counts connections) gets the same answer as any failure, and no connection."""
    elsewhere = AcceptRecorder("http", host="127.0.0.2").start()
    front = Redirector(f"http://{elsewhere.address}").start()
    try:
        alice = await platform.new_user("alice")
        deployment, _ = await running_deployment(
            alice, await project(alice), manifest(front.host, "hooks/redirected", "1.0.0")
        )
        auto = await auto_update(alice, deployment, interval="1w")
        response = await alice.client.post(f"/auto-update/{auto['id']}")
        assert response.status_code == 200, response.text
        check = response.json()["check"]
        assert (check["outcome"], check["message"]) == ("failed", REGISTRY_UNREACHABLE)
        assert front.requests >= 1
        assert elsewhere.accepted == 0
        # Straight at 127.0.0.2: the same.
        direct, _ = await running_deployment(
            alice, await project(alice, "direct"), manifest(elsewhere.address, "hooks/direct", "1.0.0")
        )
        straight = await auto_update(alice, direct, interval="1w")
        answer = (await alice.client.post(f"/auto-update/{straight['id']}")).json()["check"]
        assert (answer["outcome"], answer["message"]) == ("failed", REGISTRY_UNREACHABLE)
        assert elsewhere.accepted == 0
        assert [row["error"] for row in await tables.checks(auto["id"])] == [REGISTRY_UNREACHABLE]
    finally:
        front.stop()
        elsewhere.stop()


async def test_a_redirect_inside_the_allowed_network_is_followed(platform: Platform, registry: Registry) -> None:
    """The allowed network works end to end, redirects included (as before the policy)."""
    front = Redirector(registry.url).start()
    try:
        await registry.push("hooks/moved", "1.0.0", "1.1.0")
        alice = await platform.new_user("alice")
        deployment, _ = await running_deployment(
            alice, await project(alice), manifest(front.host, "hooks/moved", "1.0.0")
        )
        auto = await auto_update(alice, deployment, interval="1w")
        response = await alice.client.post(f"/auto-update/{auto['id']}")
        assert response.status_code == 200, response.text
        assert (response.json()["check"]["outcome"], response.json()["check"]["tag"]) == ("tag_found", "1.1.0")
        assert front.requests >= 1
    finally:
        front.stop()
