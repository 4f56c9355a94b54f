"""Handlers for the ``users`` records: sign-up, view, update (incl. password change), delete, logout-all.

A user may act only on itself; superusers on anyone. Someone else's record answers 404, as PocketBase
does when a view rule excludes it, so ids of other accounts cannot be probed.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
from typing import Any

import asyncpg

from oneclick_auth import store
from oneclick_auth.context import AuthContext
from oneclick_auth.store import UserRow
from oneclick_auth.validation import (
    EMAIL_TAKEN,
    OLD_PASSWORD,
    REQUIRED,
    USERNAME_TAKEN,
    FieldErrors,
    check_email,
    check_name,
    check_new_password,
    check_username,
)
from oneclick_core.contracts.auth import (
    USER_CREATED,
    USER_DELETED,
    USER_UPDATED,
    Actor,
    CreateUserRequest,
    DeleteUserRequest,
    Empty,
    FileContent,
    FileUpload,
    GetAvatarRequest,
    GetUserRequest,
    LogoutAllRequest,
    TokensRevoked,
    UpdateUserRequest,
    UserRecord,
    UserUpdated,
)
from oneclick_core.errors import ApiError, field_error
from oneclick_core.ids import new_record_id
from oneclick_core.observability.logs import get_logger

log = get_logger(__name__)

# Images a browser renders inertly; SVG is left out because it can carry script on our origin.
AVATAR_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
# Files travel over NATS (1 MiB payload limit by default) base64-encoded inside JSON.
MAX_AVATAR_BYTES = 512 * 1024
_UNSAFE_NAME = re.compile(r"[^a-z0-9_]+")

NOT_FOUND = "The requested resource wasn't found."


def avatar_filename(original: str, content_type: str) -> str:
    """PocketBase-style stored name: sanitised base name plus a random suffix (unguessable URLs)."""
    base = original.rsplit("/", 1)[-1].rsplit(".", 1)[0].lower()
    base = _UNSAFE_NAME.sub("_", base).strip("_")[:60] or "avatar"
    return f"{base}_{secrets.token_hex(5)}.{AVATAR_TYPES[content_type]}"


def sniff_image(data: bytes) -> str | None:
    """The image type the bytes really are; what the client claims is not trusted."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_avatar(errors: FieldErrors, avatar: FileUpload | None) -> None:
    """Accept only real images; ``avatar.contentType`` is replaced by what the bytes are."""
    if avatar is None:
        return
    sniffed = sniff_image(avatar.data)
    if sniffed is None:
        allowed = ", ".join(sorted(AVATAR_TYPES))
        errors.add(
            "avatar",
            field_error("validation_invalid_mime_type", f'"{avatar.filename}" mime type must be one of: {allowed}.'),
        )
    elif len(avatar.data) > MAX_AVATAR_BYTES:
        errors.add(
            "avatar",
            field_error(
                "validation_file_size_limit",
                f"Failed to upload {avatar.filename!r} - the maximum allowed file size is {MAX_AVATAR_BYTES} bytes.",
            ),
        )
    else:
        avatar.contentType = sniffed


def may_act_on(actor: Actor, user_id: str) -> bool:
    return actor.is_superuser or (actor.collection == "users" and actor.id == user_id)


async def generated_username(conn: asyncpg.Connection) -> str:
    """PocketBase names accounts created without a username ``users`` + digits."""
    while True:
        candidate = f"users{secrets.randbelow(10**8):08d}"
        if not await store.username_taken(conn, candidate):
            return candidate


def _unique_violation_field(exc: asyncpg.UniqueViolationError) -> str:
    return "username" if "username" in (exc.constraint_name or "") else "email"


