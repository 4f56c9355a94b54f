"""What the isolation matrix probes: one owner's records of every kind, running in the cluster, and the
other principals that try to reach them (nobody, another user, a superuser)."""

from __future__ import annotations

import base64
import enum
import secrets
from dataclasses import dataclass, field
from typing import Any

import httpx

from oneclick_manifest.naming import DEPLOYMENT_ID_LABEL, PROJECT_ID_LABEL
from oneclick_testing.platform import PASSWORD, Platform, User
from oneclick_testing.records import create, rollout_manifest
from oneclick_testing.sse import RealtimeConnection
from oneclick_testing.waiting import eventually

Json = dict[str, Any]

# A 1x1 transparent PNG, for the avatars whose files are probed.
PIXEL = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")

# The registry is a loopback port nothing listens on: kubesim runs the image anyway (it pulls by name), and
# the updater's checks fail at once instead of waiting for a registry on the internet.
REFUSING_REGISTRY = "127.0.0.1:9"


class Role(enum.Enum):
    ANONYMOUS = "anonymous"
    OTHER = "other user"
    OWNER = "owner"
    SUPERUSER = "superuser"


@dataclass
class World:
    platform: Platform
    cluster: httpx.AsyncClient
    owner: User
    other: User
    superuser: User
    ids: dict[str, str] = field(default_factory=dict)
    streams: list[RealtimeConnection] = field(default_factory=list)

    def client(self, role: Role) -> httpx.AsyncClient:
        if role is Role.ANONYMOUS:
            return self.platform.client
        return self.principal(role).client

    def principal(self, role: Role) -> User:
        return {Role.OTHER: self.other, Role.OWNER: self.owner, Role.SUPERUSER: self.superuser}[role]

    def token(self, role: Role) -> str | None:
        return None if role is Role.ANONYMOUS else self.principal(role).token

    # -- records made fresh for a probe that changes or deletes what it reaches ---------------------------
    async def create(self, collection: str, **data: Any) -> Json:
        """The owner's new record."""
        return await create(self.owner, collection, **data)

    async def new_user(self) -> User:
        return await self.platform.new_user("fresh")

    async def pod(self) -> str:
        """A running pod of the owner's deployment (probes that delete one get a new one each)."""
        project, deployment = self.ids["project"], self.ids["deployment"]

        async def running() -> list[str]:
            response = await self.cluster.get(
                f"/api/v1/namespaces/{project}/pods", params={"labelSelector": f"{DEPLOYMENT_ID_LABEL}={deployment}"}
            )
            return sorted(
                p["metadata"]["name"]
                for p in response.json()["items"]
                if p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")
            )

        async def any_running() -> bool:
            return bool(await running())

        await eventually(any_running, timeout=60, message="a running pod of the owner's deployment")
        return (await running())[0]

    async def job(self) -> str:
        """A job of the owner's project, labelled as the jobs of a deployment's cron jobs are."""
        project, deployment = self.ids["project"], self.ids["deployment"]
        name = f"job-{secrets.token_hex(3)}"
        labels = {PROJECT_ID_LABEL: project, DEPLOYMENT_ID_LABEL: deployment}
        created = await self.cluster.post(
            f"/apis/batch/v1/namespaces/{project}/jobs",
            json={
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": {"name": name, "labels": labels},
                "spec": {
                    "template": {
                        "metadata": {"labels": labels},
                        "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox:1.36"}]},
                    }
                },
            },
        )
        assert created.status_code == 201, created.text
        return name

    async def realtime_client(self) -> str:
        """The id of a new realtime (SSE) connection, kept open until the world is closed."""
        connection = await RealtimeConnection.open(self.platform.client)
        self.streams.append(connection)
        return connection.client_id

    async def close(self) -> None:
        for stream in self.streams:
            await stream.close()


def manifest() -> Json:
    return rollout_manifest(registry=REFUSING_REGISTRY)


async def build_world(platform: Platform, cluster: httpx.AsyncClient) -> World:
    owner, other = await platform.new_user("owner"), await platform.new_user("other")
    world = World(platform=platform, cluster=cluster, owner=owner, other=other, superuser=await platform.superuser())
    ids = world.ids
    ids["user"] = owner.id
    ids["email"] = owner.email
    avatar = await owner.client.patch(
        f"/api/collections/users/records/{owner.id}", files={"avatar": ("me.png", PIXEL, "image/png")}
    )
    assert avatar.status_code == 200, avatar.text
    ids["user_avatar"] = avatar.json()["avatar"]
    with_avatar = await owner.client.post(
        "/api/collections/projects/records",
        data={"name": "isolated"},
        files={"avatar": ("logo.png", PIXEL, "image/png")},
    )
    assert with_avatar.status_code == 200, with_avatar.text
    ids["project"] = with_avatar.json()["id"]
    ids["project_avatar"] = with_avatar.json()["avatar"]
    ids["deployment"] = (await world.create("deployments", name="web", project=ids["project"]))["id"]
    ids["spare"] = (await world.create("deployments", name="spare", project=ids["project"]))["id"]
    ids["rollout"] = (
        await world.create("rollouts", project=ids["project"], deployment=ids["deployment"], manifest=manifest())
    )["id"]
    ids["autoUpdate"] = (
        await world.create("autoUpdates", project=ids["project"], deployment=ids["deployment"], interval="5m")
    )["id"]
    ids["blueprint"] = (await world.create("blueprints", name="private", manifest=manifest(), private=True))["id"]
    ids["password"] = PASSWORD
    await world.pod()
    return world
