"""Password reset and email verification by one-time links.

Requests always answer the same (204 at the edge) whether or not the email belongs to someone, so they
cannot be used to enumerate accounts. Link tokens are signed like auth tokens but with their own type
(never accepted as request authentication), and carry the user's email and token version: a reset
raises the version, so a link works once and dies with any password change.
"""

from __future__ import annotations

from oneclick_auth import store
from oneclick_auth.context import AuthContext
from oneclick_auth.validation import REQUIRED, FieldErrors, check_email, check_new_password
from oneclick_core.contracts.auth import (
    USER_UPDATED,
    ConfirmPasswordResetRequest,
    ConfirmVerificationRequest,
    EmailRequest,
    Empty,
)
from oneclick_core.errors import ApiError, field_error
from oneclick_core.observability.logs import get_logger
from oneclick_core.tokens import USERS_COLLECTION_NAME, TokenClaims, TokenType

log = get_logger(__name__)

INVALID_TOKEN = field_error("validation_invalid_token", "Invalid or expired token.")


class Recovery:
    def __init__(self, ctx: AuthContext) -> None:
        self._ctx = ctx

    def _checked_email(self, request: EmailRequest) -> str:
        errors = FieldErrors()
        check_email(errors, request.email.strip())
        errors.raise_if_any("An error occurred while validating the form.")
        return request.email.strip()

    async def _may_send(self, purpose: str, email: str) -> bool:
        """At most a few emails per address and window, so the endpoints cannot be used to flood an inbox.
        Over the limit nothing is sent and the answer stays the same (it must not reveal anything)."""
        settings = self._ctx.settings
        async with self._ctx.pool.acquire() as conn:
            hits = await store.hit(conn, store.limit_key(f"mail:{purpose}", email), settings.login_limit_window)
        return hits <= settings.login_limit_per_identity

    async def request_password_reset(self, request: EmailRequest) -> Empty:
        email = self._checked_email(request)
        async with self._ctx.pool.acquire() as conn:
            user = await store.find_user_by_email(conn, email)
        if user is not None and await self._may_send("password_reset", email):
            token = await self._ctx.link_token(user, "passwordReset", self._ctx.settings.password_reset_lifetime)
            link = f"{self._ctx.settings.app_url.rstrip('/')}/_/#/auth/confirm-password-reset/{token}"
            await self._ctx.mailer.send_link(
                to=user.email,
                subject="Reset your password",
                purpose="password_reset",
                intro="Follow this link to choose a new password:",
                link=link,
            )
        return Empty()

    async def request_verification(self, request: EmailRequest) -> Empty:
        email = self._checked_email(request)
        async with self._ctx.pool.acquire() as conn:
            user = await store.find_user_by_email(conn, email)
        if user is not None and not user.verified and await self._may_send("verification", email):
            token = await self._ctx.link_token(user, "verification", self._ctx.settings.verification_lifetime)
            link = f"{self._ctx.settings.app_url.rstrip('/')}/_/#/auth/confirm-verification/{token}"
            await self._ctx.mailer.send_link(
                to=user.email,
                subject="Verify your email",
                purpose="verification",
                intro="Follow this link to verify your email address:",
                link=link,
            )
        return Empty()

    async def _claims(self, token: str, purpose: TokenType) -> TokenClaims:
        if not token:
            raise ApiError.bad_request("An error occurred while validating the form.", {"token": REQUIRED})
        claims = await self._ctx.read_token(token, purpose)
        if claims is None or claims.collection_name != USERS_COLLECTION_NAME:
            raise ApiError.bad_request("An error occurred while validating the form.", {"token": INVALID_TOKEN})
        return claims

    async def confirm_password_reset(self, request: ConfirmPasswordResetRequest) -> Empty:
        errors = FieldErrors()
        check_new_password(errors, request.password, request.passwordConfirm, self._ctx.settings.min_password_length)
        claims = await self._claims(request.token, "passwordReset")
        errors.raise_if_any("Failed to set new password.")
        password_hash = await self._ctx.passwords.hash(request.password)
        async with self._ctx.pool.acquire() as conn, conn.transaction():
            user = await store.get_user(conn, claims.subject, for_update=True)
            if user is None or user.token_version != claims.version or user.email != claims.email:
                raise ApiError.bad_request("Failed to set new password.", {"token": INVALID_TOKEN})
            # Following the emailed link proves the address, as PocketBase ≥ 0.23 also concludes.
            user = await store.update_user(
                conn, user.id, {"password_hash": password_hash, "verified": True}, revoke_tokens=True
            )
            await store.emit_user_event(conn, USER_UPDATED, user)
        log.info("user.password_reset", user=user.id)
        return Empty()

    async def confirm_verification(self, request: ConfirmVerificationRequest) -> Empty:
        claims = await self._claims(request.token, "verification")
        async with self._ctx.pool.acquire() as conn, conn.transaction():
            user = await store.get_user(conn, claims.subject, for_update=True)
            if user is None or user.email != claims.email:
                raise ApiError.bad_request("An error occurred while submitting the form.", {"token": INVALID_TOKEN})
            if not user.verified:
                user = await store.update_user(conn, user.id, {"verified": True})
                await store.emit_user_event(conn, USER_UPDATED, user)
        return Empty()
