"""The edge's check for characters PostgreSQL cannot store: each part of a request on its own, then the real
application answering 400 with the named fields before it calls any service (it has no RPC client here: a
request that got past the check would fail with a 500). The live WebSockets are tested against the real
platform (``tests/fuzz/test_unstorable_characters.py``)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.datastructures import Headers

from oneclick_core.storable import INVALID_CHARACTERS
from oneclick_edge.app import create_app
from oneclick_edge.characters import form_fields, json_fields, message_fields, path_fields, query_fields
from oneclick_edge.context import EdgeContext
from oneclick_edge.settings import EdgeSettings

BOUNDARY = "x-boundary"
MULTIPART = Headers({"content-type": f"multipart/form-data; boundary={BOUNDARY}"})
URLENCODED = Headers({"content-type": "application/x-www-form-urlencoded"})


def multipart(*parts: tuple[bytes, bytes], charset: str | None = None) -> tuple[Headers, bytes]:
    """A multipart body of (Content-Disposition parameters, content) parts."""
    body = b"".join(
        b"--"
        + BOUNDARY.encode()
        + b"\r\nContent-Disposition: form-data; "
        + disposition
        + b"\r\n\r\n"
        + content
        + b"\r\n"
        for disposition, content in parts
    )
    content_type = f"multipart/form-data; boundary={BOUNDARY}" + (f"; charset={charset}" if charset else "")
    return Headers({"content-type": content_type}), body + b"--" + BOUNDARY.encode() + b"--\r\n"


def test_path_parameters_are_named() -> None:
    assert path_fields({"collection": "projects", "record_id": "a\x00b"}) == ["record_id"]
    assert path_fields({"project_id": "p", "pod_name": "web-0"}) == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (b"", []),
        (b"filter=name%3D%27x%27&sort=-created", []),
        (b"page=%001", ["page"]),
        (b"a=1&fields=id%00,name&fields=ok", ["fields"]),
        (b"na%00me=1", ["na\ufffdme"]),
        (b"x=%ED%A0%80", []),  # decoded with replacement characters, which PostgreSQL stores
    ],
)
def test_query_parameters_are_named(query: bytes, expected: list[str]) -> None:
    assert query_fields(query) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"name": "web", "tags": ["a"]}', []),
        (b'{"name": "caf\\u00e9 \\ud83d\\ude00"}', []),  # escapes of storable characters, a valid pair
        (b'{"name": "a\\u0000b"}', ["name"]),
        (b'{"name": "\\ud800"}', ["name"]),
        (b'{"name": "\\uDFFF"}', ["name"]),
        (b'{"name": "\xed\xa0\x80"}', ["name"]),  # UTF-8's form of a surrogate
        (b'{"k\\u0000": 1}', ["k\ufffd"]),
        (b'{"manifest": {"spec": {"env": [{"name": "A", "value": "\\u0000"}]}}}', ["manifest.spec.env.0.value"]),
        (b'{"manifest": "{\\"spec\\": {\\"command\\": [\\"\\\\u0000\\"]}}"}', ["manifest.spec.command.0"]),
        (b'"\\u0000"', ["body"]),
        (b'[{"a": "\\u0000"}]', ["0.a"]),
        (b'{"name": "a\\u0000', []),  # no JSON: the handler refuses it
        (b'{"text": "a\\\\u0000b"}', []),  # an escaped backslash: the text \u0000, not a NUL
    ],
)
def test_json_bodies_name_the_dotted_path(body: bytes, expected: list[str]) -> None:
    assert json_fields(body) == expected


async def test_urlencoded_forms_name_the_field() -> None:
    assert await form_fields(URLENCODED, b"name=web&description=fine") == []
    assert await form_fields(URLENCODED, b"name=we%00b&description=fine") == ["name"]
    assert await form_fields(URLENCODED, b"identity=a%00b%40example.com&password=x") == ["identity"]
    manifest = json.dumps({"spec": {"env": [{"name": "A", "value": "\x00"}]}})
    assert await form_fields(URLENCODED, httpx.QueryParams({"manifest": manifest}).__str__().encode()) == [
        "manifest.spec.env.0.value"
    ]


async def test_multipart_forms_name_values_file_names_and_the_json_payload() -> None:
    assert (
        await form_fields(
            *multipart((b'name="name"', b"web"), (b'name="avatar"; filename="a.png"', b"\x89PNG\x00\x00\x00"))
        )
        == []
    )
    assert await form_fields(*multipart((b'name="name"', b"w\x00eb"))) == ["name"]
    assert await form_fields(*multipart((b'name="avatar"; filename="a\x00.png"', b"png"))) == ["avatar"]
    payload = b'{"manifest": {"spec": {"args": ["\\u0000"]}}, "tags": ["\\ud800"]}'
    assert sorted(await form_fields(*multipart((b'name="@jsonPayload"', payload)))) == [
        "manifest.spec.args.0",
        "tags.0",
    ]
    # A charset the form declares decodes the values: UTF-7 can spell a lone surrogate.
    assert await form_fields(*multipart((b'name="name"', b"+2AA-"), charset="utf-7")) == ["name"]


async def test_an_unreadable_form_is_left_to_the_handler() -> None:
    assert await form_fields(MULTIPART, b"not multipart at all \x00") == []


def test_websocket_messages_name_the_field() -> None:
    assert message_fields({"projectId": "p", "deploymentId": "d"}) == []
    assert message_fields({"projectId": "p\x00", "token": "t"}) == ["projectId"]


@pytest.fixture
async def edge() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(EdgeContext(settings=EdgeSettings(), rpc=None, instance="test", version="0"))  # type: ignore[arg-type]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://edge"
    ) as client:
        yield client


def _refused(response: httpx.Response, *fields: str) -> None:
    assert response.status_code == 400, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"status", "message", "data"}
    assert body["status"] == 400
    assert set(body["data"]) == set(fields)
    for problem in body["data"].values():
        assert problem["code"] == INVALID_CHARACTERS


async def test_the_edge_refuses_before_calling_any_service(edge: httpx.AsyncClient) -> None:
    _refused(await edge.get("/api/collections/projects/records/abc%00"), "record_id")
    _refused(await edge.delete("/rollouts/p%00/web-0"), "project_id")
    _refused(await edge.get("/api/collections/projects/records?filter=%00&sort=ok"), "filter")
    _refused(
        await edge.post(
            "/api/collections/projects/records",
            content=b'{"name": "\\u0000"}',
            headers={"content-type": "application/json"},
        ),
        "name",
    )
    _refused(
        await edge.post(
            "/api/collections/users/auth-with-password", json={"identity": "a\x00@example.com", "password": "x"}
        ),
        "identity",
    )
    _refused(
        await edge.post(
            "/api/realtime",
            content=b'{"clientId": "c", "subscriptions": ["\\ud800"]}',
            headers={"content-type": "application/json"},
        ),
        "subscriptions.0",
    )
    headers, body = multipart((b'name="name"', b"fine"), (b'name="avatar"; filename="a\x00.png"', b"png"))
    _refused(
        await edge.patch("/api/collections/users/records/u%00?expand=%00", content=body, headers=headers),
        "record_id",
        "expand",
        "avatar",
    )


async def test_the_edge_lets_clean_requests_through(edge: httpx.AsyncClient) -> None:
    # No RPC client: a request past the check fails further on, with anything but the check's 400.
    response = await edge.post("/api/collections/projects/records", json={"name": "caf\u00e9 \U0001f600"})
    assert response.status_code != 400 or INVALID_CHARACTERS not in response.text
    assert (await edge.get("/api/health")).status_code != 400
