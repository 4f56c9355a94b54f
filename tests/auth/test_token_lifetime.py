"""The token lifetime settings: ``exp - iat`` of issued tokens follows them (the default, 14 days, is
checked in test_signup_and_login)."""

from __future__ import annotations

import jwt
import pytest

from oneclick_testing.platform import SUPERUSER

from .stack import Stack, auth_header

USER_LIFETIME = 600
SUPERUSER_LIFETIME = 900


@pytest.fixture(scope="module")
def auth_env() -> dict[str, str]:
    return {"ONECLICK_TOKEN_LIFETIME": str(USER_LIFETIME), "ONECLICK_SUPERUSER_TOKEN_LIFETIME": str(SUPERUSER_LIFETIME)}


def _lifetime(token: str) -> int:
    claims = jwt.decode(token, options={"verify_signature": False})
    return int(claims["exp"]) - int(claims["iat"])


async def test_configured_lifetimes_set_exp(stack: Stack) -> None:
    user = await stack.sign_up("short-lived@example.com")
    token, _ = await stack.login("short-lived@example.com")
    assert _lifetime(token) == USER_LIFETIME
    # Still a token the edge accepts, and refreshing keeps the configured lifetime.
    path = f"/api/collections/users/records/{user['id']}"
    assert (await stack.client.get(path, headers=auth_header(token))).status_code == 200
    refreshed = await stack.client.post("/api/collections/users/auth-refresh", headers=auth_header(token))
    assert refreshed.status_code == 200
    assert _lifetime(refreshed.json()["token"]) == USER_LIFETIME

    email, password = SUPERUSER
    root = await stack.client.post(
        "/api/collections/_superusers/auth-with-password", json={"identity": email, "password": password}
    )
    assert root.status_code == 200, root.text
    assert _lifetime(root.json()["token"]) == SUPERUSER_LIFETIME
