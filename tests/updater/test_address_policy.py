"""The updater is no port scanner: with the default registry address policy, a check against the platform's own
network never connects, and reads exactly like any other failure.

The updater here runs with no allowed networks (the production default). Sockets that count what they accept
stand on the ports a tenant would probe: one answering HTTP, one speaking another protocol; a closed port
next to them. A check against any of them, against ``localhost``, the cloud metadata address, a private address
or a cluster service name gives the same answer, the same stored state, and no connection.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from oneclick_testing.infrastructure import Database
from oneclick_testing.platform import Platform, running_platform
from oneclick_testing.probes import AcceptRecorder, closed_port, port_probes
from oneclick_testing.records import rollouts_of
from oneclick_updater.registry import REGISTRY_UNREACHABLE

from .helpers import FAST_UPDATER, UpdaterTables, auto_update, manifest, project, running_deployment

YEARLY = "0 0 1 1 *"


@pytest.fixture(scope="module")
async def platform(nats_url: str, module_database: Database, module_log_dir: Path) -> AsyncIterator[Platform]:
    async with running_platform(
        nats_url=nats_url,
        database=module_database,
        log_dir=module_log_dir,
        names=["auth", "records", "updater"],
        env={"updater": {**FAST_UPDATER, "CRON_TICK": YEARLY}},
    ) as started:
        yield started


@pytest.fixture(scope="module")
def listeners() -> Iterator[tuple[AcceptRecorder, AcceptRecorder]]:
    with port_probes() as probes:
        yield probes


def comparable(check: dict[str, Any]) -> dict[str, Any]:
    """A check's answer without what differs between any two checks (ids, time)."""
    return {key: value for key, value in check.items() if key not in ("autoUpdate", "deployment", "checkedAt")}


async def test_internal_targets_all_read_the_same_and_are_never_connected(
    platform: Platform, tables: UpdaterTables, listeners: tuple[AcceptRecorder, AcceptRecorder], module_log_dir: Path
) -> None:
    http, banner = listeners
    # localhost: a host name that resolves to loopback.
    targets = [
        http.address,
        f"127.0.0.1:{closed_port()}",
        banner.address,
        f"localhost:{http.port}",
        "localhost",
        "169.254.169.254",
        "169.254.169.254:80",
        "10.0.0.1",
        "10.0.0.1:5000",
        "100.64.0.1",
        "192.168.0.1",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local:443",
        "0.0.0.0:" + str(http.port),
    ]
    alice = await platform.new_user("alice")
    answers: list[tuple[int, dict[str, Any]]] = []
    stored: list[tuple[Any, ...]] = []
    for index, registry in enumerate(targets):
        deployment, _ = await running_deployment(
            alice, await project(alice, f"probe{index}"), manifest(registry, "team/app", "1.0.0", "ci", "pull-secret")
        )
        auto = await auto_update(alice, deployment, interval="1w")
        response = await alice.client.post(f"/auto-update/{auto['id']}")
        body = response.json()
        answers.append((response.status_code, comparable(body["check"])))
        schedule = await tables.schedule(auto["id"])
        stored.append(
            (
                schedule["last_outcome"],
                schedule["last_error"],
                schedule["current_tag"],
                *[(row["outcome"], row["error"], row["chosen_tag"]) for row in await tables.checks(auto["id"])],
            )
        )
        assert len(await rollouts_of(alice, deployment)) == 1
    assert answers == [
        (
            200,
            {
                "trigger": "webhook",
                "outcome": "failed",
                "currentTag": "1.0.0",
                "tag": "",
                "message": REGISTRY_UNREACHABLE,
            },
        )
    ] * len(targets)
    assert set(stored) == {("failed", REGISTRY_UNREACHABLE, "1.0.0", ("failed", REGISTRY_UNREACHABLE, ""))}
    assert (http.accepted, banner.accepted) == (0, 0)
    # Why, for the operator: in the service log only, credentials never.
    log = (module_log_dir / "updater.log").read_text()
    for reason in (
        "loopback address",
        "link-local address",
        "private address",
        "carrier-grade NAT",
        "the cluster's API server",
        "unspecified address",
    ):
        assert reason in log, reason
    assert "pull-secret" not in log
