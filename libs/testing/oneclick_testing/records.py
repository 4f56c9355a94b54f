"""Records a test builds on, made and read through the edge the way a client does, and the manifest rollouts run."""

from __future__ import annotations

from typing import Any

from oneclick_testing.platform import User

Json = dict[str, Any]


def rollout_manifest(
    tag: str = "1.25",
    *,
    registry: str = "docker.io",
    repository: str = "library/nginx",
    username: str = "",
    password: str = "",
    **spec: Any,
) -> Json:
    """A valid manifest: one replica of the image serving http on port 80. ``spec`` replaces parts of the spec
    (``env=[...]``, ``interfaces=[...]``, ...) whole."""
    return {
        "apiVersion": "one-click.dev/v1alpha1",
        "kind": "Rollout",
        "spec": {
            "image": {
                "registry": registry,
                "repository": repository,
                "tag": tag,
                "username": username,
                "password": password,
            },
            "horizontalScale": {"minReplicas": 1, "maxReplicas": 1, "targetCPUUtilizationPercentage": 80},
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
            "env": [],
            "secrets": [],
            "volumes": [],
            "interfaces": [{"name": "http", "port": 80}],
            "serviceAccountName": "one-click",
            **spec,
        },
    }


async def create(user: User, collection: str, **data: Any) -> Json:
    """The record ``user`` created (it must succeed)."""
    response = await user.client.post(f"/api/collections/{collection}/records", json=data)
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


async def rollouts_of(user: User, deployment: Json) -> list[Json]:
    """The deployment's rollouts ``user`` sees, oldest first."""
    response = await user.client.get(
        "/api/collections/rollouts/records",
        params={"filter": f"deployment = '{deployment['id']}'", "sort": "created", "perPage": 500},
    )
    assert response.status_code == 200, response.text
    items: list[Json] = response.json()["items"]
    return items
