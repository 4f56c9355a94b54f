"""Signing keys: the newest key signs, older keys keep verifying until the tokens they signed expire.

Keys live in ``auth.signing_keys`` so every replica signs with the same key set. Each replica reloads
them periodically; a replica that has not yet seen a rotation keeps signing with the previous key, which
is still published, so no token it issues is rejected.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from oneclick_auth import store
from oneclick_auth.settings import AuthSettings
from oneclick_core.contracts.auth import Jwks, JwksRequest, RotateKeysRequest
from oneclick_core.observability.logs import get_logger
from oneclick_core.timestamps import utcnow
from oneclick_core.tokens import SigningKey, TokenClaims, keys_from_jwks

log = get_logger(__name__)

_ROTATION_LOCK = int.from_bytes(hashlib.sha256(b"oneclick.auth.rotate-keys").digest()[:8], "big", signed=True)
_RELOAD_AFTER = 30.0


class Keyring:
    def __init__(self, pool: asyncpg.Pool, settings: AuthSettings) -> None:
        self._pool = pool
        self._settings = settings
        self._signing: SigningKey | None = None
        self._signing_since = 0.0
        self._jwks: list[dict[str, str]] = []
        self._public: dict[str, Ed25519PublicKey] = {}
        self._loaded_at = 0.0
        self._stopping = asyncio.Event()

    @property
    def _max_lifetime(self) -> int:
        return max(
            self._settings.token_lifetime,
            self._settings.superuser_token_lifetime,
            self._settings.verification_lifetime,
            self._settings.password_reset_lifetime,
        )

    async def load(self) -> None:
        """Read the key set; create the first key, or a new one when the signing key is due for rotation."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _ROTATION_LOCK)
            keys = await store.live_keys(conn, self._max_lifetime)
            newest = keys[0] if keys else None
            age = (utcnow() - newest.created).total_seconds() if newest else None
            if newest is None or age is None or age >= self._settings.key_rotation_interval:
                fresh = SigningKey.generate()
                await store.add_key(conn, fresh.kid, fresh.private_pem(), fresh.public_jwk())
                log.info("keys.rotated" if newest else "keys.created", kid=fresh.kid)
                keys = await store.live_keys(conn, self._max_lifetime)
        self._apply(keys)

    async def rotate(self) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _ROTATION_LOCK)
            fresh = SigningKey.generate()
            await store.add_key(conn, fresh.kid, fresh.private_pem(), fresh.public_jwk())
            keys = await store.live_keys(conn, self._max_lifetime)
        log.info("keys.rotated", kid=fresh.kid)
        self._apply(keys)

    def _apply(self, keys: list[store.KeyRow]) -> None:
        newest = keys[0]
        self._signing = SigningKey.from_pem(newest.kid, newest.private_key)
        self._jwks = [dict(key.public_jwk) for key in keys]
        self._public = keys_from_jwks({"keys": self._jwks})
        self._loaded_at = time.monotonic()

    async def _fresh(self) -> None:
        if self._signing is None or time.monotonic() - self._loaded_at > _RELOAD_AFTER:
            await self.load()

    async def sign(self, claims: TokenClaims) -> str:
        await self._fresh()
        assert self._signing is not None
        return self._signing.sign(claims)

    async def public_keys(self) -> dict[str, Ed25519PublicKey]:
        await self._fresh()
        return self._public

    # -- RPC handlers and the rotation worker ----------------------------------------------------------
    async def jwks(self, _: JwksRequest) -> Jwks:
        await self._fresh()
        return Jwks(keys=self._jwks)

    async def rotate_now(self, _: RotateKeysRequest) -> Jwks:
        await self.rotate()
        return Jwks(keys=self._jwks)

    async def run(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self._settings.key_check_interval)
            if self._stopping.is_set():
                return
            try:
                await self.load()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("keys.reload_failed", error=str(exc))

    async def stop(self) -> None:
        self._stopping.set()
