"""A provider whose profile spells characters PostgreSQL cannot store (``\\u0000``, a lone ``\\ud800``): the
sign-in never answers 500. A name is cleaned and the account created; an email that holds them is refused
with the usual "Failed to authenticate." (cleaned, it could be another account's address)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import Response

from .provider import GitHubLike, Profile, authorize_in_browser
from .stack import Stack

REDIRECT = "https://app.example/redirect"


class UnstorableGitHub(GitHubLike):
    """GitHub's ``/user`` written by ``json.dumps``, which escapes a NUL and a lone surrogate alike."""

    async def _user(self, request: Request) -> Response:
        profile = self._profile(request)
        if profile is None:
            return Response(status_code=401)
        return Response(
            json.dumps(
                {
                    "id": profile.id,
                    "login": profile.login,
                    "name": profile.name,
                    "email": profile.email,
                    "avatar_url": f"{self.url}/avatars/\x00{profile.id}",
                }
            ),
            media_type="application/json",
        )


@pytest.fixture(scope="module")
async def provider() -> AsyncIterator[UnstorableGitHub]:
    server = UnstorableGitHub()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture(scope="module")
def auth_env(provider: UnstorableGitHub) -> dict[str, str]:
    return provider.settings()


async def _sign_in(stack: Stack, provider: UnstorableGitHub, profile: Profile) -> Any:
    methods = (await stack.client.get("/api/collections/users/auth-methods")).json()
    [info] = methods["authProviders"]
    landed = await authorize_in_browser(stack.client, provider, info, profile, REDIRECT)
    return await stack.client.post(
        "/api/collections/users/auth-with-oauth2",
        json={
            "provider": "github",
            "code": landed["code"],
            "codeVerifier": info["codeVerifier"],
            "redirectURL": REDIRECT,
            "state": landed["state"],
        },
    )


async def test_a_name_with_unstorable_characters_is_cleaned(stack: Stack, provider: UnstorableGitHub) -> None:
    response = await _sign_in(
        stack, provider, Profile(id=901, login="nul\x00-cat", name="Nul\x00 Cat\ud800", email="nul-cat@example.com")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["record"]["name"] == "Nul Cat"
    assert body["record"]["email"] == "nul-cat@example.com"
    assert body["meta"]["rawUser"]["name"] == "Nul Cat"
    assert "\x00" not in body["meta"]["avatarUrl"]


@pytest.mark.parametrize("email", ["nul\x00@example.com", "\ud800@example.com"], ids=["nul", "surrogate"])
async def test_an_email_with_unstorable_characters_is_refused(
    stack: Stack, provider: UnstorableGitHub, email: str
) -> None:
    response = await _sign_in(stack, provider, Profile(id=902, login="nul-mail", name="Nul Mail", email=email))
    assert response.status_code == 400, response.text
    assert response.json()["message"] == "Failed to authenticate."
