"""Sign-in and tokens: password login (users and superusers), refresh, token state, superuser bootstrap.

A failed sign-in answers the same for an unknown identity and a wrong password, and costs the same
(argon2 runs against a decoy hash), so neither the body nor the timing tells which accounts exist.
Attempts are counted per identity and per client address in PostgreSQL, shared by every replica.
"""

from __future__ import annotations

import hashlib

from oneclick_auth import store
from oneclick_auth.context import AuthContext
from oneclick_auth.validation import REQUIRED, FieldErrors, check_email, length_error
from oneclick_core.contracts.auth import (
    AuthResult,
    CreateSuperuserRequest,
    PasswordLoginRequest,
    RefreshRequest,
    SuperuserRecord,
    TokenState,
    TokenStateRequest,
    TokenStates,
)
from oneclick_core.errors import ApiError
from oneclick_core.ids import new_record_id
from oneclick_core.observability.logs import get_logger
from oneclick_core.tokens import SUPERUSERS_COLLECTION_NAME, USERS_COLLECTION_NAME

log = get_logger(__name__)

FAILED = "Failed to authenticate."
_BOOTSTRAP_LOCK = int.from_bytes(hashlib.sha256(b"oneclick.auth.bootstrap").digest()[:8], "big", signed=True)


class Sessions:
    def __init__(self, ctx: AuthContext) -> None:
        self._ctx = ctx

    async def auth_with_password(self, request: PasswordLoginRequest) -> AuthResult:
        errors = FieldErrors()
        if not request.identity.strip():
            errors.add("identity", REQUIRED)
        elif len(request.identity) > 255:
            errors.add("identity", length_error(1, 255))
        if not request.password:
            errors.add("password", REQUIRED)
        elif len(request.password) > 255:
            errors.add("password", length_error(1, 255))
        errors.raise_if_any(FAILED)

        keys = [store.limit_key(f"login:{request.collection}:identity", request.identity)]
        if request.clientAddress:
            keys.append(store.limit_key("login:address", request.clientAddress))
        await self._count_attempt(keys)

        result = await (
            self._superuser_login(request)
            if request.collection == SUPERUSERS_COLLECTION_NAME
            else self._user_login(request)
        )
        if result is None:
            log.info("login.failed", collection=request.collection)
            raise ApiError.bad_request(FAILED)
        async with self._ctx.pool.acquire() as conn:
            for key in keys:
                await store.forgive(conn, key)
        return result

    async def _count_attempt(self, keys: list[str]) -> None:
        settings = self._ctx.settings
        limits = [settings.login_limit_per_identity, settings.login_limit_per_address]
        async with self._ctx.pool.acquire() as conn:
            over = False
            for key, limit in zip(keys, limits, strict=False):
                over = await store.hit(conn, key, settings.login_limit_window) > limit or over
        if over:
            log.warning("login.rate_limited")
            raise ApiError(429, "Too many requests, try again later.")

    async def _user_login(self, request: PasswordLoginRequest) -> AuthResult | None:
        async with self._ctx.pool.acquire() as conn:
            user = await store.find_user_by_identity(conn, request.identity.strip())
        if not await self._ctx.passwords.verify(user.password_hash if user else None, request.password):
            return None
        assert user is not None
        return AuthResult(token=await self._ctx.user_token(user), record=user.record())

    async def _superuser_login(self, request: PasswordLoginRequest) -> AuthResult | None:
        async with self._ctx.pool.acquire() as conn:
            superuser = await store.find_superuser_by_email(conn, request.identity.strip())
        if not await self._ctx.passwords.verify(superuser.password_hash if superuser else None, request.password):
            return None
        assert superuser is not None
        return AuthResult(token=await self._ctx.superuser_token(superuser), record=superuser.record())

    async def auth_refresh(self, request: RefreshRequest) -> AuthResult:
        claims = await self._ctx.read_token(request.token, "auth")
        unauthorized = ApiError.unauthorized("The request requires valid record authorization token.")
        if claims is None:
            raise unauthorized
        async with self._ctx.pool.acquire() as conn:
            if claims.collection_name == USERS_COLLECTION_NAME:
                user = await store.get_user(conn, claims.subject)
                if user is None or user.token_version != claims.version:
                    raise unauthorized
                return AuthResult(token=await self._ctx.user_token(user), record=user.record())
            if claims.collection_name == SUPERUSERS_COLLECTION_NAME:
                superuser = await store.get_superuser(conn, claims.subject)
                if superuser is None or superuser.token_version != claims.version:
                    raise unauthorized
                return AuthResult(token=await self._ctx.superuser_token(superuser), record=superuser.record())
        raise unauthorized

    async def token_state(self, request: TokenStateRequest) -> TokenStates:
        wanted: dict[str, list[str]] = {"users": [], "_superusers": []}
        for subject in request.subjects:
            wanted[subject.collection].append(subject.id)
        async with self._ctx.pool.acquire() as conn:
            users = await store.token_versions(conn, "users", wanted["users"]) if wanted["users"] else {}
            superusers = (
                await store.token_versions(conn, "superusers", wanted["_superusers"]) if wanted["_superusers"] else {}
            )
        found: dict[str, dict[str, int]] = {"users": users, "_superusers": superusers}
        return TokenStates(
            states=[
                TokenState(collection=s.collection, id=s.id, version=found[s.collection].get(s.id))
                for s in request.subjects
            ]
        )

    # -- superusers -------------------------------------------------------------------------------------
    async def create_superuser(self, request: CreateSuperuserRequest) -> SuperuserRecord:
        errors = FieldErrors()
        check_email(errors, request.email.strip())
        if not self._ctx.settings.min_password_length <= len(request.password) <= 72:
            errors.add("password", length_error(self._ctx.settings.min_password_length, 72))
        errors.raise_if_any("Failed to create superuser.")
        return (await self._upsert_superuser(request.email.strip(), request.password)).record()

    async def _upsert_superuser(self, email: str, password: str) -> store.SuperuserRow:
        password_hash = await self._ctx.passwords.hash(password)
        async with self._ctx.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _BOOTSTRAP_LOCK)
            existing = await store.find_superuser_by_email(conn, email)
            if existing is None:
                superuser = await store.insert_superuser(conn, new_record_id(), email, password_hash)
                log.info("superuser.created", superuser=superuser.id)
                return superuser
        if await self._ctx.passwords.verify(existing.password_hash, password):
            return existing
        async with self._ctx.pool.acquire() as conn:
            superuser = await store.set_superuser_password(conn, existing.id, password_hash)
        log.info("superuser.password_set", superuser=superuser.id)
        return superuser

    async def bootstrap(self) -> None:
        """Create the configured superuser, or say clearly how to create the first one."""
        settings = self._ctx.settings
        if settings.admin_email and settings.admin_password is not None:
            await self._upsert_superuser(settings.admin_email, settings.admin_password.get_secret_value())
            return
        async with self._ctx.pool.acquire() as conn:
            count = await store.count_superusers(conn)
        if count == 0:
            log.warning(
                "superuser.none",
                hint="No superuser exists yet. Create one with `oneclick superuser create EMAIL` "
                "or set ONECLICK_ADMIN_EMAIL and ONECLICK_ADMIN_PASSWORD.",
            )
