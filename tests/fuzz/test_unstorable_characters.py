"""Characters PostgreSQL cannot store (NUL, a lone UTF-16 surrogate) are a 400 naming the field, on every
route, never a 500: ``%00`` in each path parameter of every route the edge serves (hidden aliases included), in
query parameters, in every field of every collection (JSON and multipart), in a manifest value, in a login
identity and the other auth forms, and in the first message of every live WebSocket (closed with 4400).

Before the edge refused them, these were 35 distinct handler crashes (asyncpg ``CharacterNotInRepertoireError``
for a NUL in text, ``UntranslatableCharacterError`` for ``\\u0000`` in jsonb, a serializer crash for a
surrogate). The property-based sweep over the OpenAPI document is ``test_unstorable_fuzz.py``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute, APIWebSocketRoute
from starlette.routing import BaseRoute
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from oneclick_core.storable import INVALID_CHARACTERS
from oneclick_edge.app import create_app
from oneclick_edge.context import EdgeContext
from oneclick_edge.settings import EdgeSettings
from oneclick_testing.platform import Platform, User
from oneclick_testing.records import create

Json = dict[str, Any]
NUL, SURROGATE = "\x00", "\ud800"
BAD_BYTES = [NUL, SURROGATE]
BAD_IDS = ["nul", "surrogate"]
BAD_REQUEST_CLOSE = 4400


def _routes(routes: list[BaseRoute]) -> Iterator[BaseRoute]:
    """Every route of the edge, the ones left out of its document too (FastAPI keeps an included router whole,
    as its ``original_router``)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _routes(inner.routes)
        else:
            yield route


APP = create_app(EdgeContext(settings=EdgeSettings(), rpc=None, instance="fuzz", version="0"))  # type: ignore[arg-type]
HTTP_ROUTES = [route for route in _routes(APP.routes) if isinstance(route, APIRoute)]
WEBSOCKETS = sorted({route.path for route in _routes(APP.routes) if isinstance(route, APIWebSocketRoute)})
PATH_CASES = [
    (method, route.path, name)
    for route in HTTP_ROUTES
    for method in sorted(route.methods or ())
    for name in re.findall(r"{(\w+)", route.path)
]


def encoded(body: Json) -> bytes:
    """JSON with every non-ASCII character escaped, as ``json.dumps`` writes it: the only way to send a lone
    surrogate (``\\ud800``), and how many clients send every other."""
    return json.dumps(body).encode()


def assert_refused(response: httpx.Response, field: str) -> None:
    assert response.status_code == 400, f"{field}: {response.status_code} {response.text}"
    error = response.json()
    assert set(error) == {"status", "message", "data"}
    assert error["status"] == 400
    assert field in error["data"], (field, error)
    assert error["data"][field]["code"] == INVALID_CHARACTERS, error
    assert set(error["data"][field]) == {"code", "message"}


@pytest.fixture(scope="module")
async def records(user: User) -> dict[str, str]:
    """Ids of the fuzzer's own records, so that only the refused characters stand between a request and the
    services."""
    blueprint = (await user.client.get("/api/collections/blueprints/records")).json()["items"][0]["id"]
    manifest = (await user.client.get(f"/pb/blueprints/{blueprint}")).json()["manifest"]
    project = (await create(user, "projects", name="unstorable"))["id"]
    deployment = (await create(user, "deployments", name="web", project=project))["id"]
    rollout = (await create(user, "rollouts", project=project, deployment=deployment, manifest=manifest))["id"]
    auto_update = (await create(user, "autoUpdates", project=project, deployment=deployment, interval="1h"))["id"]
    own_blueprint = (await create(user, "blueprints", name="mine", manifest=manifest))["id"]
    return {
        "project_id": project,
        "ref_id": deployment,
        "blueprint_id": blueprint,
        "auto_update_id": auto_update,
        "pod_name": f"{deployment}-0",
        "job_name": "cleanup-1",
        "filename": "avatar.png",
        "collection": "projects",
        "record_id": project,
        "projects": project,
        "deployments": deployment,
        "rollouts": rollout,
        "autoUpdates": auto_update,
        "blueprints": own_blueprint,
        "users": user.id,
    }


@pytest.mark.parametrize(("method", "path", "name"), PATH_CASES, ids=[" ".join(case) for case in PATH_CASES])
async def test_nul_in_any_path_parameter_is_400_naming_it(
    user: User, records: dict[str, str], method: str, path: str, name: str
) -> None:
    url = re.sub(r"{(\w+)(:\w+)?}", lambda m: "a%00b" if m[1] == name else records[m[1]], path)
    response = await user.client.request(method, url, json={} if method in ("POST", "PATCH") else None)
    assert_refused(response, name)


