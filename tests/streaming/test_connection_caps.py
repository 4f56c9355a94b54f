"""No user can exhaust an edge replica's connections: each holds at most ONECLICK_TENANCY_MAX_CONNECTIONS_PER_USER
(50 by default) live WebSockets and as many realtime (SSE) connections; the next is refused (close 4429, HTTP
429 with Retry-After) while other users still connect, and a connection that ends, however it ends, frees its
place. Every 429 the platform answers carries Retry-After, the sign-in limit's included."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator

import httpx
import pytest

from oneclick_testing.platform import Platform, User
from oneclick_testing.sse import RealtimeConnection
from oneclick_testing.waiting import eventually

from .live import Cluster, LiveSocket, StalledSocket, project_with_deployment

LIMIT = 50  # the default of ONECLICK_TENANCY_MAX_CONNECTIONS_PER_USER
TOO_MANY = 4429
MAP = "/ws/k8s/deployments"


def assert_too_many(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.json() == {"status": 429, "message": response.json()["message"], "data": {}}
    assert int(response.headers["retry-after"]) > 0


async def realtime_status(client: httpx.AsyncClient) -> httpx.Response:
    """The answer to a realtime connection that is refused; a connection that opens fails the test."""
    async with client.stream("GET", "/api/realtime", timeout=httpx.Timeout(15, read=15)) as response:
        if response.status_code == 200:
            raise AssertionError("the connection was accepted")
        await response.aread()
    return response


@pytest.fixture
async def streams() -> AsyncIterator[list[RealtimeConnection]]:
    opened: list[RealtimeConnection] = []
    yield opened
    for stream in opened:
        await stream.close()


async def test_the_51st_realtime_connection_of_a_user_is_refused(
    platform: Platform, streams: list[RealtimeConnection]
) -> None:
    alice, bob = await platform.new_user("alice"), await platform.new_user("bob")
    # Connections that carry the user's token count from the start.
    mine = [await RealtimeConnection.open(alice.client) for _ in range(LIMIT)]
    streams += mine
    assert_too_many(await realtime_status(alice.client))

    # The SDK's way: a guest connection becomes the user's with its first authorized subscription.
    guest = await RealtimeConnection.open(platform.client)
    streams.append(guest)
    refused = await alice.client.post(
        "/api/realtime", json={"clientId": guest.client_id, "subscriptions": ["projects/*"]}
    )
    assert_too_many(refused)

    # Another user is not affected.
    theirs = await RealtimeConnection.open(bob.client)
    streams.append(theirs)
    other = await RealtimeConnection.open(platform.client)
    streams.append(other)
    assert (
        await bob.client.post("/api/realtime", json={"clientId": other.client_id, "subscriptions": ["projects/*"]})
    ).status_code == 204

    # A connection that ends (the client simply goes away) frees its place: the guest can now become alice's.
    gone = mine.pop()
    streams.remove(gone)
    await gone.close()

    async def subscribed() -> bool:
        response = await alice.client.post(
            "/api/realtime", json={"clientId": guest.client_id, "subscriptions": ["projects/*"]}
        )
        if response.status_code == 429:
            return False
        assert response.status_code == 204, response.text
        return True

    await eventually(subscribed, message="the closed connection's place was never freed")
    # ... and it is alice's now: it hears of her records, and she is at her cap again.
    project = await alice.client.post("/api/collections/projects/records", json={"name": "heard"})
    await eventually(
        lambda: any(m["record"]["id"] == project.json()["id"] for m in guest.events("projects/*")),
        message="the subscribed connection hears of alice's project",
    )
    assert_too_many(await realtime_status(alice.client))


async def served(socket: LiveSocket) -> bool:
    """Whether the socket passed every check: it gets the map's frames (a refused one is closed instead)."""
    await eventually(
        lambda: bool(socket.frames) or socket.connection.close_code is not None, message="neither a frame nor a close"
    )
    return bool(socket.frames)


async def open_map(platform: Platform, user: User, project: str) -> LiveSocket:
    return await LiveSocket.open(platform, MAP, {"projectId": project}, token=user.token)


async def deployed_project(cluster: Cluster, user: User) -> str:
    """A project of ``user`` with a deployment in the cluster, so that its map socket has frames to send."""
    project, deployment = await project_with_deployment(user, name=f"capped-{secrets.token_hex(3)}")
    await cluster.namespace(project)
    await cluster.deployment(project, deployment)
    return project


async def test_the_51st_live_socket_of_a_user_is_refused(platform: Platform, cluster: Cluster) -> None:
    alice, bob = await platform.new_user("alice"), await platform.new_user("bob")
    hers, his = await deployed_project(cluster, alice), await deployed_project(cluster, bob)
    sockets: list[LiveSocket] = []
    try:
        for _ in range(LIMIT):
            socket = await open_map(platform, alice, hers)
            sockets.append(socket)
            assert await served(socket)
        refused = await open_map(platform, alice, hers)
        code, reason = await refused.closed_with()
        assert code == TOO_MANY
        assert "Too many open connections" in reason
        assert refused.frames == []

        other = await open_map(platform, bob, his)
        sockets.append(other)
        assert await served(other)

        # A socket closed by its client frees its place.
        await sockets.pop(0).close()
        sockets.append(await _served_eventually(platform, alice, hers))

        # So does one whose client vanishes without a close frame.
        await sockets.pop(0).close()
        vanishing = await _raw_served_eventually(platform, alice, hers)
        vanishing.sock.close()
        sockets.append(await _served_eventually(platform, alice, hers))
        # Every place is taken again.
        again = await open_map(platform, alice, hers)
        assert (await again.closed_with())[0] == TOO_MANY
    finally:
        await asyncio.gather(*(socket.close() for socket in sockets), return_exceptions=True)


async def _served_eventually(platform: Platform, user: User, project: str) -> LiveSocket:
    """A served map socket of ``user``, asking again while the place a closed one held is not free yet."""
    for _ in range(100):
        socket = await open_map(platform, user, project)
        if await served(socket):
            return socket
        assert socket.connection.close_code == TOO_MANY
        await asyncio.sleep(0.1)
    raise AssertionError("a closed socket's place was never freed")


async def _raw_served_eventually(platform: Platform, user: User, project: str) -> StalledSocket:
    """Like :func:`_served_eventually`, on a raw socket that can be dropped without a close frame."""
    for _ in range(100):
        raw = await StalledSocket.open(platform, MAP, {"projectId": project}, user.token)
        first = await asyncio.to_thread(raw.sock.recv, 1)
        if first[0] & 0x0F == 0x1:  # a text frame: served
            return raw
        with contextlib.suppress(OSError):
            raw.sock.close()
        await asyncio.sleep(0.1)
    raise AssertionError("a closed socket's place was never freed")


async def test_every_429_carries_retry_after(platform: Platform) -> None:
    """The sign-in limit (auth's, per identity) answers through the edge with Retry-After too."""
    identity = f"nobody-{secrets.token_hex(4)}@example.com"
    address = f"198.51.100.{secrets.randbelow(250) + 1}"
    statuses = []
    for _ in range(20):
        response = await platform.client.post(
            "/api/collections/users/auth-with-password",
            json={"identity": identity, "password": "wrong password"},
            headers={"X-Forwarded-For": address},
        )
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert_too_many(response)
            break
    assert statuses[-1] == 429, statuses
