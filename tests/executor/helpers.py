"""What the executor tests build on: records made through the edge, the cluster read over HTTP, and the
rollout.applied / rollout.failed events."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from kubernetes_asyncio import client
from nats.aio.msg import Msg

from oneclick_core.contracts.envelope import Envelope
from oneclick_testing.platform import User

NGINX_BLUEPRINT = "bpnginx00000000"
Json = dict[str, Any]


# -- records through the edge ----------------------------------------------------------------------------


async def create(user: User, collection: str, **data: Any) -> Json:
    response = await user.client.post(f"/api/collections/{collection}/records", json=data)
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


async def update(user: User, collection: str, record_id: str, **data: Any) -> Json:
    response = await user.client.patch(f"/api/collections/{collection}/records/{record_id}", json=data)
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


async def delete(user: User, collection: str, record_id: str) -> None:
    response = await user.client.delete(f"/api/collections/{collection}/records/{record_id}")
    assert response.status_code == 204, response.text


async def nginx_manifest(user: User, **spec: Any) -> Json:
    """The community nginx blueprint's manifest, as the UI starts a deployment from it, with ``spec`` changes."""
    response = await user.client.get(f"/pb/blueprints/{NGINX_BLUEPRINT}")
    assert response.status_code == 200, response.text
    manifest: Json = copy.deepcopy(response.json()["manifest"])
    manifest["spec"].update(spec)
    return manifest


def with_tag(manifest: Json, tag: str) -> Json:
    changed = copy.deepcopy(manifest)
    changed["spec"]["image"]["tag"] = tag
    return changed


async def project_with_deployment(user: User, name: str = "web") -> tuple[Json, Json]:
    project = await create(user, "projects", name=f"{name}-project")
    deployment = await create(user, "deployments", name=name, project=project["id"], blueprint=NGINX_BLUEPRINT)
    return project, deployment


async def start_rollout(user: User, project: Json, deployment: Json, manifest: Json) -> Json:
    return await create(user, "rollouts", project=project["id"], deployment=deployment["id"], manifest=manifest)


# -- the cluster ------------------------------------------------------------------------------------------


class Cluster:
    """Reads kubesim over HTTP (raw paths: the tests check the API objects themselves)."""

    def __init__(self, api: client.ApiClient) -> None:
        self.api = api

    async def request(
        self, method: str, path: str, body: Json | None = None, query: list[tuple[str, str]] | None = None
    ) -> Json:
        result: Json = await self.api.call_api(
            path,
            method,
            query_params=query or [],
            body=body,
            header_params={"Accept": "application/json", "Content-Type": "application/json"},
            response_types_map={200: "object", 201: "object", 202: "object"},
            auth_settings=["BearerToken"],
            _return_http_data_only=True,
        )
        return result

    async def get(self, path: str) -> Json | None:
        try:
            return await self.request("GET", path)
        except client.ApiException as exc:
            if exc.status == 404:
                return None
            raise

    async def items(self, path: str, labels: str | None = None) -> list[Json]:
        query = [("labelSelector", labels)] if labels else None
        found: list[Json] = (await self.request("GET", path, query=query))["items"]
        return found

    async def names(self, path: str, labels: str | None = None) -> set[str]:
        return {item["metadata"]["name"] for item in await self.items(path, labels)}


def contains(live: Any, wanted: Any, path: str = "") -> list[str]:
    """Where ``live`` differs from ``wanted`` on what ``wanted`` says (the API adds defaults around it)."""
    if isinstance(wanted, dict):
        if not isinstance(live, dict):
            return [f"{path}: {live!r} is not an object"]
        problems: list[str] = []
        for key, value in wanted.items():
            problems += contains(live.get(key), value, f"{path}.{key}")
        return problems
    if isinstance(wanted, list):
        if not isinstance(live, list) or len(live) != len(wanted):
            return [f"{path}: {live!r} != {wanted!r}"]
        problems = []
        for index, (live_item, wanted_item) in enumerate(zip(live, wanted, strict=True)):
            problems += contains(live_item, wanted_item, f"{path}[{index}]")
        return problems
    return [] if live == wanted else [f"{path}: {live!r} != {wanted!r}"]


# -- events -----------------------------------------------------------------------------------------------


@dataclass
class EventLog:
    received: list[Envelope] = field(default_factory=list)

    async def receive(self, msg: Msg) -> None:
        self.received.append(Envelope.model_validate_json(msg.data))

    def of(self, type_: str, rollout: str) -> list[Json]:
        return [
            envelope.data
            for envelope in self.received
            if envelope.type == type_ and envelope.data.get("rollout") == rollout
        ]

    def applied(self, rollout: str) -> list[Json]:
        return self.of("oneclick.rollout.applied.v1", rollout)

    def failed(self, rollout: str) -> list[Json]:
        return self.of("oneclick.rollout.failed.v1", rollout)