@pytest.mark.parametrize("parameter", ["page", "perPage", "sort", "filter", "expand", "fields", "skipTotal"])
async def test_nul_in_a_query_parameter_is_400_naming_it(user: User, parameter: str) -> None:
    response = await user.client.get("/api/collections/projects/records", params={parameter: "a\x00b"})
    assert_refused(response, parameter)
    anonymous_view = await user.client.get(
        "/api/collections/projects/records/x", params={"expand": "\x00"}, headers={"Authorization": ""}
    )
    assert_refused(anonymous_view, "expand")


# Every field a client sends to a collection (docs/records.md, docs/auth.md); a list field gets the value in
# its first item. Fields a collection does not have are checked the same way: the edge cannot know.
RECORD_FIELDS = [
    "name",
    "description",
    "tags",
    "avatar",
    "project",
    "deployment",
    "blueprint",
    "hide",
    "startDate",
    "endDate",
    "interval",
    "pattern",
    "policy",
    "private",
    "owner",
    "user",
    "users",
    "users+",
    "users-",
    "manifest",
]
USER_FIELDS = ["email", "username", "name", "emailVisibility", "password", "passwordConfirm", "oldPassword"]
LISTS = {"tags", "users", "users+", "users-"}
COLLECTIONS = {
    "projects": RECORD_FIELDS,
    "deployments": RECORD_FIELDS,
    "rollouts": RECORD_FIELDS,
    "blueprints": RECORD_FIELDS,
    "autoUpdates": RECORD_FIELDS,
    "users": USER_FIELDS,
}


def _field_value(field: str, bad: str) -> tuple[Any, str]:
    """The value that puts ``bad`` into ``field``, and the name the error gives."""
    if field in LISTS:
        return [f"x{bad}"], f"{field}.0"
    if field == "manifest":
        return {
            "apiVersion": "one-click.dev/v1alpha1",
            "kind": "Rollout",
            "spec": {"env": [{"name": "MODE", "value": f"a{bad}b"}]},
        }, "manifest.spec.env.0.value"
    return f"a{bad}b", field


@pytest.mark.parametrize("collection", list(COLLECTIONS))
@pytest.mark.parametrize("bad", BAD_BYTES, ids=BAD_IDS)
async def test_every_text_field_of_every_collection_is_400_naming_it(
    user: User, records: dict[str, str], collection: str, bad: str
) -> None:
    for field in COLLECTIONS[collection]:
        value, name = _field_value(field, bad)
        body = {"name": "fine", field: value}
        for method, url in (
            ("POST", f"/api/collections/{collection}/records"),
            ("PATCH", f"/api/collections/{collection}/records/{records[collection]}"),
        ):
            response = await user.client.request(
                method, url, content=encoded(body), headers={"Content-Type": "application/json"}
            )
            assert_refused(response, name)
            # The PocketBase SDK's multipart form: files as parts, everything else in @jsonPayload.
            form = await user.client.request(
                method, url, data={"@jsonPayload": json.dumps(body)}, files={"avatar": ("a.png", b"\x89PNG\x00\x00")}
            )
            assert_refused(form, name)


@pytest.mark.parametrize("collection", list(COLLECTIONS))
async def test_multipart_values_and_file_names_are_400_naming_them(
    user: User, records: dict[str, str], collection: str
) -> None:
    url = f"/api/collections/{collection}/records/{records[collection]}"
    boundary = "unstorable"

    def part(disposition: str, content: bytes) -> bytes:
        return f"--{boundary}\r\nContent-Disposition: form-data; {disposition}\r\n\r\n".encode() + content + b"\r\n"

    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    for field in COLLECTIONS[collection]:
        value = part(f'name="{field}"', b"a\x00b") + f"--{boundary}--\r\n".encode()
        assert_refused(await user.client.patch(url, content=value, headers=headers), field)
    manifest = json.dumps({"spec": {"image": {"tag": "1\x00"}}}).encode()  # a json field sent as text
    assert_refused(
        await user.client.patch(
            url, content=part('name="manifest"', manifest) + f"--{boundary}--\r\n".encode(), headers=headers
        ),
        "manifest.spec.image.tag",
    )
    file_name = part('name="avatar"; filename="a\x00.png"', b"\x89PNG") + f"--{boundary}--\r\n".encode()
    assert_refused(await user.client.patch(url, content=file_name, headers=headers), "avatar")


