"""Hypothesis on manifests sent through the API: whatever a client puts in a rollout's manifest, the answer is
200 or a 400 with per-field errors, the API decides exactly as ``validate_manifest`` does, and a refused
rollout leaves nothing behind (no row, the running rollout still running).

Examples are a valid manifest with a few parts replaced by arbitrary JSON, removed, or joined by unknown
keys, so most of them are near misses that reach deep into the model.
"""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oneclick_core.errors import ApiError
from oneclick_manifest.model import validate_manifest
from oneclick_testing.platform import Platform, User
from oneclick_testing.records import create, rollout_manifest

Json = dict[str, Any]

# Every part of the spec in use, so that mutations reach deep into each.
MANIFEST: Json = rollout_manifest(
    horizontalScale={"minReplicas": 1, "maxReplicas": 3, "targetCPUUtilizationPercentage": 80},
    env=[{"name": "MODE", "value": "production"}],
    secrets=[{"name": "API_KEY", "value": "s3cr3t"}],
    volumes=[{"name": "data", "mountPath": "/data", "size": "1Gi", "storageClass": ""}],
    interfaces=[
        {
            "name": "http",
            "port": 80,
            "ingress": {
                "ingressClass": "nginx",
                "annotations": {},
                "rules": [{"host": "web.example.com", "path": "/", "tls": True, "tlsSecretName": ""}],
            },
        }
    ],
    cronjobs=[
        {
            "name": "cleanup",
            "schedule": "*/5 * * * *",
            "image": {
                "registry": "docker.io",
                "repository": "library/busybox",
                "tag": "1.36",
                "username": "",
                "password": "",
            },
            "command": ["sh", "-c", "echo hi"],
            "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"cpu": "50m", "memory": "32Mi"}},
        }
    ],
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in the manifest a mutation can hit."""
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*path, index))
    return found


PATHS = _paths(MANIFEST)[1:]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from(["", "0", "-1", "1Gi", "100m", "a" * 300, "UPPER", "x.y", "../x", "*"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=6,
)
mutation = st.tuples(st.sampled_from(["replace", "remove", "extra"]), st.sampled_from(PATHS), json_values)


def _mutated(mutations: list[tuple[str, tuple[Any, ...], Any]]) -> Json:
    manifest = copy.deepcopy(MANIFEST)
    for kind, path, value in mutations:
        parent: Any = manifest
        try:
            for step in path[:-1]:
                parent = parent[step]
            last = path[-1]
            if kind == "replace":
                parent[last] = value
            elif kind == "remove" and isinstance(parent, dict):
                parent.pop(last, None)
            elif kind == "extra" and isinstance(parent[last], dict):
                parent[last]["unexpected"] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced what this one aimed at
    return manifest


def _library_accepts(manifest: Json) -> bool:
    try:
        validate_manifest(manifest)
    except ApiError:
        return False
    return True


@pytest.fixture(scope="module")
async def target(user: User) -> tuple[str, str]:
    project = await create(user, "projects", name="manifests")
    deployment = await create(user, "deployments", name="web", project=project["id"])
    return project["id"], deployment["id"]


def _rollouts(client: httpx.Client, deployment: str) -> list[Json]:
    response = client.get(
        "/api/collections/rollouts/records",
        params={"filter": f"deployment = '{deployment}'", "perPage": 500, "fields": "id,endDate"},
    )
    assert response.status_code == 200, response.text
    items: list[Json] = response.json()["items"]
    return items


def test_any_manifest_is_accepted_or_refused_whole(platform: Platform, user: User, target: tuple[str, str]) -> None:
    project, deployment = target
    with httpx.Client(base_url=platform.url, headers={"Authorization": user.token}, timeout=30) as client:

        @given(mutations=st.lists(mutation, min_size=1, max_size=3))
        @settings(
            max_examples=60,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        )
        def send(mutations: list[tuple[str, tuple[Any, ...], Any]]) -> None:
            manifest = _mutated(mutations)
            before = _rollouts(client, deployment)
            response = client.post(
                "/api/collections/rollouts/records",
                json={"project": project, "deployment": deployment, "manifest": manifest},
            )
            assert response.status_code in (200, 400), response.text
            after = _rollouts(client, deployment)
            assert (response.status_code == 200) == _library_accepts(manifest), response.text
            if response.status_code == 400:
                error = response.json()
                assert set(error) == {"status", "message", "data"}
                assert error["data"], "a refused manifest names what is wrong"
                for problem in error["data"].values():
                    assert set(problem) == {"code", "message"}, problem
                assert after == before, "a refused rollout changed the deployment's rollouts"
            else:
                created = response.json()["id"]
                assert {r["id"] for r in after} == {r["id"] for r in before} | {created}
                assert [r["id"] for r in after if not r["endDate"]] == [created]

        send()
