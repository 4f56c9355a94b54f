"""What the fault-injection tests do and look at: rollouts made through the edge by a client that retries like
a patient browser, and the Deployments in the cluster."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from oneclick_manifest.naming import ROLLOUT_ID_LABEL
from oneclick_testing.platform import User

Json = dict[str, Any]

# Answers a retrying client treats as "try again": the platform said it is (partly) down.
RETRIED_STATUSES = {502, 503, 504}


@dataclass
class Attempts:
    """What a retrying client saw: answers by status, and tries whose outcome it cannot know."""

    statuses: dict[int, int] = field(default_factory=dict)
    # Tries that certainly did nothing: the connection was refused, or no replica of the service was there.
    refused: int = 0
    # The connection was cut or timed out, or a 502/503/504 after the request reached a service: the write
    # may or may not have happened.
    unknown: int = 0
    # Any 500: a bug, never an acceptable answer to an outage.
    crashes: list[str] = field(default_factory=list)

    def saw(self, status: int, body: str) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status == 500:
            self.crashes.append(body)


async def send(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    attempts: Attempts,
    *,
    give_up_after: float = 120.0,
    **kwargs: Any,
) -> httpx.Response:
    """The request, repeated while the platform is unreachable or answers 502/503/504."""
    deadline = time.monotonic() + give_up_after
    while True:
        try:
            response = await client.request(method, path, **kwargs)
        except httpx.ConnectError:
            attempts.refused += 1
        except httpx.TransportError:
            attempts.unknown += 1
        else:
            attempts.saw(response.status_code, response.text)
            if response.status_code not in RETRIED_STATUSES and response.status_code != 500:
                return response
            if "service_unavailable" in response.text:
                attempts.refused += 1
            else:
                attempts.unknown += 1
        if time.monotonic() > deadline:
            raise AssertionError(f"{method} {path} kept failing for {give_up_after:g}s: {attempts}")
        await asyncio.sleep(0.1)


async def create(user: User, collection: str, attempts: Attempts, **data: Any) -> Json:
    response = await send(user.client, "POST", f"/api/collections/{collection}/records", attempts, json=data)
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


async def records(user: User, collection: str, attempts: Attempts, filter_: str) -> list[Json]:
    found: list[Json] = []
    page = 1
    while True:
        response = await send(
            user.client,
            "GET",
            f"/api/collections/{collection}/records",
            attempts,
            params={"filter": filter_, "perPage": 500, "page": page, "sort": "created"},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        found += body["items"]
        if page >= body["totalPages"]:
            return found
        page += 1


async def running_rollout_in_cluster(cluster: httpx.AsyncClient, project: str, deployment: str) -> tuple[str, str]:
    """(rollout id label, image) of the deployment's Deployment in the cluster, ("", "") when there is none."""
    response = await cluster.get(f"/apis/apps/v1/namespaces/{project}/deployments/{deployment}")
    if response.status_code == 404:
        return "", ""
    assert response.status_code == 200, response.text
    live = response.json()
    return live["metadata"]["labels"][ROLLOUT_ID_LABEL], live["spec"]["template"]["spec"]["containers"][0]["image"]
