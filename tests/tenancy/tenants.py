"""Two tenants on one cluster, and what a test needs to see of them: their records through the API, their
namespaces through the cluster's own API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from oneclick_manifest.naming import DEPLOYMENT_ID_LABEL
from oneclick_testing.platform import Platform, User
from oneclick_testing.records import create, rollout_manifest
from oneclick_testing.waiting import eventually

Json = dict[str, Any]

# records' policy in this module (the executor and the cluster get it from records): a quota of six pods and
# two CPUs, at most three replicas per deployment.
POLICY_ENV = {
    "ONECLICK_TENANCY_QUOTA_PODS": "6",
    "ONECLICK_TENANCY_QUOTA_CPU": "2",
    "ONECLICK_TENANCY_QUOTA_LIMITS_CPU": "4",
    "ONECLICK_TENANCY_MAX_REPLICAS": "3",
}
ALICE_HOST = "alice.example.com"


def ingress(host: str, **extra: Any) -> list[Json]:
    return [
        {
            "name": "http",
            "port": 80,
            "ingress": {"ingressClass": "nginx", "rules": [{"host": host, "path": "/"}], **extra},
        }
    ]


@dataclass
class Tenant:
    user: User
    project: str
    deployment: str

    async def rollout(self, manifest: Json, deployment: str | None = None) -> httpx.Response:
        return await self.user.client.post(
            "/api/collections/rollouts/records",
            json={"project": self.project, "deployment": deployment or self.deployment, "manifest": manifest},
        )

    async def new_deployment(self, name: str = "extra") -> str:
        return str((await create(self.user, "deployments", name=name, project=self.project))["id"])

    async def status(self, deployment: str | None = None) -> Json:
        response = await self.user.client.get(f"/rollouts/{self.project}/{deployment or self.deployment}/status")
        assert response.status_code == 200, response.text
        body: Json = response.json()
        return body


@dataclass
class Tenants:
    platform: Platform
    cluster: httpx.AsyncClient
    alice: Tenant
    mallory: Tenant
    superuser: User

    async def alice_is_ok(self) -> bool:
        return (await self.alice.status())["deployment"]["status"] == "OK"

    async def deployments_in(self, namespace: str) -> list[Json]:
        response = await self.cluster.get(f"/apis/apps/v1/namespaces/{namespace}/deployments")
        assert response.status_code == 200, response.text
        items: list[Json] = response.json()["items"]
        return items

    async def pods_of(self, namespace: str, deployment: str) -> list[Json]:
        response = await self.cluster.get(
            f"/api/v1/namespaces/{namespace}/pods", params={"labelSelector": f"{DEPLOYMENT_ID_LABEL}={deployment}"}
        )
        assert response.status_code == 200, response.text
        items: list[Json] = response.json()["items"]
        return items


async def tenant(platform: Platform, name: str, manifest: Json) -> Tenant:
    user = await platform.new_user(name)
    project = await create(user, "projects", name=f"{name}'s project")
    deployment = await create(user, "deployments", name="web", project=project["id"])
    made = Tenant(user, project["id"], deployment["id"])
    response = await made.rollout(manifest)
    assert response.status_code == 200, response.text
    return made


async def build_tenants(platform: Platform, cluster: httpx.AsyncClient) -> Tenants:
    alice = await tenant(platform, "alice", rollout_manifest(interfaces=ingress(ALICE_HOST)))
    mallory = await tenant(platform, "mallory", rollout_manifest())
    tenants = Tenants(platform, cluster, alice, mallory, await platform.superuser())
    await eventually(tenants.alice_is_ok, timeout=60, message="alice's deployment OK")

    async def mallory_runs() -> bool:
        return (await mallory.status())["deployment"]["status"] == "OK"

    await eventually(mallory_runs, timeout=60, message="mallory's first deployment OK")
    return tenants
