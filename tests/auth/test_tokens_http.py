"""The edge accepts only tokens auth signed with EdDSA under a published key, unexpired and meant for auth."""

from __future__ import annotations

import base64
import hmac

import jwt
import orjson
import pytest
from cryptography.hazmat.primitives import serialization

from oneclick_core.tokens import SUPERUSERS_COLLECTION_ID, SigningKey

from .stack import Stack, auth_header, current_signing_key, mint

UNAUTHORIZED = {"status": 401, "message": "The request requires valid record authorization token.", "data": {}}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def _me(stack: Stack, user_id: str, token: str) -> int:
    response = await stack.client.get(f"/api/collections/users/records/{user_id}", headers=auth_header(token))
    if response.status_code == 401:
        assert response.json() == UNAUTHORIZED
    return response.status_code


async def test_a_valid_token_works_raw_and_as_bearer(stack: Stack) -> None:
    user = await stack.sign_up("valid@example.com")
    token, _ = await stack.login("valid@example.com")
    assert await _me(stack, str(user["id"]), token) == 200
    bearer = await stack.client.get(
        f"/api/collections/users/records/{user['id']}", headers={"Authorization": f"Bearer {token}"}
    )
    assert bearer.status_code == 200
    assert bearer.json()["id"] == user["id"]
    missing = await stack.client.get(f"/api/collections/users/records/{user['id']}")
    assert missing.status_code == 401


async def test_tampered_token_is_rejected(stack: Stack) -> None:
    victim = await stack.sign_up("victim@example.com")
    await stack.sign_up("mallory@example.com")
    token, _ = await stack.login("mallory@example.com")
    header, payload, signature = token.split(".")
    claims = orjson.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = claims["id"] = victim["id"]
    forged = f"{header}.{_b64(orjson.dumps(claims))}.{signature}"
    assert await _me(stack, str(victim["id"]), forged) == 401


async def test_expired_token_is_rejected(stack: Stack) -> None:
    user = await stack.sign_up("expired@example.com")
    key = await current_signing_key(stack.database.url)
    assert await _me(stack, str(user["id"]), mint(key, str(user["id"]))) == 200  # the minted token is sound
    assert await _me(stack, str(user["id"]), mint(key, str(user["id"]), lifetime=-10)) == 401


async def test_alg_none_is_rejected(stack: Stack) -> None:
    user = await stack.sign_up("none@example.com")
    key = await current_signing_key(stack.database.url)
    claims = jwt.decode(mint(key, str(user["id"])), options={"verify_signature": False})
    unsigned = f"{_b64(orjson.dumps({'alg': 'none', 'typ': 'JWT', 'kid': key.kid}))}.{_b64(orjson.dumps(claims))}."
    assert await _me(stack, str(user["id"]), unsigned) == 401


async def test_hs256_signed_with_the_public_key_is_rejected(stack: Stack) -> None:
    user = await stack.sign_up("confused@example.com")
    token, _ = await stack.login("confused@example.com")
    jwks = (await stack.client.get("/api/.well-known/jwks.json")).json()
    kid = jwt.get_unverified_header(token)["kid"]
    jwk = next(k for k in jwks["keys"] if k["kid"] == kid)
    public = jwt.algorithms.OKPAlgorithm.from_jwk(jwk)
    claims = jwt.decode(token, options={"verify_signature": False})
    for secret in (
        public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
        public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw),
        orjson.dumps(jwk),
    ):
        signing_input = f"{_b64(orjson.dumps({'alg': 'HS256', 'typ': 'JWT', 'kid': kid}))}.{_b64(orjson.dumps(claims))}"
        signature = hmac.new(secret, signing_input.encode(), "sha256").digest()
        assert await _me(stack, str(user["id"]), f"{signing_input}.{_b64(signature)}") == 401


async def test_unknown_kid_is_rejected(stack: Stack) -> None:
    user = await stack.sign_up("stranger@example.com")
    outsider = SigningKey.generate()
    assert await _me(stack, str(user["id"]), mint(outsider, str(user["id"]))) == 401
    # A key that claims a published kid but is not that key fails the signature check.
    token, _ = await stack.login("stranger@example.com")
    impostor = SigningKey(kid=jwt.get_unverified_header(token)["kid"], private_key=outsider.private_key)
    assert await _me(stack, str(user["id"]), mint(impostor, str(user["id"]))) == 401


@pytest.mark.parametrize("token_type", ["passwordReset", "verification", "authRecord", "admin"])
async def test_tokens_for_other_purposes_do_not_authenticate(stack: Stack, token_type: str) -> None:
    user = await stack.sign_up(f"{token_type.lower()}@example.com")
    key = await current_signing_key(stack.database.url)
    assert await _me(stack, str(user["id"]), mint(key, str(user["id"]), token_type=token_type)) == 401


async def test_a_user_token_claiming_superuser_collection_is_rejected(stack: Stack) -> None:
    user = await stack.sign_up("climber@example.com")
    key = await current_signing_key(stack.database.url)
    # Signed by auth's own key, but no superuser has this id: the edge finds no such account.
    forged = mint(key, str(user["id"]), collection_id=SUPERUSERS_COLLECTION_ID)
    assert await _me(stack, str(user["id"]), forged) == 401


async def test_garbage_authorization_is_401(stack: Stack) -> None:
    user = await stack.sign_up("garbage@example.com")
    for junk in ("x", "a.b.c", "Bearer", "eyJhbGciOiJFZERTQSJ9.e30.AAAA"):
        response = await stack.client.get(
            f"/api/collections/users/records/{user['id']}", headers={"Authorization": junk}
        )
        assert response.status_code == 401, junk
