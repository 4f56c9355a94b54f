"""Every live WebSocket and the log stream are authenticated and authorized: refusals close with 4400/4401/4403."""

from __future__ import annotations

import asyncio

import aiohttp
import httpx
import pytest
from websockets.asyncio.client import connect

from oneclick_cli.processes import free_port
from oneclick_testing.platform import Platform

from .conftest import EDGE_ENV
from .live import Cluster, LiveSocket, expired_token, project_with_deployment, wait_for_messages

UNAUTHORIZED = 4401
FORBIDDEN = 4403
BAD_REQUEST = 4400

ENDPOINTS = [
    ("/ws/k8s/rollouts", "projectId", {}),
    ("/ws/k8s/deployments", "projectId", {}),
    ("/ws/k8s/logs", "rolloutId", {"podName": "web-1"}),
    ("/ws/k8s/events", "rolloutId", {"kind": "Pod", "name": "web-1"}),
]


@pytest.mark.parametrize(("path", "field", "extra"), ENDPOINTS)
async def test_anonymous_expired_and_other_users_are_refused(
    platform: Platform, path: str, field: str, extra: dict[str, str]
) -> None:
    alice = await platform.new_user("alice")
    mallory = await platform.new_user("mallory")
    project, _ = await project_with_deployment(alice)
    request = {field: project, **extra}

    anonymous = await LiveSocket.open(platform, path, request)
    assert await anonymous.closed_with() == (UNAUTHORIZED, "The request requires valid record authorization token.")
    garbage = await LiveSocket.open(platform, path, request, token="not-a-token")
    assert (await garbage.closed_with())[0] == UNAUTHORIZED
    expired = await LiveSocket.open(platform, path, request, token=await expired_token(platform.database.url, alice.id))
    assert (await expired.closed_with())[0] == UNAUTHORIZED
    other = await LiveSocket.open(platform, path, request, token=mallory.token, via="message")
    assert (await other.closed_with())[0] == FORBIDDEN
    for socket in (anonymous, garbage, expired, other):
        assert socket.frames == []


async def test_another_users_deployment_in_the_map_is_refused(platform: Platform) -> None:
    alice = await platform.new_user("alice")
    bob = await platform.new_user("bob")
    project, _ = await project_with_deployment(alice)
    _, bobs_deployment = await project_with_deployment(bob)
    socket = await LiveSocket.open(
        platform, "/ws/k8s/deployments", {"projectId": project, "deploymentId": bobs_deployment}, token=alice.token
    )
    assert (await socket.closed_with())[0] == FORBIDDEN
    assert socket.frames == []


@pytest.mark.parametrize(
    ("path", "request_text", "reason_part"),
    [
        ("/ws/k8s/rollouts", "not json", "Invalid request format"),
        ("/ws/k8s/rollouts", '["a list"]', "Invalid request format"),
        ("/ws/k8s/rollouts", "{}", "projectId"),
        ("/ws/k8s/rollouts", '{"projectId": "../etc"}', "projectId"),
        ("/ws/k8s/rollouts", '{"projectId": "abc", "deploymentId": "a.b>"}', "deploymentId"),
        ("/ws/k8s/deployments", '{"deploymentId": "abc"}', "projectId"),
        ("/ws/k8s/deployments", '{"projectId": "abc", "deploymentId": "UPPER"}', "deploymentId"),
        ("/ws/k8s/logs", '{"rolloutId": "abc"}', "podName"),
        ("/ws/k8s/logs", '{"podName": "web-1"}', "rolloutId"),
        ("/ws/k8s/logs", '{"rolloutId": "abc", "podName": "web-1", "container": "a b"}', "container"),
        ("/ws/k8s/events", '{"rolloutId": "abc", "name": "web-1"}', "kind"),
        ("/ws/k8s/events", '{"rolloutId": "abc", "kind": "Pod"}', "name"),
        ("/ws/k8s/events", '{"rolloutId": "abc", "kind": "Pod.*", "name": "web-1"}', "kind"),
    ],
)
async def test_bad_requests_close_with_4400_and_a_reason(
    platform: Platform, path: str, request_text: str, reason_part: str
) -> None:
    alice = await platform.new_user("alice")
    url = platform.url.replace("http://", "ws://") + f"{path}?token={alice.token}"
    async with connect(url) as connection:
        await connection.send(request_text)
        await connection.wait_closed()
        assert connection.close_code == BAD_REQUEST
        assert reason_part in (connection.close_reason or "")


async def test_pod_names_are_checked_and_unknown_pods_are_not_found(platform: Platform, cluster: Cluster) -> None:
    alice = await platform.new_user("alice")
    project, _ = await project_with_deployment(alice)
    await cluster.namespace(project)
    bad = await LiveSocket.open(platform, "/ws/k8s/logs", {"rolloutId": project, "podName": "x.*>"}, token=alice.token)
    code, reason = await bad.closed_with()
    assert code == BAD_REQUEST
    assert "podName" in reason
    missing = await LiveSocket.open(
        platform, "/ws/k8s/logs", {"rolloutId": project, "podName": "nope"}, token=alice.token
    )
    assert (await missing.closed_with())[0] == 4404
    assert missing.frames == ['Error getting logs: pods "nope" not found']


