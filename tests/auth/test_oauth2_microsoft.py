"""OAuth2 sign-in with Microsoft end to end against a local provider shaped like the Microsoft identity
platform (v2.0 authorize/token) and Graph's ``/v1.0/me``, next to GitHub in the same stack."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from .provider import GitHubLike, MicrosoftLike, MicrosoftProfile, authorize_in_browser
from .stack import Stack, auth_header

REDIRECT = "https://app.example/redirect"


@pytest.fixture(scope="module")
async def microsoft() -> AsyncIterator[MicrosoftLike]:
    server = MicrosoftLike()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture(scope="module")
async def github() -> AsyncIterator[GitHubLike]:
    server = GitHubLike()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture(scope="module")
def auth_env(microsoft: MicrosoftLike, github: GitHubLike) -> dict[str, str]:
    return {**github.settings(), **microsoft.settings()}


async def _providers(stack: Stack) -> dict[str, dict[str, Any]]:
    response = await stack.client.get("/api/collections/users/auth-methods")
    assert response.status_code == 200, response.text
    return {p["name"]: p for p in response.json()["authProviders"]}


async def _sign_in(stack: Stack, microsoft: MicrosoftLike, profile: MicrosoftProfile) -> Any:
    info = (await _providers(stack))["microsoft"]
    landed = await authorize_in_browser(stack.client, microsoft, info, profile, REDIRECT)
    assert landed["state"] == info["state"]
    return await stack.client.post(
        "/api/collections/users/auth-with-oauth2",
        json={
            "provider": "microsoft",
            "code": landed["code"],
            "codeVerifier": info["codeVerifier"],
            "redirectURL": REDIRECT,
            "state": landed["state"],
        },
    )


async def test_auth_methods_lists_microsoft_when_configured(stack: Stack, microsoft: MicrosoftLike) -> None:
    methods = (await stack.client.get("/api/collections/users/auth-methods")).json()
    assert [p["name"] for p in methods["authProviders"]] == ["github", "microsoft"]
    assert methods["oauth2"]["enabled"] is True
    assert methods["oauth2"]["providers"] == methods["authProviders"]
    info = next(p for p in methods["authProviders"] if p["name"] == "microsoft")
    assert info["displayName"] == "Microsoft"
    assert info["authUrl"].startswith(f"{microsoft.url}/common/oauth2/v2.0/authorize?")
    assert info["authUrl"].endswith("&redirect_uri=")
    query = parse_qs(urlsplit(info["authUrl"]).query)
    assert query["scope"] == ["User.Read"]
    assert query["response_type"] == ["code"]
    assert query["code_challenge"] == [info["codeChallenge"]]
    assert query["state"] == [info["state"]]


async def test_new_user_is_created_via_microsoft_then_signed_in_again(stack: Stack, microsoft: MicrosoftLike) -> None:
    ada = MicrosoftProfile(
        id="87d349ed-44d7-43e1-9a83-5f2406dee5bd",
        displayName="Ada Lovelace",
        mail="ada@contoso.example",
        userPrincipalName="ada@contoso.onmicrosoft.example",
    )
    first = await _sign_in(stack, microsoft, ada)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["meta"]["isNew"] is True
    assert body["meta"]["id"] == ada.id
    assert body["meta"]["name"] == "Ada Lovelace"
    assert body["meta"]["rawUser"]["userPrincipalName"] == ada.userPrincipalName
    record = body["record"]
    assert record["email"] == "ada@contoso.example"  # Graph's `mail`
    assert record["name"] == "Ada Lovelace"  # Graph's `displayName`
    assert record["username"]  # Microsoft has no login name: one is generated
    # A tenant may set `mail` without proving it, so the address does not count as verified.
    assert record["verified"] is False
    exchange = microsoft.token_requests[-1]
    assert exchange["grant_type"] == "authorization_code"
    assert exchange["redirect_uri"] == REDIRECT
    assert exchange["code_verifier"]
    own = await stack.client.get(f"/api/collections/users/records/{record['id']}", headers=auth_header(body["token"]))
    assert own.status_code == 200

    # The identity is linked: the same Microsoft account signs in to the same user, even with a new address.
    moved = MicrosoftProfile(
        id=ada.id, displayName="Ada King", mail="ada@lovelace.example", userPrincipalName=ada.userPrincipalName
    )
    again = await _sign_in(stack, microsoft, moved)
    assert again.status_code == 200, again.text
    assert again.json()["meta"]["isNew"] is False
    assert again.json()["record"]["id"] == record["id"]


async def test_an_unverified_microsoft_address_never_takes_over_an_account(
    stack: Stack, microsoft: MicrosoftLike
) -> None:
    existing = await stack.sign_up("grace@navy.example")
    impostor = MicrosoftProfile(
        id="f00dfeedf00dfeed",
        displayName="Not Grace",
        mail="grace@navy.example",
        userPrincipalName="not-grace@outlook.example",
    )
    refused = await _sign_in(stack, microsoft, impostor)
    assert refused.status_code == 400
    assert refused.json()["data"]["email"]["code"] == "validation_invalid_email"
    token, record = await stack.login("grace@navy.example")
    assert record["id"] == existing["id"]
    assert token


async def test_a_refused_code_exchange_fails_the_sign_in(stack: Stack, microsoft: MicrosoftLike) -> None:
    mallory = MicrosoftProfile(
        id="0123456789abcdef",
        displayName="Mallory",
        mail="mallory@contoso.example",
        userPrincipalName="mallory@contoso.example",
    )
    info = (await _providers(stack))["microsoft"]
    landed = await authorize_in_browser(stack.client, microsoft, info, mallory, REDIRECT)
    # The code was issued for REDIRECT; Microsoft refuses it for another redirect URI (400 invalid_grant).
    wrong = await stack.client.post(
        "/api/collections/users/auth-with-oauth2",
        json={
            "provider": "microsoft",
            "code": landed["code"],
            "codeVerifier": info["codeVerifier"],
            "redirectURL": "https://elsewhere.example/cb",
        },
    )
    assert wrong.status_code == 400
    assert wrong.json()["message"] == "Failed to authenticate."
    assert microsoft.token_requests[-1]["redirect_uri"] == "https://elsewhere.example/cb"
