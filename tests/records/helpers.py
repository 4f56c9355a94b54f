"""Records the tests build on: a project, a deployment in it, rollouts of the nginx manifest."""

from __future__ import annotations

import copy
from typing import Any

from oneclick_testing.platform import User

NGINX: dict[str, Any] = {
    "apiVersion": "one-click.dev/v1alpha1",
    "kind": "Rollout",
    "spec": {
        "image": {"registry": "docker.io", "repository": "library/nginx", "tag": "1.25", "username": "",
                  "password": ""},
        "horizontalScale": {"minReplicas": 1, "maxReplicas": 1, "targetCPUUtilizationPercentage": 80},
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
        "env": [], "secrets": [], "volumes": [], "interfaces": [{"name": "http", "port": 80}],
        "serviceAccountName": "one-click",
    },
}


def manifest(tag: str = "1.25", **spec: Any) -> dict[str, Any]:
    value = copy.deepcopy(NGINX)
    value["spec"]["image"]["tag"] = tag
    value["spec"].update(spec)
    return value


async def create(user: User, collection: str, **data: Any) -> dict[str, Any]:
    response = await user.client.post(f"/api/collections/{collection}/records", json=data)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def deployment(user: User, name: str = "web") -> tuple[dict[str, Any], dict[str, Any]]:
    project = await create(user, "projects", name=f"{name}-project")
    created = await create(user, "deployments", name=name, project=project["id"])
    return project, created


async def rollout(user: User, project: dict[str, Any], deployment: dict[str, Any], tag: str = "1.25",
                  **spec: Any) -> dict[str, Any]:
    return await create(user, "rollouts", project=project["id"], deployment=deployment["id"],
                        manifest=manifest(tag, **spec))


async def rollouts_of(user: User, deployment: dict[str, Any]) -> list[dict[str, Any]]:
    response = await user.client.get("/api/collections/rollouts/records",
                                     params={"filter": f"deployment = '{deployment['id']}'", "sort": "created",
                                             "perPage": 500})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items
