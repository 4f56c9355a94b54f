"""What the auth service's handlers share, built once in ``main.setup``."""

from __future__ import annotations

import time
from dataclasses import dataclass

import asyncpg
import httpx

from oneclick_auth.keyring import Keyring
from oneclick_auth.mail import Mailer
from oneclick_auth.passwords import Passwords
from oneclick_auth.settings import AuthSettings
from oneclick_auth.store import SuperuserRow, UserRow
from oneclick_core.tokens import (
    SUPERUSERS_COLLECTION_ID,
    USERS_COLLECTION_ID,
    TokenClaims,
    TokenError,
    TokenType,
    verify_token,
)


@dataclass(frozen=True)
class AuthContext:
    settings: AuthSettings
    pool: asyncpg.Pool
    keyring: Keyring
    passwords: Passwords
    mailer: Mailer
    http: httpx.AsyncClient

    async def user_token(self, user: UserRow) -> str:
        return await self._sign(user.id, USERS_COLLECTION_ID, user.token_version, "auth", self.settings.token_lifetime)

    async def superuser_token(self, superuser: SuperuserRow) -> str:
        return await self._sign(
            superuser.id,
            SUPERUSERS_COLLECTION_ID,
            superuser.token_version,
            "auth",
            self.settings.superuser_token_lifetime,
        )

    async def link_token(self, user: UserRow, purpose: TokenType, lifetime: int) -> str:
        """A one-time link token: bound to the user's email and token version, so using it (which raises
        the version or changes what it confirms) or changing the password makes it worthless."""
        return await self._sign(user.id, USERS_COLLECTION_ID, user.token_version, purpose, lifetime, email=user.email)

    async def read_token(self, token: str, purpose: TokenType) -> TokenClaims | None:
        try:
            return verify_token(token, await self.keyring.public_keys(), expected_type=purpose)
        except TokenError:
            return None

    async def _sign(
        self,
        subject: str,
        collection_id: str,
        version: int,
        purpose: TokenType,
        lifetime: int,
        email: str | None = None,
    ) -> str:
        now = int(time.time())
        claims = TokenClaims(
            subject=subject,
            collection_id=collection_id,
            type=purpose,
            issued_at=now,
            expires_at=now + lifetime,
            version=version,
            email=email,
        )
        return await self.keyring.sign(claims)
