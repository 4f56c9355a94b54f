"""OAuth2 sign-in end to end against a local GitHub-shaped provider: create, link, state and PKCE checks."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from oneclick_testing.platform import PASSWORD

from .provider import GitHubLike, Profile, authorize_in_browser
from .stack import Stack, auth_header

REDIRECT = "https://app.example/redirect"


@pytest.fixture(scope="module")
async def provider() -> AsyncIterator[GitHubLike]:
    server = GitHubLike()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture(scope="module")
def auth_env(provider: GitHubLike) -> dict[str, str]:
    return provider.settings()


async def _github(stack: Stack) -> dict[str, Any]:
    methods = (
        await stack.client.get("/api/collections/users/auth-methods", params={"fields": "mfa,otp,password,oauth2"})
    ).json()
    [github] = methods["authProviders"]
    return dict(github)


async def _authorize(stack: Stack, provider: GitHubLike, info: dict[str, Any], profile: Profile) -> dict[str, str]:
    return await authorize_in_browser(stack.client, provider, info, profile, REDIRECT)


async def _finish(stack: Stack, info: dict[str, Any], code: str, **extra: Any) -> Any:
    return await stack.client.post(
        "/api/collections/users/auth-with-oauth2",
        json={
            "provider": "github",
            "code": code,
            "codeVerifier": info["codeVerifier"],
            "redirectURL": REDIRECT,
            **extra,
        },
    )


async def test_auth_methods_lists_the_enabled_provider_in_both_shapes(stack: Stack, provider: GitHubLike) -> None:
    methods = (
        await stack.client.get("/api/collections/users/auth-methods", params={"fields": "mfa,otp,password,oauth2"})
    ).json()
    assert methods["usernamePassword"] is True
    assert methods["emailPassword"] is True
    assert methods["password"] == {"enabled": True, "identityFields": ["email", "username"]}
    assert methods["oauth2"]["enabled"] is True
    [github] = methods["authProviders"]
    assert methods["oauth2"]["providers"] == [github]
    assert github["name"] == "github"
    assert github["displayName"] == "GitHub"
    assert github["authUrl"] == github["authURL"]
    assert github["authUrl"].startswith(f"{provider.url}/login/oauth/authorize?")
    assert github["authUrl"].endswith("&redirect_uri=")
    query = parse_qs(urlsplit(github["authUrl"]).query)
    assert query["state"] == [github["state"]]
    assert query["code_challenge"] == [github["codeChallenge"]]
    digest = hashlib.sha256(github["codeVerifier"].encode()).digest()
    assert github["codeChallenge"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert github["codeChallengeMethod"] == "S256"
    superusers = (await stack.client.get("/api/collections/_superusers/auth-methods")).json()
    assert superusers["authProviders"] == []


async def test_new_user_is_created_then_signed_in_again(stack: Stack, provider: GitHubLike) -> None:
    octo = Profile(
        id=101,
        login="octo-cat",
        name="Octo Cat",
        email=None,
        emails=[
            {"email": "old@octo.example", "primary": False, "verified": True},
            {"email": "octo@octo.example", "primary": True, "verified": True},
        ],
    )
    info = await _github(stack)
    landed = await _authorize(stack, provider, info, octo)
    assert landed["state"] == info["state"]
    first = await _finish(stack, info, landed["code"], state=landed["state"])
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["meta"]["isNew"] is True
    assert body["meta"]["email"] == "octo@octo.example"
    assert body["meta"]["avatarUrl"] == f"{provider.url}/avatars/101"
    assert body["record"]["email"] == "octo@octo.example"
    assert body["record"]["username"] == "octo-cat"
    assert body["record"]["name"] == "Octo Cat"
    assert body["record"]["verified"] is True
    assert provider.token_requests[-1]["code_verifier"] == info["codeVerifier"]
    own = await stack.client.get(
        f"/api/collections/users/records/{body['record']['id']}", headers=auth_header(body["token"])
    )
    assert own.status_code == 200

    again_info = await _github(stack)
    again = await _finish(stack, again_info, (await _authorize(stack, provider, again_info, octo))["code"])
    assert again.status_code == 200, again.text
    assert again.json()["meta"]["isNew"] is False
    assert again.json()["record"]["id"] == body["record"]["id"]


async def test_existing_email_is_linked(stack: Stack, provider: GitHubLike) -> None:
    existing = await stack.sign_up("linus@kernel.example")
    linus = Profile(id=202, login="torvalds", name="Linus", email="linus@kernel.example")
    info = await _github(stack)
    linked = await _finish(stack, info, (await _authorize(stack, provider, info, linus))["code"])
    assert linked.status_code == 200, linked.text
    assert linked.json()["record"]["id"] == existing["id"]
    assert linked.json()["meta"]["isNew"] is False
    assert linked.json()["record"]["verified"] is True  # the provider vouched for the address
    _, record = await stack.login("linus@kernel.example", PASSWORD)  # the password still works too
    assert record["id"] == existing["id"]


async def test_pkce_mismatch_is_rejected(stack: Stack, provider: GitHubLike) -> None:
    eve = Profile(id=303, login="eve", name="Eve", email="eve@example.com")
    first, second = await _github(stack), await _github(stack)
    landed = await _authorize(stack, provider, first, eve)
    # The code was issued for the first challenge; the second verifier (also one we issued) does not fit it.
    swapped = await _finish(stack, second, landed["code"])
    assert swapped.status_code == 400
    assert swapped.json()["message"] == "Failed to authenticate."
    assert provider.token_requests[-1]["code_verifier"] == second["codeVerifier"]


async def test_state_mismatch_and_unknown_or_reused_verifiers_are_rejected(stack: Stack, provider: GitHubLike) -> None:
    mallory = Profile(id=404, login="mallory", name="Mallory", email="mallory@example.com")
    exchanges = len(provider.token_requests)
    info, other = await _github(stack), await _github(stack)
    landed = await _authorize(stack, provider, info, mallory)
    wrong_state = await _finish(stack, info, landed["code"], state=other["state"])
    assert wrong_state.status_code == 400
    assert wrong_state.json()["data"] == {
        "state": {"code": "validation_invalid_state", "message": "The state does not match."}
    }
    # The verifier was consumed by that attempt: it cannot be tried again, even with the right state.
    reused = await _finish(stack, info, landed["code"], state=landed["state"])
    assert reused.status_code == 400
    assert reused.json()["data"]["codeVerifier"]["code"] == "validation_invalid_code_verifier"
    made_up = await _finish(stack, {"codeVerifier": "x" * 43}, landed["code"])
    assert made_up.json()["data"]["codeVerifier"]["code"] == "validation_invalid_code_verifier"
    assert len(provider.token_requests) == exchanges  # none of these reached the provider
    missing = await stack.client.post("/api/collections/users/auth-with-oauth2", json={"provider": "gitlab"})
    assert missing.status_code == 400
    assert set(missing.json()["data"]) == {"provider", "code", "codeVerifier", "redirectURL"}