@pytest.mark.parametrize("bad", BAD_BYTES, ids=BAD_IDS)
@pytest.mark.parametrize("collection", ["rollouts", "blueprints"])
async def test_a_manifest_value_anywhere_is_400_naming_its_path(
    user: User, records: dict[str, str], bad: str, collection: str
) -> None:
    manifest = (await user.client.get(f"/pb/blueprints/{records['blueprint_id']}")).json()["manifest"]
    spec = manifest["spec"]
    cases: list[tuple[Json, str]] = [
        ({**spec, "env": [{"name": "MODE", "value": f"x{bad}"}]}, "manifest.spec.env.0.value"),
        ({**spec, "image": {**spec["image"], "tag": f"1.{bad}"}}, "manifest.spec.image.tag"),
        ({**spec, "nodeSelector": {f"disk{bad}": "ssd"}}, "manifest.spec.nodeSelector.disk\ufffd"),
        ({**spec, "command": ["sh", "-c", f"echo {bad}"]}, "manifest.spec.command.2"),
    ]
    for changed, name in cases:
        body = {
            "project": records["project_id"],
            "deployment": records["ref_id"],
            "name": "m",
            "manifest": {**manifest, "spec": changed},
        }
        response = await user.client.post(
            f"/api/collections/{collection}/records",
            content=encoded(body),
            headers={"Content-Type": "application/json"},
        )
        assert_refused(response, name)
        # A manifest as JSON text in a JSON body: the records service would parse it.
        as_text = await user.client.post(
            f"/api/collections/{collection}/records",
            content=encoded({**body, "manifest": json.dumps(body["manifest"])}),
            headers={"Content-Type": "application/json"},
        )
        assert_refused(as_text, name)


AUTH_FORMS: list[tuple[str, Json, str]] = [
    ("/api/collections/users/auth-with-password", {"identity": "a{}@example.com", "password": "x"}, "identity"),
    ("/api/collections/users/auth-with-password", {"identity": "a@example.com", "password": "x{}"}, "password"),
    ("/api/collections/_superusers/auth-with-password", {"identity": "r{}@example.com", "password": "x"}, "identity"),
    ("/api/admins/auth-with-password", {"identity": "r{}@example.com", "password": "x"}, "identity"),
    ("/api/collections/users/request-password-reset", {"email": "a{}@example.com"}, "email"),
    (
        "/api/collections/users/confirm-password-reset",
        {"token": "t{}", "password": "p", "passwordConfirm": "p"},
        "token",
    ),
    ("/api/collections/users/request-verification", {"email": "a{}@example.com"}, "email"),
    ("/api/collections/users/confirm-verification", {"token": "t{}"}, "token"),
    (
        "/api/collections/users/auth-with-oauth2",
        {"provider": "github{}", "code": "c", "codeVerifier": "v", "redirectURL": "https://app.example/"},
        "provider",
    ),
    (
        "/api/collections/users/auth-with-oauth2",
        {
            "provider": "github",
            "code": "c",
            "codeVerifier": "v",
            "redirectURL": "https://app.example/",
            "createData": {"name": "n{}"},
        },
        "createData.name",
    ),
    ("/api/collections/users/auth-refresh", {"anything": "x{}"}, "anything"),
    (
        "/api/collections/users/records",
        {"email": "new{}@example.com", "password": "12345678", "passwordConfirm": "12345678"},
        "email",
    ),
    (
        "/api/collections/users/records",
        {"email": "new@example.com", "password": "12345678", "passwordConfirm": "12345678", "name": "N{}"},
        "name",
    ),
    ("/api/realtime", {"clientId": "c{}", "subscriptions": []}, "clientId"),
    ("/api/realtime", {"clientId": "c", "subscriptions": ["projects{}"]}, "subscriptions.0"),
]


@pytest.mark.parametrize("bad", BAD_BYTES, ids=BAD_IDS)
@pytest.mark.parametrize(
    ("path", "template", "field"), AUTH_FORMS, ids=[f"{path} {field}" for path, _, field in AUTH_FORMS]
)
async def test_login_identities_and_other_auth_forms_are_400_naming_the_field(
    platform: Platform, user: User, path: str, template: Json, field: str, bad: str
) -> None:
    body = json.loads(json.dumps(template).replace("{}", json.dumps(bad)[1:-1]))
    for client in (platform.client, user.client):  # anonymous and signed in
        response = await client.post(path, content=encoded(body), headers={"Content-Type": "application/json"})
        assert_refused(response, field)
    if bad == NUL and all(isinstance(value, str) for value in body.values()):
        form = await platform.client.post(path, data=body)  # urlencoded, as a plain HTML form sends it
        assert_refused(form, field)


