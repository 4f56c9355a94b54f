"""Tokens verify only when signed with EdDSA by a published key, unexpired, and for the right purpose."""

from __future__ import annotations

import base64
import hmac
import time
from datetime import UTC, datetime, timedelta

import jwt
import orjson
import pytest
from cryptography.hazmat.primitives import serialization

from oneclick_core.tokens import (
    USERS_COLLECTION_ID,
    SigningKey,
    TokenClaims,
    TokenError,
    UnknownKeyError,
    keys_from_jwks,
    verify_token,
)


def _claims(*, lifetime: int = 3600, token_type: str = "auth", version: int = 1) -> TokenClaims:
    now = int(time.time())
    return TokenClaims(
        subject="abcdefghijklmno",
        collection_id=USERS_COLLECTION_ID,
        type=token_type,
        issued_at=now,
        expires_at=now + lifetime,
        version=version,
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _forge(header: dict[str, object], payload: dict[str, object], signature: bytes = b"") -> str:
    return f"{_b64(orjson.dumps(header))}.{_b64(orjson.dumps(payload))}.{_b64(signature)}"


@pytest.fixture
def key() -> SigningKey:
    return SigningKey.generate()


def test_round_trip_through_the_jwks(key: SigningKey) -> None:
    token = key.sign(_claims(version=3))
    keys = keys_from_jwks({"keys": [key.public_jwk()]})
    claims = verify_token(token, keys)
    assert claims.subject == "abcdefghijklmno"
    assert claims.collection_name == "users"
    assert claims.version == 3
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "EdDSA", "kid": key.kid, "typ": "JWT"}
    payload = jwt.decode(token, options={"verify_signature": False})
    assert payload["id"] == payload["sub"] == "abcdefghijklmno"
    assert payload["type"] == "auth"


def test_pem_round_trip_keeps_the_key(key: SigningKey) -> None:
    again = SigningKey.from_pem(key.kid, key.private_pem())
    assert again.public_jwk() == key.public_jwk()


def test_tampered_payload_is_rejected(key: SigningKey) -> None:
    header, payload, signature = key.sign(_claims()).split(".")
    claims = orjson.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = "someoneelse0000"
    tampered = f"{header}.{_b64(orjson.dumps(claims))}.{signature}"
    with pytest.raises(TokenError, match="invalid"):
        verify_token(tampered, {key.kid: key.public_key})


def test_expired_token_is_rejected(key: SigningKey) -> None:
    token = key.sign(_claims(lifetime=60))
    verify_token(token, {key.kid: key.public_key}, now=datetime.now(UTC))
    with pytest.raises(TokenError, match="expired"):
        verify_token(token, {key.kid: key.public_key}, now=datetime.now(UTC) + timedelta(seconds=61))
    past = key.sign(_claims(lifetime=-1))
    with pytest.raises(TokenError, match="expired"):
        verify_token(past, {key.kid: key.public_key})


def test_alg_none_is_rejected(key: SigningKey) -> None:
    token = _forge({"alg": "none", "kid": key.kid}, _claims().to_payload())
    with pytest.raises(TokenError, match="algorithm 'none'"):
        verify_token(token, {key.kid: key.public_key})


def test_hs256_keyed_with_the_public_key_is_rejected(key: SigningKey) -> None:
    public_pem = key.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "kid": key.kid, "typ": "JWT"}
    signing_input = f"{_b64(orjson.dumps(header))}.{_b64(orjson.dumps(_claims().to_payload()))}"
    signature = hmac.new(public_pem, signing_input.encode(), "sha256").digest()
    with pytest.raises(TokenError, match="algorithm 'HS256'"):
        verify_token(f"{signing_input}.{_b64(signature)}", {key.kid: key.public_key})


def test_unknown_kid_is_reported_so_the_caller_can_refresh(key: SigningKey) -> None:
    other = SigningKey.generate()
    with pytest.raises(UnknownKeyError) as raised:
        verify_token(other.sign(_claims()), {key.kid: key.public_key})
    assert raised.value.kid == other.kid


def test_a_key_cannot_sign_under_another_kid(key: SigningKey) -> None:
    impostor = SigningKey(kid=key.kid, private_key=SigningKey.generate().private_key)
    with pytest.raises(TokenError, match="invalid"):
        verify_token(impostor.sign(_claims()), {key.kid: key.public_key})


def test_one_time_link_tokens_do_not_authenticate(key: SigningKey) -> None:
    reset = key.sign(_claims(token_type="passwordReset"))
    with pytest.raises(TokenError, match="'passwordReset' token"):
        verify_token(reset, {key.kid: key.public_key})
    assert verify_token(reset, {key.kid: key.public_key}, expected_type="passwordReset").type == "passwordReset"


@pytest.mark.parametrize("garbage", ["", "abc", "a.b", "a.b.c", "!!!.e30.e30"])
def test_garbage_is_a_token_error(key: SigningKey, garbage: str) -> None:
    with pytest.raises(TokenError):
        verify_token(garbage, {key.kid: key.public_key})


def test_jwks_skips_keys_it_cannot_use(key: SigningKey) -> None:
    keys = keys_from_jwks({"keys": [key.public_jwk(), {"kty": "RSA", "kid": "rsa"}, {"kty": "OKP"}, "junk"]})
    assert list(keys) == [key.kid]
