"""Tenant isolation: every route of the edge, WebSocket and realtime topic, asked by nobody, another user,
the owner and a superuser, gets what the matrix says.

The routes come from the application itself (``create_app(...).routes``), so a route added without a row in
``matrix.ROWS`` fails ``test_every_route_has_a_row``; the realtime topics come from the records collections
(``COLLECTION_IDS``) and ``TOPICS`` must name each.

Absence of a realtime message is proven without waiting a fixed time: after the owner's changes, a change
the other user may see is made last, and once it has reached that user every earlier change would have too
(the edge handles a client's messages in order, and drops a guest's at once).
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import orjson
import pytest
from fastapi.routing import _IncludedRouter
from starlette.routing import BaseRoute, Route, WebSocketRoute
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from oneclick_core.contracts.records import COLLECTION_IDS
from oneclick_edge.app import create_app
from oneclick_edge.context import EdgeContext
from oneclick_edge.settings import EdgeSettings
from oneclick_testing.sse import RealtimeConnection
from oneclick_testing.waiting import eventually

from .matrix import BLIND, ID_KEY, ROWS, SEES, Row, everyone, roles
from .world import Role, World

# A WebSocket refusal closes with 4000 + the HTTP status it stands for.
CLOSE_BASE = 4000


def _walk(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, str]]:
    for route in routes:
        if isinstance(route, _IncludedRouter):
            yield from _walk(route.original_router.routes, prefix + route.include_context.prefix)
        elif isinstance(route, WebSocketRoute):
            yield "WS", prefix + route.path
        elif isinstance(route, Route):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                yield method, prefix + route.path


def app_routes() -> set[tuple[str, str]]:
    """(method, path template) of every HTTP route and WebSocket of the edge, aliases included."""
    app = create_app(EdgeContext(settings=EdgeSettings(), rpc=None, instance="matrix", version="0"))
    return set(_walk(app.routes))


def test_every_route_has_a_row() -> None:
    routes = app_routes()
    covered = {row.route for row in ROWS}
    assert sorted(routes - covered) == [], "routes without a row in tests/isolation/matrix.py"
    assert sorted(covered - routes) == [], "rows of routes the edge no longer has"
    ids = [row.id for row in ROWS]
    assert len(ids) == len(set(ids)), "two rows make the same request"


def _fill(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format_map(names) if "{" in value else value
    if isinstance(value, dict):
        return {key: _fill(item, names) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, names) for item in value]
    return value


def _client(world: World, row: Row, role: Role, names: dict[str, str]) -> httpx.AsyncClient:
    if role in row.acting:
        return world.platform.client_with(names["target_token"])
    return world.client(role)


async def _http(world: World, row: Row, role: Role, names: dict[str, str]) -> tuple[int, str, str]:
    """(status, body, content type) of the request; of a stream, what arrived first."""
    client = _client(world, row, role, names)
    kwargs: dict[str, Any] = {}
    if row.files is not None:
        kwargs["files"] = row.files
        kwargs["data"] = _fill(row.json or {}, names)
    elif row.json is not None:
        kwargs["json"] = _fill(row.json, names)
    async with client.stream(row.method, _fill(row.path, names), **kwargs) as response:
        kind = response.headers.get("content-type", "")
        if kind.startswith(("text/event-stream", "text/plain")):
            body = ""
            async for chunk in response.aiter_text():
                body += chunk
                break
        else:
            body = (await response.aread()).decode(errors="replace")
    return response.status_code, body, kind


async def _socket(world: World, row: Row, role: Role, names: dict[str, str]) -> tuple[int, str, str]:
    """200 and the first frame when the socket serves; else the status its close code stands for."""
    url = world.platform.url.replace("http://", "ws://") + row.path
    token = world.token(role)
    if token is not None:
        url += f"?token={token}"
    async with connect(url, open_timeout=10) as socket:
        await socket.send(orjson.dumps(_fill(row.json, names)).decode())
        try:
            frame = await socket.recv()
        except ConnectionClosed:
            code = socket.close_code or 0
            return code - CLOSE_BASE if code >= CLOSE_BASE else code, socket.close_reason or "", "close"
        return 200, frame if isinstance(frame, str) else frame.decode(), "frame"


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.id)
async def test_route(world: World, row: Row) -> None:
    outcomes: dict[Role, str] = {}
    for role in Role:
        names = {**world.ids, "nonce": secrets.token_hex(4)}
        if row.fresh is not None:
            names.update(await row.fresh(world, role))
        probe = _socket if row.method == "WS" else _http
        status, body, kind = await probe(world, row, role, names)
        expected = row.expect[role]
        marker = names[row.marker] if row.marker else None
        problem = _judge(expected, status, body, kind, marker)
        if role in (Role.ANONYMOUS, Role.OTHER) and world.ids["email"] in body and row.json is None:
            problem = problem or "the owner's email is in the answer"
        if problem is None and row.survives and not 200 <= status < 300:
            problem = await _intact(world, _fill(row.survives, names), f"intruder-{names['nonce']}")
        outcomes[role] = f"{status}: {problem} ({body[:200]})" if problem else "ok"
    failed = {role.value: outcome for role, outcome in outcomes.items() if outcome != "ok"}
    assert failed == {}, row.id


def _judge(expected: int | str, status: int, body: str, kind: str, marker: str | None) -> str | None:
    if isinstance(expected, int):
        if status != expected:
            return f"expected {expected}"
        if status >= 400 and kind.startswith("application/json"):
            shape = orjson.loads(body)
            if set(shape) != {"status", "message", "data"} or shape["status"] != status:
                return "error not in PocketBase's shape"
        return None
    if not 200 <= status < 300:
        return f"expected a success that {expected}"
    assert marker is not None
    if expected == SEES and marker not in body:
        return "the owner's record is missing"
    if expected == BLIND and marker in body:
        return "the owner's record leaked"
    return None


async def _intact(world: World, path: str, change: str) -> str | None:
    """A refused write left the owner's record there (as a superuser sees it), without the refused change."""
    response = await world.superuser.client.get(path)
    if response.status_code != 200:
        return f"the owner's record is gone after a refused write ({response.status_code})"
    if change in response.text:
        return "a refused write changed the owner's record"
    return None


