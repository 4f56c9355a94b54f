"""Auth tokens: JWTs signed with Ed25519 (``EdDSA``) and a ``kid``, verifiable with public keys alone.

The auth service signs; every other service verifies locally with the keys of the JWKS, so no request
needs a call back to auth. Verification trusts nothing in the token's header but the ``kid``: the
algorithm is fixed to EdDSA (no ``none``, no HMAC keyed with a public key) and the key must be one we
published.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

import jwt
import jwt.types
import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "EdDSA"

# Token purposes: "auth" authenticates requests (PocketBase ≥ 0.23 and its JS SDK use this value);
# the others are one-time links sent by email and are never accepted as request authentication.
TokenType = Literal["auth", "passwordReset", "verification"]

# PocketBase's collection ids, which the JS SDK reads from the token and the record.
AuthCollectionName = Literal["users", "_superusers"]
USERS_COLLECTION_ID: Final = "_pb_users_auth_"
USERS_COLLECTION_NAME: Final = "users"
SUPERUSERS_COLLECTION_ID: Final = "pbc_3142635823"
SUPERUSERS_COLLECTION_NAME: Final = "_superusers"
COLLECTION_NAMES: Mapping[str, AuthCollectionName] = {
    USERS_COLLECTION_ID: USERS_COLLECTION_NAME,
    SUPERUSERS_COLLECTION_ID: SUPERUSERS_COLLECTION_NAME,
}


class TokenError(Exception):
    """The token cannot be trusted; ``reason`` is for logs, never for the client."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class UnknownKeyError(TokenError):
    """The token names a ``kid`` we have no key for (maybe a key published since we last looked)."""

    def __init__(self, kid: str) -> None:
        self.kid = kid
        super().__init__(f"unknown kid {kid!r}")


@dataclass(frozen=True)
class TokenClaims:
    subject: str
    collection_id: str
    type: str
    issued_at: int
    expires_at: int
    version: int
    email: str | None = None

    @property
    def collection_name(self) -> AuthCollectionName | None:
        return COLLECTION_NAMES.get(self.collection_id)

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            # `id` is what PocketBase tokens carry and the JS SDK reads; `sub` is the JWT standard's name.
            "id": self.subject,
            "sub": self.subject,
            "collectionId": self.collection_id,
            "type": self.type,
            "iat": self.issued_at,
            "exp": self.expires_at,
            "ver": self.version,
            "refreshable": self.type == "auth",
        }
        if self.email is not None:
            payload["email"] = self.email
        return payload


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(kid=secrets.token_hex(8), private_key=Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, kid: str, pem: bytes) -> SigningKey:
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"signing key {kid} is not an Ed25519 key")
        return cls(kid=kid, private_key=key)

    def private_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    def public_jwk(self) -> dict[str, str]:
        return public_jwk(self.kid, self.public_key)

    def sign(self, claims: TokenClaims) -> str:
        return jwt.encode(
            claims.to_payload(), self.private_key, algorithm=ALGORITHM, headers={"kid": self.kid, "typ": "JWT"}
        )


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_jwk(kid: str, key: Ed25519PublicKey) -> dict[str, str]:
    """The RFC 8037 JWK of an Ed25519 public key."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw), "kid": kid, "alg": ALGORITHM, "use": "sig"}


def public_key_from_jwk(jwk: Mapping[str, Any]) -> Ed25519PublicKey:
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or not isinstance(jwk.get("x"), str):
        raise ValueError("not an Ed25519 JWK")
    return Ed25519PublicKey.from_public_bytes(_b64url_decode(jwk["x"]))


def keys_from_jwks(jwks: Mapping[str, Any]) -> dict[str, Ed25519PublicKey]:
    """kid → public key of every usable key in a JWKS document; keys we cannot use are skipped."""
    keys: dict[str, Ed25519PublicKey] = {}
    for jwk in jwks.get("keys", []):
        kid = jwk.get("kid") if isinstance(jwk, Mapping) else None
        if not isinstance(kid, str):
            continue
        try:
            keys[kid] = public_key_from_jwk(jwk)
        except ValueError:
            continue
    return keys


def unverified_header(token: str) -> dict[str, Any]:
    """The JOSE header, read without trusting it (only to pick the key)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("not a compact JWS")
    try:
        header = orjson.loads(_b64url_decode(parts[0]))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise TokenError("unreadable header") from None
    if not isinstance(header, dict):
        raise TokenError("header is not an object")
    return header


def verify_token(
    token: str, keys: Mapping[str, Ed25519PublicKey], *, expected_type: TokenType = "auth", now: datetime | None = None
) -> TokenClaims:
    """Check signature, algorithm, expiry and purpose; return the claims or raise :class:`TokenError`.

    Raises :class:`UnknownKeyError` when the ``kid`` is not among ``keys`` so a caller can refresh its
    key set once and retry.
    """
    header = unverified_header(token)
    if header.get("alg") != ALGORITHM:
        raise TokenError(f"algorithm {header.get('alg')!r} is not accepted")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise TokenError("no kid")
    key = keys.get(kid)
    if key is None:
        raise UnknownKeyError(kid)
    # PyJWT compares against its own clock; tests pass `now` to check expiry deterministically.
    options: jwt.types.Options = {"require": ["exp", "iat", "sub"], "verify_exp": now is None}
    try:
        payload = jwt.decode(token, key, algorithms=[ALGORITHM], options=options)
    except jwt.ExpiredSignatureError:
        raise TokenError("expired") from None
    except jwt.PyJWTError as exc:
        raise TokenError(f"invalid: {type(exc).__name__}") from None
    claims = _claims(payload)
    if now is not None and claims.expires_at <= int(now.timestamp()):
        raise TokenError("expired")
    if claims.type != expected_type:
        raise TokenError(f"a {claims.type!r} token where {expected_type!r} is needed")
    return claims


def _claims(payload: Mapping[str, Any]) -> TokenClaims:
    subject, collection_id, token_type = payload.get("sub"), payload.get("collectionId"), payload.get("type")
    issued_at, expires_at, version = payload.get("iat"), payload.get("exp"), payload.get("ver", 0)
    email = payload.get("email")
    if not (isinstance(subject, str) and isinstance(collection_id, str) and isinstance(token_type, str)):
        raise TokenError("missing sub, collectionId or type")
    if not (isinstance(issued_at, int) and isinstance(expires_at, int) and isinstance(version, int)):
        raise TokenError("iat, exp and ver must be integers")
    if email is not None and not isinstance(email, str):
        raise TokenError("email must be a string")
    return TokenClaims(
        subject=subject,
        collection_id=collection_id,
        type=token_type,
        issued_at=issued_at,
        expires_at=expires_at,
        version=version,
        email=email,
    )
