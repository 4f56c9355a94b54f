"""Bodies and uploads above the edge's limits are refused with 413 in PocketBase's shape, and nothing is
written; bodies within them (a 5 MB avatar) still go through."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import pytest

from oneclick_testing.platform import Platform, User

MB = 1024 * 1024
TOO_LARGE = {"status": 413, "message": "Request entity too large.", "data": {}}
# A 1x1 transparent PNG.
PIXEL = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")
BODY_PATHS = [
    "/api/collections/projects/records",
    "/api/collections/users/records",
    "/api/collections/users/auth-with-password",
    "/api/realtime",
    "/api/oauth2-redirect",
]


async def _projects(user: User) -> int:
    total: int = (await user.client.get("/api/collections/projects/records")).json()["totalItems"]
    return total


@pytest.mark.parametrize("path", BODY_PATHS)
async def test_a_body_above_the_limit_is_413(user: User, path: str) -> None:
    before = await _projects(user)
    huge = b'{"name": "' + b"x" * (20 * MB) + b'"}'
    response = await user.client.post(path, content=huge, headers={"Content-Type": "application/json"})
    assert (response.status_code, response.json()) == (413, TOO_LARGE)
    assert await _projects(user) == before


async def test_a_chunked_body_without_a_length_is_cut_off_at_the_limit(user: User) -> None:
    before = await _projects(user)

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "'
        for _ in range(64):
            yield b"x" * MB
        yield b'"}'

    response = await user.client.post(
        "/api/collections/projects/records", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert (response.status_code, response.json()) == (413, TOO_LARGE)
    assert await _projects(user) == before


@pytest.mark.parametrize("collection", ["projects", "users"])
async def test_an_upload_above_the_limit_is_413_and_one_within_it_is_stored(user: User, collection: str) -> None:
    before = await _projects(user)
    path = f"/api/collections/users/records/{user.id}" if collection == "users" else "/api/collections/projects/records"
    send = user.client.patch if collection == "users" else user.client.post
    refused = await send(
        path, data={"name": "big"}, files={"avatar": ("big.png", PIXEL + b"\0" * (7 * MB), "image/png")}
    )
    assert (refused.status_code, refused.json()) == (413, TOO_LARGE)
    assert await _projects(user) == before
    if collection == "projects":
        within = await send(
            path, data={"name": "fits"}, files={"avatar": ("fits.png", PIXEL + b"\0" * (4 * MB), "image/png")}
        )
        assert within.status_code == 200, within.text
        stored = await user.client.get(f"/api/files/projects/{within.json()['id']}/{within.json()['avatar']}")
        assert len(stored.content) == len(PIXEL) + 4 * MB


async def test_the_limit_holds_for_anonymous_requests(platform: Platform) -> None:
    response = await platform.client.post(
        "/api/collections/users/records", content=b"x" * (8 * MB), headers={"Content-Type": "application/json"}
    )
    assert (response.status_code, response.json()) == (413, TOO_LARGE)