# -- realtime topics -----------------------------------------------------------------------------------------

HEARS, DEAF = True, False
# Every collection's records are private to their owner (the world's blueprint is a private one).
TOPICS = {
    **{collection: roles(DEAF, DEAF, HEARS, HEARS) for collection in COLLECTION_IDS},
    # An OAuth2 redirect reaches the one client that started the flow, whoever else listens.
    "@oauth2": everyone(DEAF),
}
# What the owner changes in each collection ({nonce}: a new value every time).
CHANGES = {
    "projects": {"description": "{nonce}"},
    "deployments": {"name": "{nonce}"},
    "rollouts": {"hide": "{flip}"},
    "autoUpdates": {"pattern": "^{nonce}$"},
    "blueprints": {"description": "{nonce}"},
}


def test_every_topic_has_a_row() -> None:
    assert set(TOPICS) == {*COLLECTION_IDS, "@oauth2"}
    assert set(CHANGES) == set(COLLECTION_IDS)


@pytest.fixture
async def listeners(world: World) -> AsyncIterator[dict[Role, RealtimeConnection]]:
    opened = {role: await RealtimeConnection.open(world.platform.client) for role in Role}
    yield opened
    for connection in opened.values():
        await connection.close()


def _topics(world: World) -> list[str]:
    found = []
    for collection, collection_id in COLLECTION_IDS.items():
        record = world.ids[ID_KEY[collection]]
        found += [f"{collection}/*", f"{collection}/{record}", f"{collection_id}/*"]
    return [*found, "@oauth2"]


def _of(topics: list[str], collection: str) -> set[str]:
    return {topic for topic in topics if topic.split("/")[0] in (collection, COLLECTION_IDS[collection])}


async def test_record_changes_reach_whom_the_matrix_says(
    world: World, listeners: dict[Role, RealtimeConnection]
) -> None:
    topics = _topics(world)
    for role, connection in listeners.items():
        subscribed = await world.client(role).post(
            "/api/realtime", json={"clientId": connection.client_id, "subscriptions": topics}
        )
        assert subscribed.status_code == 204, subscribed.text
    for collection, change in CHANGES.items():
        path = f"/api/collections/{collection}/records/{world.ids[ID_KEY[collection]]}"
        hidden = (await world.owner.client.get(path)).json().get("hide")
        changed = await world.owner.client.patch(
            path,
            json={
                key: (not hidden) if value == "{flip}" else value.format(nonce=secrets.token_hex(4))
                for key, value in change.items()
            },
        )
        assert changed.status_code == 200, changed.text
    # The other user's own project, made last: when it has reached them, so would have anything before it.
    sentinel = await world.other.client.post("/api/collections/projects/records", json={"name": "sentinel"})
    assert sentinel.status_code == 200, sentinel.text

    def heard(role: Role, collection: str) -> set[str]:
        record = world.ids[ID_KEY[collection]]
        return {
            topic
            for topic in _of(topics, collection)
            for message in listeners[role].events(topic)
            if message["record"]["id"] == record
        }

    def everyone_entitled_heard() -> bool:
        return all(
            heard(role, collection) == _of(topics, collection)
            for collection in COLLECTION_IDS
            for role in Role
            if TOPICS[collection][role] is HEARS
        )

    try:
        await eventually(everyone_entitled_heard, message="the owner and the superuser hear every change")
    except AssertionError:
        raise AssertionError(
            {(role.value, c): sorted(heard(role, c)) for c in COLLECTION_IDS for role in Role}
        ) from None
    await eventually(
        lambda: any(m["record"]["id"] == sentinel.json()["id"] for m in listeners[Role.OTHER].events("projects/*")),
        message="the other user hears of its own project",
    )
    for collection in COLLECTION_IDS:
        for role in Role:
            if TOPICS[collection][role] is DEAF:
                assert heard(role, collection) == set(), (collection, role)
    # A guest's connection hears nothing at all, and the other user nothing but its own project.
    assert [event for event, _ in listeners[Role.ANONYMOUS].messages] == ["PB_CONNECT"]
    assert {m["record"]["id"] for _, m in listeners[Role.OTHER].messages[1:]} == {sentinel.json()["id"]}


async def test_an_oauth2_redirect_reaches_only_the_client_that_started_it(
    world: World, listeners: dict[Role, RealtimeConnection]
) -> None:
    for role, connection in listeners.items():
        subscribed = await world.client(role).post(
            "/api/realtime", json={"clientId": connection.client_id, "subscriptions": ["@oauth2"]}
        )
        assert subscribed.status_code == 204, subscribed.text
    for role, connection in listeners.items():
        redirect = await world.platform.client.get(
            "/api/oauth2-redirect", params={"state": connection.client_id, "code": role.name}
        )
        assert redirect.status_code == 200, redirect.text
    for role, connection in listeners.items():
        await eventually(lambda c=connection: bool(c.events("@oauth2")), message=f"{role} gets its redirect")
        assert connection.events("@oauth2") == [{"state": connection.client_id, "code": role.name}]
