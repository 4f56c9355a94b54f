"""A hostile tenant, through the public API only: everything the tenancy policy refuses is a 400 naming the field,
nothing of it reaches the cluster (asked of kubesim's own API), and the other tenant's deployment stays OK. Then
the rest of what Mallory tried, aimed at the platform itself rather than the cluster: the updater as a port
scanner, an id oracle in the webhook, bytes the database can't store, and other users' details through blueprints
(each also has a suite of its own: tests/updater, tests/fuzz, tests/records).

What the cluster itself refuses when the platform is bypassed, and superusers' limits, are in
test_cluster_enforcement.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from oneclick_testing.probes import AcceptRecorder, closed_port, port_probes
from oneclick_testing.records import create, rollout_manifest
from oneclick_testing.waiting import eventually

from .tenants import ALICE_HOST, Json, Tenants, ingress

pytestmark = pytest.mark.e2e
# The cluster side of a rollout, and the updater for Mallory's registry checks.
SERVICES = ("auth", "records", "k8s-executor", "updater")

HOSTILE_CONTEXT = {
    "privileged": True,
    "allowPrivilegeEscalation": True,
    "runAsUser": 0,
    "capabilities": {"add": ["ALL", "SYS_ADMIN"]},
}


def hostile(**spec: Any) -> Json:
    return rollout_manifest(**spec)


def with_pod_field(path: str, value: Any) -> Json:
    """A manifest with a pod-level field the manifest format has no place for (the model refuses it)."""
    manifest = rollout_manifest()
    target = manifest["spec"]
    *parents, last = path.split(".")
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target.setdefault(part, {})
    target[last] = value
    return manifest


# (name, manifest, the fields the 400 must name — every one of them)
CASES: list[tuple[str, Json, set[str]]] = [
    (
        "privileged container, root, all capabilities",
        hostile(securityContext=HOSTILE_CONTEXT),
        {"manifest.spec.securityContext.privileged", "manifest.spec.securityContext.capabilities.add"},
    ),
    (
        "SYS_ADMIN alone",
        hostile(securityContext={"allowPrivilegeEscalation": True, "capabilities": {"add": ["SYS_ADMIN"]}}),
        {"manifest.spec.securityContext.capabilities.add"},
    ),
    (
        "NET_ADMIN (beyond baseline's list)",
        hostile(securityContext={"capabilities": {"add": ["NET_ADMIN"]}}),
        {"manifest.spec.securityContext.capabilities.add"},
    ),
    ("tolerate every taint", hostile(tolerations=[{"operator": "Exists"}]), {"manifest.spec.tolerations.0.key"}),
    (
        "control-plane node selector",
        hostile(nodeSelector={"node-role.kubernetes.io/control-plane": ""}),
        {"manifest.spec.nodeSelector.node-role.kubernetes.io/control-plane"},
    ),
    (
        "control-plane toleration",
        hostile(
            tolerations=[{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}]
        ),
        {"manifest.spec.tolerations.0.key"},
    ),
    (
        "another project's host",
        hostile(interfaces=ingress(ALICE_HOST)),
        {"manifest.spec.interfaces.0.ingress.rules.0.host"},
    ),
    (
        "another project's host, other case",
        hostile(interfaces=ingress("ALICE.example.com")),
        {"manifest.spec.interfaces.0.ingress.rules.0.host"},
    ),
    (
        "another project's host, trailing dot",
        hostile(interfaces=ingress(f"{ALICE_HOST}.")),
        {"manifest.spec.interfaces.0.ingress.rules.0.host"},
    ),
    (
        "wildcard host",
        hostile(interfaces=ingress("*.example.com")),
        {"manifest.spec.interfaces.0.ingress.rules.0.host"},
    ),
    (
        "server snippet",
        hostile(
            interfaces=ingress(
                "m.example.com",
                annotations={
                    "nginx.ingress.kubernetes.io/server-snippet": (
                        "location /x { proxy_pass http://kubernetes.default.svc; }"
                    )
                },
            )
        ),
        {"manifest.spec.interfaces.0.ingress.annotations.nginx.ingress.kubernetes.io/server-snippet"},
    ),
    (
        "auth-url annotation (not allowed)",
        hostile(
            interfaces=ingress(
                "m.example.com", annotations={"nginx.ingress.kubernetes.io/auth-url": "http://10.0.0.1/"}
            )
        ),
        {"manifest.spec.interfaces.0.ingress.annotations.nginx.ingress.kubernetes.io/auth-url"},
    ),
    (
        "100 replicas",
        hostile(horizontalScale={"minReplicas": 100, "maxReplicas": 100, "targetCPUUtilizationPercentage": 80}),
        {"manifest.spec.horizontalScale.maxReplicas", "manifest.spec.horizontalScale.minReplicas"},
    ),
    (
        "100,000 replicas",
        hostile(horizontalScale={"minReplicas": 100_000, "maxReplicas": 100_000, "targetCPUUtilizationPercentage": 80}),
        {"manifest.spec.horizontalScale.maxReplicas"},
    ),
    (
        "2147483647 replicas",
        hostile(horizontalScale={"minReplicas": 1, "maxReplicas": 2**31 - 1, "targetCPUUtilizationPercentage": 80}),
        {"manifest.spec.horizontalScale.maxReplicas"},
    ),
    (
        "more CPU than the whole quota",
        hostile(resources={"requests": {"cpu": "3", "memory": "128Mi"}, "limits": {"cpu": "3", "memory": "256Mi"}}),
        {"manifest.spec.resources.requests.cpu"},
    ),
    ("5 MB env value", hostile(env=[{"name": "BIG", "value": "x" * (5 * 1024 * 1024)}]), {"manifest.spec.env"}),
    ("5 MB secret", hostile(secrets=[{"name": "BIG", "value": "x" * (5 * 1024 * 1024)}]), {"manifest.spec.secrets"}),
    # The manifest format has no place for these pod fields at all: refused by name.
    ("hostNetwork", with_pod_field("hostNetwork", True), {"manifest.spec.hostNetwork"}),
    ("hostPID", with_pod_field("hostPID", True), {"manifest.spec.hostPID"}),
    (
        "hostPath volume",
        with_pod_field("volumes", [{"name": "root", "mountPath": "/host", "size": "1Gi", "hostPath": {"path": "/"}}]),
        {"manifest.spec.volumes.0.hostPath"},
    ),
    (
        "hostPort",
        with_pod_field("interfaces", [{"name": "http", "port": 80, "hostPort": 80}]),
        {"manifest.spec.interfaces.0.hostPort"},
    ),
    (
        "NodePort service",
        with_pod_field("interfaces", [{"name": "http", "port": 80, "type": "NodePort"}]),
        {"manifest.spec.interfaces.0.type"},
    ),
    (
        "sysctls",
        with_pod_field("securityContext.sysctls", [{"name": "kernel.msgmax", "value": "1"}]),
        {"manifest.spec.securityContext.sysctls"},
    ),
    (
        "seccomp unconfined",
        with_pod_field("securityContext.seccompProfile", {"type": "Unconfined"}),
        {"manifest.spec.securityContext.seccompProfile"},
    ),
    (
        "AppArmor unconfined",
        with_pod_field("securityContext.appArmorProfile", {"type": "Unconfined"}),
        {"manifest.spec.securityContext.appArmorProfile"},
    ),
    (
        "procMount unmasked",
        with_pod_field("securityContext.procMount", "Unmasked"),
        {"manifest.spec.securityContext.procMount"},
    ),
]


@pytest.mark.parametrize(("name", "manifest", "fields"), CASES, ids=[case[0] for case in CASES])
async def test_a_hostile_rollout_is_refused_with_the_field_and_reaches_nothing(
    tenants: Tenants, name: str, manifest: Json, fields: set[str]
) -> None:
    mallory = tenants.mallory
    before = {
        item["metadata"]["name"]: item["metadata"]["resourceVersion"]
        for item in await tenants.deployments_in(mallory.project)
    }

    refused = await mallory.rollout(manifest)

    assert refused.status_code == 400, (name, refused.text[:500])
    body = refused.json()
    assert body["status"] == 400
    assert fields <= body["data"].keys(), (name, body["data"])
    for field in fields:
        assert body["data"][field]["message"], field
    # Nothing was stored (the running rollout is still the first one) and nothing reached the cluster.
    running = await mallory.user.client.get(
        "/api/collections/rollouts/records", params={"filter": f"deployment = '{mallory.deployment}' && endDate = ''"}
    )
    assert running.json()["totalItems"] == 1
    after = {
        item["metadata"]["name"]: item["metadata"]["resourceVersion"]
        for item in await tenants.deployments_in(mallory.project)
    }
    assert after == before
    assert await tenants.alice_is_ok()


async def test_the_pod_security_message_names_the_level_and_kubernetes_reason(tenants: Tenants) -> None:
    refused = await tenants.mallory.rollout(hostile(securityContext=HOSTILE_CONTEXT))
    problem = refused.json()["data"]["manifest.spec.securityContext.privileged"]
    assert problem == {
        "code": "validation_pod_security",
        "message": (
            f'Not allowed by the "baseline" pod security level: privileged (container "{tenants.mallory.deployment}" '
            "must not set securityContext.privileged=true)."
        ),
    }


async def test_a_host_belongs_to_the_first_project_until_it_lets_go(tenants: Tenants) -> None:
    mallory, alice = tenants.mallory, tenants.alice
    # Alice's second deployment may serve her own host; Mallory may not, whatever the spelling.
    second = await alice.new_deployment("second")
    shared = await alice.rollout(rollout_manifest(interfaces=ingress(ALICE_HOST)), deployment=second)
    assert shared.status_code == 200, shared.text
    taken = await mallory.rollout(hostile(interfaces=ingress(ALICE_HOST)))
    assert taken.json()["data"]["manifest.spec.interfaces.0.ingress.rules.0.host"]["message"] == (
        "Host already in use by another project."
    )

    # Mallory claims a host of her own; Alice can't take it either.
    own = await mallory.rollout(hostile(interfaces=ingress("mallory.example.com")))
    assert own.status_code == 200, own.text
    stolen = await alice.rollout(rollout_manifest(interfaces=ingress("mallory.example.com")), deployment=second)
    assert stolen.status_code == 400
    assert "manifest.spec.interfaces.0.ingress.rules.0.host" in stolen.json()["data"]

    # Mallory's next rollout serves no host: the claim goes, and the host is free for Alice.
    released = await mallory.rollout(hostile())
    assert released.status_code == 200, released.text
    moved = await alice.rollout(rollout_manifest(interfaces=ingress("mallory.example.com")), deployment=second)
    assert moved.status_code == 200, moved.text
    deleted = await alice.user.client.delete(f"/api/collections/deployments/records/{second}")
    assert deleted.status_code == 204, deleted.text
    assert (await mallory.rollout(hostile(interfaces=ingress("mallory.example.com")))).status_code == 200
    assert (await mallory.rollout(hostile())).status_code == 200
    assert await tenants.alice_is_ok()


async def test_the_quota_counts_the_projects_other_running_deployments(tenants: Tenants) -> None:
    mallory = tenants.mallory
    three = {"minReplicas": 3, "maxReplicas": 3, "targetCPUUtilizationPercentage": 80}
    # The module's quota is six pods: Mallory's first deployment runs one, a second may run three...
    second = await mallory.new_deployment("second")
    assert (await mallory.rollout(hostile(horizontalScale=three), deployment=second)).status_code == 200
    # ...and a third three more would make seven.
    third = await mallory.new_deployment("third")
    refused = await mallory.rollout(hostile(horizontalScale=three), deployment=third)
    assert refused.status_code == 400
    assert refused.json()["data"]["manifest.spec.horizontalScale.maxReplicas"]["message"] == (
        "Exceeds the project's quota of pods (6) by 1: this deployment needs up to 3 and the project's other "
        "running deployments 4."
    )
    # Replacing the second deployment's rollout counts it once, not twice.
    two = {"minReplicas": 2, "maxReplicas": 2, "targetCPUUtilizationPercentage": 80}
    assert (await mallory.rollout(hostile(horizontalScale=two), deployment=second)).status_code == 200
    assert (await mallory.rollout(hostile(horizontalScale=three), deployment=third)).status_code == 200

    async def all_running() -> bool:
        pods = [*await tenants.pods_of(mallory.project, second), *await tenants.pods_of(mallory.project, third)]
        running = [
            pod
            for pod in pods
            if pod["status"].get("phase") == "Running" and not pod["metadata"].get("deletionTimestamp")
        ]
        return len(running) == 5

    await eventually(all_running, timeout=60, message="Mallory's five pods running within her quota")
    for deployment in (second, third):
        response = await mallory.user.client.delete(f"/api/collections/deployments/records/{deployment}")
        assert response.status_code == 204, response.text
    assert await tenants.alice_is_ok()


async def test_a_rollback_to_what_the_policy_now_refuses_is_refused(tenants: Tenants) -> None:
    mallory = tenants.mallory

    async def running() -> str:
        found = await mallory.user.client.get(
            "/api/collections/rollouts/records",
            params={"filter": f"deployment = '{mallory.deployment}' && endDate = ''"},
        )
        items = found.json()["items"]
        assert len(items) == 1
        return str(items[0]["id"])

    before = await running()
    # A rollout stored before the policy existed (written straight into the database, as an upgrade finds it).
    hostile_id = "hostile00000001"
    conn = await tenants.platform.database.connect()
    try:
        await conn.execute(
            'INSERT INTO records.rollouts (id, manifest, start_date, end_date, hide, project, deployment, "user", '
            "created, updated) VALUES ($1, $2::jsonb, now(), now(), false, $3, $4, $5, now(), now())",
            hostile_id,
            json.dumps(hostile(securityContext=HOSTILE_CONTEXT)),
            mallory.project,
            mallory.deployment,
            mallory.user.id,
        )
    finally:
        await conn.close()
    rollback = await mallory.user.client.patch(f"/api/collections/rollouts/records/{hostile_id}", json={"endDate": ""})
    assert rollback.status_code == 400, rollback.text
    assert "manifest.spec.securityContext.privileged" in rollback.json()["data"]
    assert await running() == before
    # One that today's manifest rules refuse altogether (a field the format never had) is refused the same way.
    invalid = hostile()
    invalid["spec"]["hostNetwork"] = True
    conn = await tenants.platform.database.connect()
    try:
        await conn.execute(
            'INSERT INTO records.rollouts (id, manifest, start_date, end_date, hide, project, deployment, "user", '
            "created, updated) VALUES ($1, $2::jsonb, now(), now(), false, $3, $4, $5, now(), now())",
            "invalid00000001",
            json.dumps(invalid),
            mallory.project,
            mallory.deployment,
            mallory.user.id,
        )
    finally:
        await conn.close()
    refused = await mallory.user.client.patch("/api/collections/rollouts/records/invalid00000001", json={"endDate": ""})
    assert refused.status_code == 400, refused.text
    assert "manifest.spec.hostNetwork" in refused.json()["data"]
    assert await running() == before


# -- aimed at the platform itself ----------------------------------------------------------------------------

UNREACHABLE = "The registry could not be reached."


@pytest.fixture(scope="module")
def listeners() -> Iterator[tuple[AcceptRecorder, AcceptRecorder]]:
    with port_probes() as probes:
        yield probes


async def test_the_updater_is_no_port_scanner(
    tenants: Tenants, listeners: tuple[AcceptRecorder, AcceptRecorder]
) -> None:
    mallory = tenants.mallory
    http, banner = listeners
    answers = []
    for registry in (http.address, f"127.0.0.1:{closed_port()}", banner.address):
        deployment = await mallory.new_deployment("probe")
        made = await mallory.rollout(
            rollout_manifest("1.0.0", registry=registry, repository="team/app"), deployment=deployment
        )
        assert made.status_code == 200, made.text
        auto = await create(
            mallory.user, "autoUpdates", project=mallory.project, deployment=deployment, interval="1w", policy="semver"
        )
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
    auto = await create(
        mallory.user, "autoUpdates", project=mallory.project, deployment=mallory.deployment, interval="1w"
    )
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
    login = await tenants.platform.client.post(
        "/api/collections/users/auth-with-password", json={"identity": "mallory\u0000@example.com", "password": "x"}
    )
    assert login.status_code == 400
    assert set(login.json()["data"]) == {"identity"}
    assert await tenants.alice_is_ok()


async def test_blueprints_tell_nobody_about_other_people(tenants: Tenants) -> None:
    alice, mallory = tenants.alice.user, tenants.mallory.user
    # No unsolicited blueprint in Alice's list.
    pushed = await mallory.client.post(
        "/api/collections/blueprints/records",
        json={"name": "gift", "manifest": rollout_manifest(), "private": True, "users": [alice.id]},
    )
    assert pushed.status_code == 400
    assert "users" in pushed.json()["data"]
    # Alice's public blueprint, which a third user already uses.
    public = await create(alice, "blueprints", name="public", manifest=rollout_manifest(), private=False)
    third = await tenants.platform.new_user("third")
    assert (await third.client.post(f"/pb/blueprints/shared/{public['id']}")).status_code == 200
    joined = await mallory.client.post(f"/pb/blueprints/shared/{public['id']}")
    assert joined.status_code == 200, joined.text
    assert joined.json()["users"] == [mallory.id]  # not the other subscribers
    seen = await mallory.client.get(
        f"/api/collections/blueprints/records/{public['id']}", params={"expand": "owner,users"}
    )
    assert seen.status_code == 200
    body = seen.json()
    assert body["users"] == [mallory.id]
    expanded = body.get("expand", {})
    assert "owner" not in expanded  # Alice's name and username stay hers
    assert [user["id"] for user in expanded.get("users", [])] == [mallory.id]
    # Alice, the owner, sees who uses it: by id, and only her own details.
    owned = (
        await alice.client.get(f"/api/collections/blueprints/records/{public['id']}", params={"expand": "users"})
    ).json()
    assert set(owned["users"]) == {third.id, mallory.id}
    assert owned.get("expand", {}).get("users", []) == []