async def test_the_sdk_cookie_counts_only_from_this_host(platform: Platform, cluster: Cluster) -> None:
    alice = await platform.new_user("alice")
    project, deployment = await project_with_deployment(alice)
    await cluster.namespace(project)
    await cluster.deployment(project, deployment, replicas=1)
    host = platform.url.removeprefix("http://")
    same_site = await LiveSocket.open(
        platform,
        "/ws/k8s/deployments",
        {"projectId": project},
        token=alice.token,
        via="cookie",
        headers={"Origin": f"http://{host}"},
    )
    await wait_for_messages(same_site, lambda ms: any(m["kind"] == "deployment" for m in ms))
    await same_site.close()
    cross_site = await LiveSocket.open(
        platform,
        "/ws/k8s/deployments",
        {"projectId": project},
        token=alice.token,
        via="cookie",
        headers={"Origin": "https://evil.example"},
    )
    assert (await cross_site.closed_with())[0] == UNAUTHORIZED
    assert cross_site.frames == []


async def test_http_logs_need_a_token_and_the_project(platform: Platform) -> None:
    alice = await platform.new_user("alice")
    mallory = await platform.new_user("mallory")
    project, _ = await project_with_deployment(alice)
    async with httpx.AsyncClient(base_url=platform.url, timeout=30) as client:
        anonymous = await client.get(f"/rollouts/{project}/web-1/logs")
        assert anonymous.status_code == 401
        assert anonymous.json()["status"] == 401
        for path in (f"/rollouts/{project}/web-1/logs", f"/pb/{project}/web-1/logs"):
            other = await client.get(path, headers={"Authorization": mallory.token})
            assert other.status_code == 404
            assert set(other.json()) == {"status", "message", "data"}
        bad = await client.get(f"/rollouts/{project}/Not_A_Pod/logs", headers={"Authorization": alice.token})
        assert bad.status_code == 400
        assert "podName" in bad.json()["data"]


async def test_an_open_socket_closes_when_its_token_is_revoked(platform: Platform, cluster: Cluster) -> None:
    alice = await platform.new_user("alice")
    project, deployment = await project_with_deployment(alice)
    await cluster.namespace(project)
    await cluster.deployment(project, deployment)
    socket = await LiveSocket.open(platform, "/ws/k8s/rollouts", {"projectId": project}, token=alice.token)
    await wait_for_messages(socket, lambda ms: any(m["kind"] == "deployment" for m in ms))
    logout = await alice.client.post("/api/collections/users/auth-logout-all")
    assert logout.status_code == 204, logout.text
    assert await socket.closed_with() == (UNAUTHORIZED, "The authorization token expired or was revoked.")


async def test_a_client_that_stops_answering_pings_is_disconnected(platform: Platform) -> None:
    """Heartbeats: the edge pings every live socket (``ONECLICK_WS_PING_INTERVAL``) and drops one whose client
    no longer answers within ``ONECLICK_WS_PING_TIMEOUT``; a client that answers stays connected."""
    alice = await platform.new_user("alice")
    project, deployment = await project_with_deployment(alice)
    port = free_port()
    await platform.services.start(
        "edge",
        label="edge-heartbeats",
        env={
            **EDGE_ENV,
            "ONECLICK_HTTP_PORT": str(port),
            "ONECLICK_WS_PING_INTERVAL": "1",
            "ONECLICK_WS_PING_TIMEOUT": "1",
        },
    )
    url = f"http://127.0.0.1:{port}/ws/k8s/rollouts?token={alice.token}"
    request = {"projectId": project, "deploymentId": deployment}
    async with aiohttp.ClientSession() as session:
        # aiohttp answers pings while something reads the socket, unless autoping is off: then it never does.
        silent = await session.ws_connect(url, autoping=False)
        alive = await session.ws_connect(url)
        for socket in (silent, alive):
            await socket.send_json(request)

        async def read(socket: aiohttp.ClientWebSocketResponse) -> list[aiohttp.WSMessage]:
            messages = []
            while (message := await socket.receive()).type not in (
                aiohttp.WSMsgType.CLOSE,
                aiohttp.WSMsgType.CLOSING,
                aiohttp.WSMsgType.CLOSED,
            ):
                messages.append(message)
            return messages

        reading_alive = asyncio.create_task(read(alive))
        async with asyncio.timeout(30):
            unanswered = await read(silent)
        assert any(m.type is aiohttp.WSMsgType.PING for m in unanswered)
        await asyncio.sleep(2)  # longer than a ping interval and timeout: the answering one would be gone
        assert not reading_alive.done()
        assert not alive.closed
        await alive.close()
        await reading_alive
