"""Records the tests build on: a project, a deployment in it, rollouts of the nginx manifest."""

from __future__ import annotations

from typing import Any

from oneclick_testing.platform import User
from oneclick_testing.records import create, rollout_manifest


async def deployment(user: User, name: str = "web") -> tuple[dict[str, Any], dict[str, Any]]:
    project = await create(user, "projects", name=f"{name}-project")
    created = await create(user, "deployments", name=name, project=project["id"])
    return project, created


async def rollout(
    user: User, project: dict[str, Any], deployment: dict[str, Any], tag: str = "1.25", **spec: Any
) -> dict[str, Any]:
    return await create(
        user, "rollouts", project=project["id"], deployment=deployment["id"], manifest=rollout_manifest(tag, **spec)
    )