class Accounts:
    def __init__(self, ctx: AuthContext) -> None:
        self._ctx = ctx

    async def create_user(self, request: CreateUserRequest) -> UserRecord:
        settings = self._ctx.settings
        email, username, name = request.email.strip(), request.username.strip(), request.name.strip()
        errors = FieldErrors()
        check_email(errors, email)
        check_username(errors, username, required=False)
        check_new_password(errors, request.password, request.passwordConfirm, settings.min_password_length)
        check_name(errors, name)
        check_avatar(errors, request.avatar)
        async with self._ctx.pool.acquire() as conn:
            if not errors.has("email") and await store.email_taken(conn, email):
                errors.add("email", EMAIL_TAKEN)
            if username and not errors.has("username") and await store.username_taken(conn, username):
                errors.add("username", USERNAME_TAKEN)
        errors.raise_if_any("Failed to create record.")

        password_hash = await self._ctx.passwords.hash(request.password)
        avatar = request.avatar
        filename = avatar_filename(avatar.filename, avatar.contentType) if avatar else ""
        async with self._ctx.pool.acquire() as conn:
            try:
                async with conn.transaction():
                    user = await store.insert_user(
                        conn,
                        id=new_record_id(),
                        email=email,
                        email_visibility=request.emailVisibility,
                        username=username or await generated_username(conn),
                        verified=False,
                        name=name,
                        avatar=filename,
                        password_hash=password_hash,
                    )
                    if avatar is not None:
                        await store.put_avatar(conn, user.id, filename, avatar.contentType, avatar.data)
                    await store.emit_user_event(conn, USER_CREATED, user)
            except asyncpg.UniqueViolationError as exc:
                # Another sign-up with the same email or username committed between our check and insert.
                field = _unique_violation_field(exc)
                raise ApiError.bad_request(
                    "Failed to create record.", {field: EMAIL_TAKEN if field == "email" else USERNAME_TAKEN}
                ) from None
        log.info("user.created", user=user.id)
        return user.record()

    async def _own(self, conn: asyncpg.Connection, actor: Actor, user_id: str, *, for_update: bool = False) -> UserRow:
        user = await store.get_user(conn, user_id, for_update=for_update) if may_act_on(actor, user_id) else None
        if user is None:
            raise ApiError.not_found(NOT_FOUND)
        return user

    async def get_user(self, request: GetUserRequest) -> UserRecord:
        async with self._ctx.pool.acquire() as conn:
            return (await self._own(conn, request.actor, request.id)).record()

    async def update_user(self, request: UpdateUserRequest) -> UserUpdated:
        changes, actor = request.changes, request.actor
        settings = self._ctx.settings
        async with self._ctx.pool.acquire() as conn:
            current = await self._own(conn, actor, request.id)
            errors = FieldErrors()
            columns: dict[str, Any] = {}
            if changes.name is not None:
                check_name(errors, changes.name.strip())
                columns["name"] = changes.name.strip()
            if changes.username is not None and changes.username != current.username:
                username = changes.username.strip()
                check_username(errors, username, required=True)
                if not errors.has("username") and await store.username_taken(conn, username, current.id):
                    errors.add("username", USERNAME_TAKEN)
                columns["username"] = username
            if changes.email is not None and changes.email.strip().lower() != current.email.lower():
                email = changes.email.strip()
                if not actor.is_superuser:
                    # As in PocketBase: a user changes its email through the confirmed email-change flow.
                    errors.add("email", field_error("validation_in_invalid", "Must be a valid value."))
                else:
                    check_email(errors, email)
                    if not errors.has("email") and await store.email_taken(conn, email, current.id):
                        errors.add("email", EMAIL_TAKEN)
                columns["email"] = email
            if changes.emailVisibility is not None:
                columns["email_visibility"] = changes.emailVisibility
            if changes.verified is not None and changes.verified != current.verified:
                if not actor.is_superuser:
                    errors.add("verified", field_error("validation_in_invalid", "Must be a valid value."))
                columns["verified"] = changes.verified
            password_change = any((changes.password, changes.passwordConfirm, changes.oldPassword))
            if password_change:
                check_new_password(
                    errors, changes.password or "", changes.passwordConfirm or "", settings.min_password_length
                )
                if not actor.is_superuser:
                    if not changes.oldPassword:
                        errors.add("oldPassword", REQUIRED)
                    elif not await self._ctx.passwords.verify(current.password_hash, changes.oldPassword):
                        errors.add("oldPassword", OLD_PASSWORD)
            check_avatar(errors, changes.avatar)
            errors.raise_if_any("Failed to update record.")

            if password_change:
                columns["password_hash"] = await self._ctx.passwords.hash(changes.password or "")
            avatar = changes.avatar
            if avatar is not None:
                columns["avatar"] = avatar_filename(avatar.filename, avatar.contentType)
            elif changes.removeAvatar:
                columns["avatar"] = ""
            try:
                async with conn.transaction():
                    user = await store.update_user(conn, current.id, columns, revoke_tokens=password_change)
                    if avatar is not None:
                        await store.put_avatar(conn, user.id, user.avatar, avatar.contentType, avatar.data)
                    elif changes.removeAvatar:
                        await store.remove_avatar(conn, user.id)
                    await store.emit_user_event(conn, USER_UPDATED, user)
            except asyncpg.UniqueViolationError as exc:
                field = _unique_violation_field(exc)
                raise ApiError.bad_request(
                    "Failed to update record.", {field: EMAIL_TAKEN if field == "email" else USERNAME_TAKEN}
                ) from None
            except LookupError:
                raise ApiError.not_found(NOT_FOUND) from None
        if password_change:
            log.info("user.password_changed", user=user.id, token_version=user.token_version)
        return UserUpdated(record=user.record(), tokenVersion=user.token_version)

    async def delete_user(self, request: DeleteUserRequest) -> Empty:
        async with self._ctx.pool.acquire() as conn, conn.transaction():
            user = await self._own(conn, request.actor, request.id, for_update=True)
            await store.delete_user(conn, user.id)
            # The event's version is past every token the user holds, so verifiers reject them all.
            gone = dataclasses.replace(user, token_version=user.token_version + 1)
            await store.emit_user_event(conn, USER_DELETED, gone)
        log.info("user.deleted", user=user.id)
        return Empty()

    async def logout_all(self, request: LogoutAllRequest) -> TokensRevoked:
        async with self._ctx.pool.acquire() as conn, conn.transaction():
            await self._own(conn, request.actor, request.id, for_update=True)
            user = await store.update_user(conn, request.id, {}, revoke_tokens=True)
            await store.emit_user_event(conn, USER_UPDATED, user)
        log.info("user.tokens_revoked", user=user.id, token_version=user.token_version)
        return TokensRevoked(tokenVersion=user.token_version)

    async def get_avatar(self, request: GetAvatarRequest) -> FileContent:
        async with self._ctx.pool.acquire() as conn:
            user = await self._own(conn, request.actor, request.id)
            found = await store.get_avatar(conn, user.id, request.filename) if user.avatar == request.filename else None
        if found is None:
            raise ApiError.not_found(NOT_FOUND)
        content_type, data = found
        return FileContent(contentType=content_type, data=data)
