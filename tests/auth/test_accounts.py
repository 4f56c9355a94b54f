"""One's own record: view, update, password change, delete; nobody else's; revocation on every replica."""

from __future__ import annotations

import struct
import zlib
from collections.abc import AsyncIterator

import httpx
import pytest

from oneclick_cli.processes import free_port
from oneclick_testing.platform import PASSWORD, SUPERUSER
from oneclick_testing.waiting import eventually

from .stack import Stack, auth_header


def _png() -> bytes:
    """A valid 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00\x00\x00\x00\x00"))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
async def second_edge(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    """Another edge replica on the same bus: it learns of revocations only through user events."""
    port = free_port()
    await stack.services.start("edge", env={"ONECLICK_HTTP_PORT": str(port)})
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=15) as client:
        yield client


async def test_a_user_cannot_read_or_change_another_user(stack: Stack) -> None:
    alice = await stack.sign_up("alice@example.com")
    await stack.sign_up("bob@example.com")
    bob_token, _ = await stack.login("bob@example.com")
    path = f"/api/collections/users/records/{alice['id']}"

    seen = await stack.client.get(path, headers=auth_header(bob_token))
    changed = await stack.client.patch(path, json={"name": "pwned"}, headers=auth_header(bob_token))
    deleted = await stack.client.delete(path, headers=auth_header(bob_token))
    avatar = await stack.client.get(f"/api/files/users/{alice['id']}/x.png", headers=auth_header(bob_token))
    for response in (seen, changed, deleted, avatar):
        assert response.status_code == 404
        assert response.json() == {"status": 404, "message": "The requested resource wasn't found.", "data": {}}
        assert "alice" not in response.text

    anonymous = await stack.client.get(path)
    assert anonymous.status_code == 401
    alice_token, record = await stack.login("alice@example.com")
    assert record["name"] == "alice"  # untouched
    assert (await stack.client.get(path, headers=auth_header(alice_token))).json() == record


async def test_update_own_profile_and_field_errors(stack: Stack) -> None:
    user = await stack.sign_up("carol@example.com")
    token, _ = await stack.login("carol@example.com")
    path = f"/api/collections/users/records/{user['id']}"
    updated = await stack.client.patch(
        path, json={"name": "Carol", "emailVisibility": True, "username": "carol_c"}, headers=auth_header(token)
    )
    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert (body["name"], body["emailVisibility"], body["username"]) == ("Carol", True, "carol_c")
    assert body["updated"] >= user["updated"]

    invalid = await stack.client.patch(
        path, json={"username": "no spaces", "verified": True, "email": "other@example.com"}, headers=auth_header(token)
    )
    assert invalid.status_code == 400
    assert invalid.json()["message"] == "Failed to update record."
    assert set(invalid.json()["data"]) == {"username", "verified", "email"}
    again = await stack.client.get(path, headers=auth_header(token))
    assert again.json()["username"] == "carol_c"  # nothing of the invalid update was written
    assert again.json()["verified"] is False


async def test_password_change_needs_old_password_and_revokes_tokens_on_every_replica(
    stack: Stack, second_edge: httpx.AsyncClient
) -> None:
    user = await stack.sign_up("dave@example.com")
    token, _ = await stack.login("dave@example.com")
    path = f"/api/collections/users/records/{user['id']}"
    assert (await second_edge.get(path, headers=auth_header(token))).status_code == 200

    missing_old = await stack.client.patch(
        path, json={"password": "new password 1", "passwordConfirm": "new password 1"}, headers=auth_header(token)
    )
    assert missing_old.status_code == 400
    assert missing_old.json()["data"] == {"oldPassword": {"code": "validation_required", "message": "Cannot be blank."}}
    wrong_old = await stack.client.patch(
        path,
        json={"oldPassword": "nope nope", "password": "new password 1", "passwordConfirm": "new password 1"},
        headers=auth_header(token),
    )
    assert wrong_old.json()["data"]["oldPassword"]["code"] == "validation_invalid_old_password"
    assert (await stack.client.get(path, headers=auth_header(token))).status_code == 200  # still valid

    changed = await stack.client.patch(
        path,
        json={"oldPassword": PASSWORD, "password": "new password 1", "passwordConfirm": "new password 1"},
        headers=auth_header(token),
    )
    assert changed.status_code == 200, changed.text
    # The replica that made the change rejects the old token at once; the other once the event arrives.
    assert (await stack.client.get(path, headers=auth_header(token))).status_code == 401

    async def rejected_on_second_replica() -> bool:
        return (await second_edge.get(path, headers=auth_header(token))).status_code == 401

    await eventually(rejected_on_second_replica, message="old token still accepted by the second edge")
    old_login = await stack.client.post(
        "/api/collections/users/auth-with-password", json={"identity": "dave@example.com", "password": PASSWORD}
    )
    assert old_login.status_code == 400
    new_token, _ = await stack.login("dave@example.com", "new password 1")
    assert (await second_edge.get(path, headers=auth_header(new_token))).status_code == 200


async def test_logout_all_and_delete_revoke_tokens(stack: Stack, second_edge: httpx.AsyncClient) -> None:
    user = await stack.sign_up("erin@example.com")
    first, _ = await stack.login("erin@example.com")
    path = f"/api/collections/users/records/{user['id']}"
    out = await stack.client.post("/api/collections/users/auth-logout-all", headers=auth_header(first))
    assert out.status_code == 204
    assert (await stack.client.get(path, headers=auth_header(first))).status_code == 401

    second, _ = await stack.login("erin@example.com")
    assert (await second_edge.get(path, headers=auth_header(second))).status_code == 200
    gone = await stack.client.delete(path, headers=auth_header(second))
    assert gone.status_code == 204
    assert (await stack.client.get(path, headers=auth_header(second))).status_code == 401

    async def rejected_on_second_replica() -> bool:
        return (await second_edge.get(path, headers=auth_header(second))).status_code == 401

    await eventually(rejected_on_second_replica, message="deleted user's token still accepted by the second edge")
    login = await stack.client.post(
        "/api/collections/users/auth-with-password", json={"identity": "erin@example.com", "password": PASSWORD}
    )
    assert login.status_code == 400


async def test_auth_refresh_issues_a_new_token_for_the_same_user(stack: Stack) -> None:
    user = await stack.sign_up("frank@example.com")
    token, _ = await stack.login("frank@example.com")
    refreshed = await stack.client.post("/api/collections/users/auth-refresh", headers=auth_header(token))
    assert refreshed.status_code == 200
    assert refreshed.json()["record"]["id"] == user["id"]
    assert set(refreshed.json()) == {"token", "record"}
    anonymous = await stack.client.post("/api/collections/users/auth-refresh")
    assert anonymous.status_code == 401
    wrong_collection = await stack.client.post("/api/collections/_superusers/auth-refresh", headers=auth_header(token))
    assert wrong_collection.status_code == 401


async def test_avatar_upload_is_served_to_its_owner_only(stack: Stack) -> None:
    user = await stack.sign_up("gina@example.com")
    await stack.sign_up("hank@example.com")
    token, _ = await stack.login("gina@example.com")
    other, _ = await stack.login("hank@example.com")
    path = f"/api/collections/users/records/{user['id']}"
    uploaded = await stack.client.patch(
        path, files={"avatar": ("Me Photo.png", _png(), "image/png")}, data={"name": "Gina"}, headers=auth_header(token)
    )
    assert uploaded.status_code == 200, uploaded.text
    filename = uploaded.json()["avatar"]
    assert filename.startswith("me_photo_")
    assert filename.endswith(".png")
    assert uploaded.json()["name"] == "Gina"

    url = f"/api/files/users/{user['id']}/{filename}"
    served = await stack.client.get(url, headers=auth_header(token))
    assert served.status_code == 200
    assert served.content == _png()
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    by_collection_id = await stack.client.get(
        f"/api/files/_pb_users_auth_/{user['id']}/{filename}", params={"token": token}
    )
    assert by_collection_id.status_code == 200
    assert (await stack.client.get(url)).status_code == 401
    assert (await stack.client.get(url, headers=auth_header(other))).status_code == 404

    for name, content, claimed in (
        ("evil.svg", b"<svg onload=alert(1)>", "image/svg+xml"),
        ("evil.png", b"<html><script>alert(1)</script>", "image/png"),
    ):
        not_an_image = await stack.client.patch(
            path, files={"avatar": (name, content, claimed)}, headers=auth_header(token)
        )
        assert not_an_image.status_code == 400
        assert not_an_image.json()["data"]["avatar"]["code"] == "validation_invalid_mime_type"
    removed = await stack.client.patch(path, json={"avatar": None}, headers=auth_header(token))
    assert removed.json()["avatar"] == ""
    assert (await stack.client.get(url, headers=auth_header(token))).status_code == 404


async def test_superuser_login_works_and_user_login_does_not_grant_it(stack: Stack) -> None:
    user = await stack.sign_up("ivan@example.com")
    email, password = SUPERUSER
    superuser = await stack.client.post(
        "/api/collections/_superusers/auth-with-password", json={"identity": email, "password": password}
    )
    assert superuser.status_code == 200, superuser.text
    assert superuser.json()["record"]["collectionName"] == "_superusers"
    assert superuser.json()["record"]["email"] == email
    root = superuser.json()["token"]
    # A superuser sees and changes any user.
    seen = await stack.client.get(f"/api/collections/users/records/{user['id']}", headers=auth_header(root))
    assert seen.status_code == 200
    verified = await stack.client.patch(
        f"/api/collections/users/records/{user['id']}", json={"verified": True}, headers=auth_header(root)
    )
    assert verified.json()["verified"] is True
    legacy = await stack.client.post("/api/admins/auth-with-password", json={"identity": email, "password": password})
    assert legacy.status_code == 200
    assert set(legacy.json()) == {"token", "admin"}

    # A user's credentials do not open the superusers collection, nor the reverse.
    as_superuser = await stack.client.post(
        "/api/collections/_superusers/auth-with-password", json={"identity": "ivan@example.com", "password": PASSWORD}
    )
    assert as_superuser.status_code == 400
    as_user = await stack.client.post(
        "/api/collections/users/auth-with-password", json={"identity": email, "password": password}
    )
    assert as_user.status_code == 400
    token, record = await stack.login("ivan@example.com")
    assert record["collectionName"] == "users"
    someone = await stack.sign_up("judy@example.com")
    assert (
        await stack.client.get(f"/api/collections/users/records/{someone['id']}", headers=auth_header(token))
    ).status_code == 404


async def test_unknown_collections_have_no_auth_routes(stack: Stack) -> None:
    response = await stack.client.post(
        "/api/collections/projects/auth-with-password", json={"identity": "a@example.com", "password": PASSWORD}
    )
    assert response.status_code == 404
    assert set(response.json()) == {"status", "message", "data"}
