"""OAuth2 sign-in (authorization code + PKCE) with GitHub and Microsoft, in PocketBase's flow.

``auth-methods`` hands the client a state and a PKCE verifier per provider and remembers both (the
verifier hashed). The client sends the user to the provider, then posts the code with the verifier to
``auth-with-oauth2``; we accept only a verifier we issued (once, unexpired, for that provider, with its
state when the client sends it), exchange the code at the provider's token endpoint with the verifier,
read the profile, and sign in the linked user, link a user with the same (provider-verified) email, or
create one.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import secrets
import string
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import asyncpg
import httpx

from oneclick_auth import store
from oneclick_auth.accounts import generated_username
from oneclick_auth.context import AuthContext
from oneclick_auth.settings import AuthSettings
from oneclick_auth.validation import EMAIL_TAKEN, REQUIRED, USERNAME, FieldErrors
from oneclick_core.contracts.auth import (
    USER_CREATED,
    USER_UPDATED,
    AuthMethods,
    AuthMethodsRequest,
    AuthResult,
    OAuth2LoginRequest,
    OAuth2Method,
    PasswordMethod,
    ProviderInfo,
)
from oneclick_core.errors import ApiError, field_error
from oneclick_core.ids import new_record_id
from oneclick_core.observability.logs import get_logger
from oneclick_core.storable import cleaned, cleaned_json, storable

log = get_logger(__name__)

FAILED = "Failed to authenticate."
_ALPHANUMERIC = string.ascii_letters + string.digits


class ProviderError(Exception):
    """The provider refused or answered something unusable; the reason is logged, not returned."""


@dataclass(frozen=True)
class ProviderUser:
    id: str
    email: str
    email_verified: bool
    name: str
    username: str
    avatar_url: str
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Provider:
    name: str
    display_name: str
    client_id: str
    client_secret: str
    auth_url: str
    token_url: str
    scopes: tuple[str, ...]

    def authorization_url(self, state: str, challenge: str) -> str:
        query = urlencode(
            {
                "client_id": self.client_id,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "response_type": "code",
                "scope": " ".join(self.scopes),
                "state": state,
            }
        )
        # Ends with an empty redirect_uri, which the client completes (as PocketBase does).
        return f"{self.auth_url}?{query}&redirect_uri="

    async def exchange(self, http: httpx.AsyncClient, code: str, verifier: str, redirect_url: str) -> str:
        response = await http.post(
            self.token_url,
            headers={"Accept": "application/json"},
            data={
                "grant_type": "authorization_code",
                "code": code,
                "code_verifier": verifier,
                "redirect_uri": redirect_url,
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            },
        )
        try:
            body = response.json()
        except ValueError:
            body = {}
        token = body.get("access_token") if isinstance(body, dict) else None
        # An access token is printable ASCII (RFC 6750); anything else could not even be sent back as a header.
        if (
            response.status_code != 200
            or not isinstance(token, str)
            or not token
            or not (token.isascii() and token.isprintable())
        ):
            error = body.get("error") if isinstance(body, dict) else None
            raise ProviderError(f"token endpoint answered {response.status_code} {error or ''}".strip())
        return token

    async def fetch_user(self, http: httpx.AsyncClient, access_token: str) -> ProviderUser:
        raise NotImplementedError


async def _get_json(http: httpx.AsyncClient, url: str, access_token: str) -> Any:
    response = await http.get(url, headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"})
    if response.status_code != 200:
        raise ProviderError(f"{url} answered {response.status_code}")
    try:
        return response.json()
    except ValueError:
        raise ProviderError(f"{url} answered something other than JSON") from None


@dataclass(frozen=True)
class GitHub(Provider):
    user_url: str = ""
    emails_url: str = ""

    async def fetch_user(self, http: httpx.AsyncClient, access_token: str) -> ProviderUser:
        raw = await _get_json(http, self.user_url, access_token)
        if not isinstance(raw, dict) or raw.get("id") in (None, ""):
            raise ProviderError("GitHub profile without id")
        email = raw.get("email") or ""
        # GitHub shows only verified addresses as the public profile email.
        verified = bool(email)
        if not email and self.emails_url:
            emails = await _get_json(http, self.emails_url, access_token)
            for entry in emails if isinstance(emails, list) else []:
                if isinstance(entry, dict) and entry.get("primary") and entry.get("verified"):
                    email, verified = str(entry.get("email") or ""), True
                    break
        return ProviderUser(
            id=str(raw["id"]),
            email=str(email),
            email_verified=verified,
            name=str(raw.get("name") or ""),
            username=str(raw.get("login") or ""),
            avatar_url=str(raw.get("avatar_url") or ""),
            raw=raw,
        )


@dataclass(frozen=True)
class Microsoft(Provider):
    user_url: str = ""

    async def fetch_user(self, http: httpx.AsyncClient, access_token: str) -> ProviderUser:
        raw = await _get_json(http, self.user_url, access_token)
        if not isinstance(raw, dict) or not raw.get("id"):
            raise ProviderError("Microsoft profile without id")
        # Entra ID lets tenants set `mail` without proving it, so it never links to an existing account.
        return ProviderUser(
            id=str(raw["id"]),
            email=str(raw.get("mail") or ""),
            email_verified=False,
            name=str(raw.get("displayName") or ""),
            username="",
            avatar_url="",
            raw=raw,
        )


def storable_profile(profile: ProviderUser) -> ProviderUser:
    """The profile with only text PostgreSQL can store (see :mod:`oneclick_core.storable`): a provider's JSON may
    spell NULs and lone surrogates, and nobody can correct what it sends. The id and email say which account
    signs in, so they are refused rather than cleaned (cleaned, they could name another account); the name,
    username, avatar and raw profile only describe it, so they are cleaned."""
    if not (storable(profile.id) and storable(profile.email)):
        raise ProviderError("profile id or email with characters that cannot be stored")
    return dataclasses.replace(
        profile,
        name=cleaned(profile.name),
        username=cleaned(profile.username),
        avatar_url=cleaned(profile.avatar_url),
        raw=cleaned_json(profile.raw),
    )


def configured_providers(settings: AuthSettings) -> dict[str, Provider]:
    providers: dict[str, Provider] = {}
    if settings.oauth2_github_client_id and settings.oauth2_github_client_secret is not None:
        providers["github"] = GitHub(
            name="github",
            display_name="GitHub",
            client_id=settings.oauth2_github_client_id,
            client_secret=settings.oauth2_github_client_secret.get_secret_value(),
            auth_url=settings.oauth2_github_auth_url,
            token_url=settings.oauth2_github_token_url,
            scopes=("read:user", "user:email"),
            user_url=settings.oauth2_github_user_url,
            emails_url=settings.oauth2_github_emails_url,
        )
    if settings.oauth2_microsoft_client_id and settings.oauth2_microsoft_client_secret is not None:
        base = f"https://login.microsoftonline.com/{settings.oauth2_microsoft_tenant}/oauth2/v2.0"
        providers["microsoft"] = Microsoft(
            name="microsoft",
            display_name="Microsoft",
            client_id=settings.oauth2_microsoft_client_id,
            client_secret=settings.oauth2_microsoft_client_secret.get_secret_value(),
            auth_url=settings.oauth2_microsoft_auth_url or f"{base}/authorize",
            token_url=settings.oauth2_microsoft_token_url or f"{base}/token",
            scopes=("User.Read",),
            user_url=settings.oauth2_microsoft_user_url,
        )
    return providers


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _verifier_key(verifier: str) -> str:
    return hashlib.sha256(verifier.encode()).hexdigest()


def _random(length: int) -> str:
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(length))


class OAuth2:
    def __init__(self, ctx: AuthContext) -> None:
        self._ctx = ctx
        self._providers = configured_providers(ctx.settings)

    async def auth_methods(self, request: AuthMethodsRequest) -> AuthMethods:
        infos: list[ProviderInfo] = []
        if request.collection == "users":
            async with self._ctx.pool.acquire() as conn:
                for provider in self._providers.values():
                    state, verifier = _random(30), _random(43)
                    await store.remember_state(
                        conn, _verifier_key(verifier), state, provider.name, self._ctx.settings.oauth2_state_lifetime
                    )
                    url = provider.authorization_url(state, s256(verifier))
                    infos.append(
                        ProviderInfo(
                            name=provider.name,
                            displayName=provider.display_name,
                            state=state,
                            codeVerifier=verifier,
                            codeChallenge=s256(verifier),
                            authUrl=url,
                            authURL=url,
                        )
                    )
        identity_fields = ["email", "username"] if request.collection == "users" else ["email"]
        return AuthMethods(
            usernamePassword=request.collection == "users",
            emailPassword=True,
            authProviders=infos,
            password=PasswordMethod(enabled=True, identityFields=identity_fields),
            oauth2=OAuth2Method(enabled=bool(infos), providers=infos),
        )

    async def auth_with_oauth2(self, request: OAuth2LoginRequest) -> AuthResult:
        errors = FieldErrors()
        for name in ("provider", "code", "codeVerifier", "redirectURL"):
            if not getattr(request, name):
                errors.add(name, REQUIRED)
        provider = self._providers.get(request.provider)
        if request.provider and provider is None:
            message = f'Provider with name "{request.provider}" is missing or is not enabled.'
            errors.add("provider", field_error("validation_invalid_provider", message))
        errors.raise_if_any(FAILED)
        assert provider is not None

        async with self._ctx.pool.acquire() as conn:
            issued = await store.take_state(conn, _verifier_key(request.codeVerifier))
        if issued is None or issued[1] != provider.name:
            raise ApiError.bad_request(
                FAILED,
                {"codeVerifier": field_error("validation_invalid_code_verifier", "Invalid or expired code verifier.")},
            )
        if request.state is not None and not secrets.compare_digest(request.state, issued[0]):
            raise ApiError.bad_request(
                FAILED, {"state": field_error("validation_invalid_state", "The state does not match.")}
            )
        try:
            access_token = await provider.exchange(
                self._ctx.http, request.code, request.codeVerifier, request.redirectURL
            )
            profile = storable_profile(await provider.fetch_user(self._ctx.http, access_token))
        except (ProviderError, httpx.HTTPError) as exc:
            log.warning("oauth2.provider_failed", provider=provider.name, error=str(exc) or type(exc).__name__)
            raise ApiError.bad_request(FAILED) from None

        user, is_new = await self._sign_in(provider.name, profile, request.createData or {})
        meta = {
            "id": profile.id,
            "name": profile.name,
            "username": profile.username,
            "email": profile.email,
            "avatarUrl": profile.avatar_url,
            "rawUser": profile.raw,
            "isNew": is_new,
        }
        return AuthResult(token=await self._ctx.user_token(user), record=user.record(), meta=meta)

    async def _sign_in(
        self, provider: str, profile: ProviderUser, create_data: dict[str, Any]
    ) -> tuple[store.UserRow, bool]:
        unusable = await self._ctx.passwords.unusable()
        async with self._ctx.pool.acquire() as conn:
            try:
                async with conn.transaction():
                    return await self._resolve(conn, provider, profile, create_data, unusable)
            except asyncpg.UniqueViolationError:
                # A concurrent sign-in with the same account committed first; it is linked now.
                async with conn.transaction():
                    return await self._resolve(conn, provider, profile, create_data, unusable)

    async def _resolve(
        self,
        conn: asyncpg.Connection,
        provider: str,
        profile: ProviderUser,
        create_data: dict[str, Any],
        unusable_hash: str,
    ) -> tuple[store.UserRow, bool]:
        linked = await store.find_identity(conn, provider, profile.id)
        if linked is not None:
            user = await store.get_user(conn, linked)
            if user is not None:
                return user, False
        existing = await store.find_user_by_email(conn, profile.email)
        if existing is not None:
            if not profile.email_verified:
                raise ApiError.bad_request(FAILED, {"email": EMAIL_TAKEN})
            await store.link_identity(conn, provider, profile.id, existing.id)
            if not existing.verified:
                existing = await store.update_user(conn, existing.id, {"verified": True})
                await store.emit_user_event(conn, USER_UPDATED, existing)
            log.info("oauth2.linked", provider=provider, user=existing.id)
            return existing, False
        username = str(create_data.get("username") or profile.username)
        if not (3 <= len(username) <= 150 and USERNAME.match(username)) or await store.username_taken(conn, username):
            username = await generated_username(conn)
        name = str(create_data.get("name") or profile.name)[:255]
        user = await store.insert_user(
            conn,
            id=new_record_id(),
            email=profile.email,
            email_visibility=bool(create_data.get("emailVisibility")),
            username=username,
            verified=profile.email_verified,
            name=name,
            avatar="",
            password_hash=unusable_hash,
        )
        await store.link_identity(conn, provider, profile.id, user.id)
        await store.emit_user_event(conn, USER_CREATED, user)
        log.info("oauth2.user_created", provider=provider, user=user.id)
        return user, True
