"""One NATS user per service, allowed only the subjects that service's code uses.

Statically: the RPC subjects each user may publish are exactly the RPCs its code calls (read from the source),
each service alone may take requests of its own RPC subjects, and event subjects belong to their publisher.
Live: the whole platform runs against nats-server with the component's auth.conf (every service as its own
user) through sign-up, a rollout applied to kubesim, live views, auto-updates and a project deletion without a
single permission violation; and a compromised updater cannot reach the executor's RPC.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import nats
import nats.errors
import orjson
import pytest
from websockets.asyncio.client import connect

from kubesim.testing import KubesimProcess
from oneclick_core.contracts.events import EVENTS
from oneclick_core.contracts.rpc import SERVICES
from oneclick_testing.infrastructure import Database, scratch_dir
from oneclick_testing.platform import Platform, running_platform
from oneclick_testing.waiting import eventually

from .nats_config import ADMIN, AuthorizedNats, authorized_nats, load_users, password_variable
from .rpc_calls import every_rpc_subject, rpc_calls

NGINX_BLUEPRINT = "bpnginx00000000"
RECORD_AGGREGATES = ("project", "deployment", "rollout", "blueprint", "autoupdate")
# Who publishes which domain event (the outbox of the owning service, or the executor's outcome events).
EVENT_PUBLISHERS: dict[str, set[str]] = {
    "auth": {f"oneclick.events.user.{verb}" for verb in ("created", "updated", "deleted")},
    "records": {
        f"oneclick.events.{aggregate}.{verb}"
        for aggregate in RECORD_AGGREGATES
        for verb in ("created", "updated", "deleted")
    },
    "k8s-executor": {"oneclick.events.rollout.applied", "oneclick.events.rollout.failed"},
    "updater": {"oneclick.events.autoupdate.tag_found"},
    "edge": set(),
    "streaming": set(),
}
# What no service may ever do to the platform's streams (only operators, as the admin user).
DESTRUCTIVE = (
    "$JS.API.STREAM.DELETE.ONECLICK_EVENTS",
    "$JS.API.STREAM.PURGE.ONECLICK_EVENTS",
    "$JS.API.STREAM.MSG.DELETE.ONECLICK_EVENTS",
    "$JS.API.CONSUMER.DELETE.ONECLICK_EVENTS.k8s-executor",
    "$JS.API.STREAM.DELETE.ONECLICK_DLQ",
    "$JS.API.STREAM.DELETE.KV_oneclick-locks",
)


# -- static --------------------------------------------------------------------------------------------------


def test_one_user_per_service_plus_operators() -> None:
    users = load_users()
    assert set(users) == {*SERVICES, ADMIN}
    for name, user in users.items():
        assert user.password_variable == password_variable(name), "passwords come from the pod's environment"
        if name != ADMIN:
            assert user.publish is not None, f"{name} must not have every permission"
            assert user.allow_responses, f"{name} answers RPC requests"


@pytest.mark.parametrize("service", SERVICES)
def test_rpc_permissions_are_exactly_the_calls_in_the_code(service: str) -> None:
    user = load_users()[service]
    may_call = {subject for subject in every_rpc_subject() if user.may_publish(subject)}
    assert may_call == set(rpc_calls(service)), (
        f"{service}: granted but not called {sorted(may_call - rpc_calls(service))}, "
        f"called but not granted {sorted(rpc_calls(service) - may_call)}"
    )
    for subject in every_rpc_subject():
        owner = subject.split(".")[2]
        assert user.may_subscribe(subject) == (owner == service), f"{service} may take requests of {subject}?"


@pytest.mark.parametrize("service", SERVICES)
def test_event_subjects_belong_to_their_publisher(service: str) -> None:
    assert set().union(*EVENT_PUBLISHERS.values()) == {spec.subject for spec in EVENTS}
    user = load_users()[service]
    granted = {spec.subject for spec in EVENTS if user.may_publish(spec.subject)}
    assert granted == EVENT_PUBLISHERS[service]
    for subject in DESTRUCTIVE:
        assert not user.may_publish(subject), f"{service} may {subject}"


# -- live ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def secured_nats() -> Iterator[AuthorizedNats]:
    root = scratch_dir("oneclick-test-nats-auth-")
    with authorized_nats(root) as server:
        yield server


@pytest.fixture(scope="module")
def kubesim(module_kubesim: KubesimProcess) -> KubesimProcess:
    return module_kubesim


@pytest.fixture(scope="module")
async def platform(
    secured_nats: AuthorizedNats, module_database: Database, module_log_dir: Path, kubesim: KubesimProcess
) -> AsyncIterator[Platform]:
    env = {
        name: {"ONECLICK_NATS_USER": name, "ONECLICK_NATS_PASSWORD": secured_nats.passwords[name]} for name in SERVICES
    }
    async with running_platform(
        nats_url=secured_nats.url,
        database=module_database,
        log_dir=module_log_dir,
        kubeconfig=kubesim.kubeconfig,
        names=[n for n in SERVICES if n != "edge"],
        env=env,
    ) as started:
        yield started


async def test_the_platform_works_with_each_service_as_its_own_user(
    platform: Platform, secured_nats: AuthorizedNats, kubesim: KubesimProcess
) -> None:
    health = await platform.client.get("/api/health")
    assert health.status_code == 200, health.text

    alice = await platform.new_user("alice")
    project = (await alice.client.post("/api/collections/projects/records", json={"name": "shop"})).json()["id"]
    deployment = (
        await alice.client.post(
            "/api/collections/deployments/records",
            json={"name": "web", "project": project, "blueprint": NGINX_BLUEPRINT},
        )
    ).json()["id"]
    manifest = (await alice.client.get(f"/pb/blueprints/{NGINX_BLUEPRINT}")).json()["manifest"]

    # A live view open before the rollout: edge interest in KV, streaming's lease, live subjects, snapshot.
    url = platform.url.replace("http://", "ws://") + f"/ws/k8s/deployments?token={alice.token}"
    async with connect(url, open_timeout=10) as socket:
        await socket.send(orjson.dumps({"projectId": project, "deploymentId": deployment}).decode())
        rollout = await alice.client.post(
            "/api/collections/rollouts/records",
            json={"project": project, "deployment": deployment, "manifest": manifest},
        )
        assert rollout.status_code == 200, rollout.text
        seen: set[str] = set()
        while "pod" not in seen:
            frame = orjson.loads(await socket.recv(decode=True))
            if isinstance(frame, dict) and "kind" in frame:
                seen.add(frame["kind"])

    status = await alice.client.get(f"/rollouts/{project}/{rollout.json()['id']}/status")
    assert status.status_code == 200, status.text
    assert (await alice.client.get("/cluster-info")).status_code == 200
    auto_update = await alice.client.post(
        "/api/collections/autoUpdates/records",
        json={"project": project, "deployment": deployment, "interval": "5m", "pattern": "^1\\.", "policy": "semver"},
    )
    assert auto_update.status_code == 200, auto_update.text
    assert (await alice.client.delete(f"/api/collections/projects/records/{project}")).status_code == 204

    def namespace_gone() -> bool:
        return kubesim.request("GET", f"/api/v1/namespaces/{project}")[0] == 404

    await eventually(namespace_gone, timeout=30, message="the project's namespace deleted by the executor")
    assert secured_nats.violations() == []


async def test_a_compromised_updater_cannot_call_the_executor(platform: Platform, secured_nats: AuthorizedNats) -> None:
    errors: list[str] = []

    async def record(error: Exception) -> None:
        errors.append(str(error))

    updater = await nats.connect(
        secured_nats.url,
        user="updater",
        password=secured_nats.passwords["updater"],
        error_cb=record,
        allow_reconnect=False,
    )
    try:
        with pytest.raises((nats.errors.TimeoutError, nats.errors.NoRespondersError)):
            await updater.request("oneclick.rpc.k8s-executor.delete_pod", b'{"project":"p","pod":"x"}', timeout=1)
        # Taking the executor's requests, or forging its outcome events, is refused too.
        await updater.subscribe("oneclick.rpc.k8s-executor.>")
        await updater.publish("oneclick.events.rollout.applied", b"{}")
        await updater.flush()
        await eventually(lambda: len(errors) >= 3, timeout=5, message="three permission errors")
    finally:
        await updater.close()
    assert all("permissions violation" in error.lower() for error in errors), errors
    logged = "\n".join(secured_nats.violations())
    assert '"oneclick.rpc.k8s-executor.delete_pod"' in logged
    assert '"oneclick.rpc.k8s-executor.>"' in logged
    assert '"oneclick.events.rollout.applied"' in logged
    # The executor never got the request.
    executor = next(p for p in platform.services.processes if p.name == "k8s-executor")
    async with httpx.AsyncClient() as client:
        metrics = (await client.get(f"{executor.admin_url}/metrics")).text
    assert 'oneclick_rpc_handled_total{method="delete_pod"' not in metrics
    assert 'oneclick_rpc_handled_total{method="status",outcome="ok"}' in metrics, "it did answer the edge's call"