async def test_an_oauth2_redirect_form_is_400_naming_the_field(platform: Platform) -> None:
    response = await platform.client.post("/api/oauth2-redirect", data={"state": "s\x00", "code": "c"})
    assert_refused(response, "state")
    assert_refused(await platform.client.get("/api/oauth2-redirect", params={"code": "c\x00"}), "code")


# What each live socket's first message holds, and the field of it that gets the refused character.
LIVE_REQUESTS = {
    "/ws/k8s/rollouts": ({"projectId": "{p}", "deploymentId": "{d}"}, "projectId"),
    "/ws/k8s/deployments": ({"projectId": "{p}", "deploymentId": "{d}"}, "deploymentId"),
    "/ws/k8s/logs": ({"rolloutId": "{p}", "podName": "web-0", "container": "c"}, "container"),
    "/ws/k8s/events": ({"rolloutId": "{p}", "kind": "Pod", "name": "web-0"}, "name"),
}


def test_every_live_socket_is_covered() -> None:
    assert sorted(LIVE_REQUESTS) == WEBSOCKETS


@pytest.mark.parametrize("path", sorted(LIVE_REQUESTS))
@pytest.mark.parametrize("field_kind", ["named", "token"])
async def test_a_live_sockets_first_message_closes_with_4400_naming_the_field(
    platform: Platform, user: User, records: dict[str, str], path: str, field_kind: str
) -> None:
    template, field = LIVE_REQUESTS[path]
    request = {
        key: value.replace("{p}", records["project_id"]).replace("{d}", records["ref_id"])
        for key, value in template.items()
    }
    if field_kind == "token":
        request["token"], field = user.token + "\x00", "token"
    else:
        request[field] += "\x00"
    url = platform.url.replace("http://", "ws://") + path + ("" if field_kind == "token" else f"?token={user.token}")
    async with connect(url, open_timeout=10) as connection:
        await connection.send(json.dumps(request))
        await connection.wait_closed()
        assert connection.close_code == BAD_REQUEST_CLOSE
        assert (connection.close_reason or "").startswith(f"Invalid {field}:"), connection.close_reason


@pytest.mark.parametrize("path", WEBSOCKETS)
async def test_a_live_sockets_handshake_query_is_400_naming_it(platform: Platform, path: str) -> None:
    url = platform.url.replace("http://", "ws://") + path + "?token=%00"
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, open_timeout=10):
            pass
    assert refused.value.response.status_code == 400
    error = json.loads(refused.value.response.body or b"{}")
    assert error["data"]["token"]["code"] == INVALID_CHARACTERS


async def test_a_charset_that_spells_a_surrogate_is_400_naming_the_field(user: User) -> None:
    # UTF-7 is the one charset Python decodes into a lone surrogate ("+2AA-" is U+D800).
    body = b'--b\r\nContent-Disposition: form-data; name="name"\r\n\r\n+2AA-\r\n--b--\r\n'
    response = await user.client.post(
        "/api/collections/projects/records",
        content=body,
        headers={"Content-Type": "multipart/form-data; boundary=b; charset=utf-7"},
    )
    assert_refused(response, "name")


async def test_invalid_utf8_is_read_as_storable_text_and_never_a_500(user: User, records: dict[str, str]) -> None:
    """Servers decode invalid UTF-8 in a URL or a urlencoded form into U+FFFD, and multipart names and values as
    Latin-1 when they are no UTF-8: text PostgreSQL stores, so nothing to refuse, and nothing may crash."""
    multipart = (
        b'--b\r\nContent-Disposition: form-data; name="name"\r\n\r\n\xed\xa0\x80\xff\r\n'
        b'--b\r\nContent-Disposition: form-data; name="avatar"; filename="\xff\xfe.png"\r\n\r\nx\r\n--b--\r\n'
    )
    responses = [
        await user.client.get("/api/collections/projects/records/%FF%ED%A0%80"),
        await user.client.get("/api/collections/projects/records?filter=name%3D%27%ED%A0%80%27&sort=%FF"),
        await user.client.get(f"/rollouts/{records['project_id']}/%C0%AF/status"),
        await user.client.post(
            "/api/collections/projects/records",
            content=b"name=%ED%A0%80%FF",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
        await user.client.patch(
            f"/api/collections/projects/records/{records['project_id']}",
            content=multipart,
            headers={"Content-Type": "multipart/form-data; boundary=b"},
        ),
    ]
    for response in responses:
        assert response.status_code < 500, (response.request.url, response.text)
        assert INVALID_CHARACTERS not in response.text
