"""PocketBase's realtime protocol on the edge: SSE, subscriptions, rules per subscriber, several replicas."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import orjson
import pytest

from oneclick_cli.processes import free_port
from oneclick_testing.platform import Platform
from oneclick_testing.records import create
from oneclick_testing.sse import RealtimeConnection


@pytest.fixture
async def sse(platform: Platform) -> AsyncIterator[list[RealtimeConnection]]:
    opened: list[RealtimeConnection] = []
    yield opened
    for connection in opened:
        await connection.close()


async def open_sse(client: httpx.AsyncClient, opened: list[RealtimeConnection]) -> RealtimeConnection:
    connection = await RealtimeConnection.open(client)
    opened.append(connection)
    return connection


async def subscribe(client: httpx.AsyncClient, client_id: str, *topics: str) -> httpx.Response:
    return await client.post("/api/realtime", json={"clientId": client_id, "subscriptions": list(topics)})


async def test_subscribers_receive_their_own_changes_only(platform: Platform, sse: list[RealtimeConnection]) -> None:
    alice, bob = await platform.new_user("alice"), await platform.new_user("bob")
    alice_stream = await open_sse(platform.client, sse)
    bob_stream = await open_sse(platform.client, sse)
    assert (await subscribe(alice.client, alice_stream.client_id, "projects/*")).status_code == 204
    assert (await subscribe(bob.client, bob_stream.client_id, "projects/*")).status_code == 204

    project = await create(alice, "projects", name="live")
    event, data = await alice_stream.next()
    assert event == "projects/*"
    assert data["action"] == "create"
    assert data["record"]["id"] == project["id"]
    assert data["record"]["name"] == "live"

    await alice.client.patch(f"/api/collections/projects/records/{project['id']}", json={"name": "renamed"})
    assert (await alice_stream.next())[1]["record"]["name"] == "renamed"
    await alice.client.delete(f"/api/collections/projects/records/{project['id']}")
    deleted = (await alice_stream.next())[1]
    assert deleted["action"] == "delete"
    assert deleted["record"]["id"] == project["id"]

    assert await bob_stream.nothing_for(1.0)


async def test_record_topics_and_options(platform: Platform, sse: list[RealtimeConnection]) -> None:
    alice = await platform.new_user("alice")
    shop = await create(alice, "projects", name="shop")
    other = await create(alice, "projects", name="other")
    stream = await open_sse(platform.client, sse)
    options = orjson.dumps({"query": {"fields": "id,name"}}).decode()
    topic = f"projects/{shop['id']}?options={options}"
    assert (await subscribe(alice.client, stream.client_id, topic)).status_code == 204

    await alice.client.patch(f"/api/collections/projects/records/{other['id']}", json={"name": "ignored"})
    await alice.client.patch(f"/api/collections/projects/records/{shop['id']}", json={"name": "shop 2"})
    event, data = await stream.next()
    assert event == topic
    assert data == {"action": "update", "record": {"id": shop["id"], "name": "shop 2"}}


def with_options(topic: str, **query: str) -> str:
    """A topic carrying subscription options the way the SDK encodes them."""
    return f"{topic}?options={orjson.dumps({'query': query}).decode()}"


async def test_subscription_filter_lets_only_matching_records_through(
    platform: Platform, sse: list[RealtimeConnection]
) -> None:
    alice = await platform.new_user("alice")
    stream = await open_sse(platform.client, sse)
    topic = with_options("projects/*", filter="name ~ 'keep'")
    assert (await subscribe(alice.client, stream.client_id, topic)).status_code == 204

    dropped = await create(alice, "projects", name="drop-1")
    kept = await create(alice, "projects", name="keep-1")
    # Events reach the client in order, so the first message proves the non-matching create was skipped.
    event, data = await stream.next()
    assert event == topic
    assert (data["action"], data["record"]["id"]) == ("create", kept["id"])

    # An update that leaves a record unmatched is not sent; one that makes it match is. The edge reads the
    # record's current state for each event, so the first is checked alone before the second is made.
    await alice.client.patch(f"/api/collections/projects/records/{dropped['id']}", json={"description": "x"})
    assert await stream.nothing_for(1.0)
    await alice.client.patch(f"/api/collections/projects/records/{dropped['id']}", json={"name": "keep-2"})
    event, data = await stream.next()
    assert (data["action"], data["record"]["id"], data["record"]["name"]) == ("update", dropped["id"], "keep-2")
    await alice.client.patch(f"/api/collections/projects/records/{kept['id']}", json={"name": "gone"})
    assert await stream.nothing_for(1.0)


async def test_subscription_expand_delivers_the_related_record(
    platform: Platform, sse: list[RealtimeConnection]
) -> None:
    alice = await platform.new_user("alice")
    shop = await create(alice, "projects", name="shop")
    stream = await open_sse(platform.client, sse)
    topic = with_options("deployments/*", expand="project,blueprint")
    plain = "projects/*"
    assert (await subscribe(alice.client, stream.client_id, topic, plain)).status_code == 204

    web = await create(alice, "deployments", name="web", project=shop["id"], blueprint="bpnginx00000000")
    event, data = await stream.next()
    assert event == topic
    assert data["action"] == "create"
    assert data["record"]["id"] == web["id"]
    assert data["record"]["expand"]["project"]["id"] == shop["id"]
    assert data["record"]["expand"]["project"]["name"] == "shop"
    assert data["record"]["expand"]["blueprint"]["name"] == "nginx"

    # Options belong to one subscription: the plain one on projects gets no expand.
    await alice.client.patch(f"/api/collections/projects/records/{shop['id']}", json={"name": "shop 2"})
    event, data = await stream.next()
    assert event == plain
    assert data["record"]["name"] == "shop 2"
    assert "expand" not in data["record"]


async def test_subscriptions_work_through_another_edge_replica(
    platform: Platform, sse: list[RealtimeConnection]
) -> None:
    alice = await platform.new_user("alice")
    port = free_port()
    second = await platform.services.start("edge", env={"ONECLICK_HTTP_PORT": str(port)})
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as replica:
            stream = await open_sse(replica, sse)
            # The POST reaches the first replica; the SSE connection lives on the second.
            assert (await subscribe(alice.client, stream.client_id, "projects/*")).status_code == 204
            project = await create(alice, "projects", name="across")
            assert (await stream.next())[1]["record"]["id"] == project["id"]
            # Closed before the replica stops: its stream must not outlive it.
            for connection in sse:
                await connection.close()
            sse.clear()
    finally:
        second.stop()


async def test_unknown_client_and_changing_identity_are_refused(
    platform: Platform, sse: list[RealtimeConnection]
) -> None:
    alice, bob = await platform.new_user("alice"), await platform.new_user("bob")
    missing = await subscribe(alice.client, "x" * 40, "projects/*")
    assert missing.status_code == 404
    assert missing.json()["message"] == "Missing or invalid client id."
    stream = await open_sse(platform.client, sse)
    assert (await subscribe(alice.client, stream.client_id, "projects/*")).status_code == 204
    hijack = await subscribe(bob.client, stream.client_id, "projects/*")
    assert hijack.status_code == 403


async def test_oauth2_redirect_reaches_the_subscribed_client(platform: Platform, sse: list[RealtimeConnection]) -> None:
    stream = await open_sse(platform.client, sse)
    # The SDK subscribes before opening the provider's page; the client id is the OAuth2 state.
    assert (await subscribe(platform.client, stream.client_id, "@oauth2")).status_code == 204
    page = await platform.client.get("/api/oauth2-redirect", params={"state": stream.client_id, "code": "abc"})
    assert page.status_code == 200
    assert "Authentication completed" in page.text
    assert await stream.next() == ("@oauth2", {"state": stream.client_id, "code": "abc"})
    # The topic is used once: a replayed redirect finds no client waiting.
    again = await platform.client.get("/api/oauth2-redirect", params={"state": stream.client_id, "code": "abc"})
    assert again.status_code == 400
    unknown = await platform.client.get("/api/oauth2-redirect", params={"state": "nobody", "code": "abc"})
    assert unknown.status_code == 400
