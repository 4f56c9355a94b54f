"""Local OAuth2 providers with GitHub's and Microsoft's endpoints and behaviour, served over real HTTP on loopback.

They check what the real ones check: client credentials, a code used once, the redirect URI the code was
issued for, and the PKCE verifier against the challenge of the authorization request. Each answers in its
original's shapes (GitHub: errors of the token exchange as 200 with an ``error`` field, ``/user`` and
``/user/emails``; Microsoft identity platform v2.0: errors as 400, ``scope`` required, Graph ``/v1.0/me``).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qs, urlsplit

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from oneclick_core.runtime.serving import AsgiServer

CLIENT_ID = "local-client"
CLIENT_SECRET = "local-secret"
MICROSOFT_TENANT = "common"


@dataclass
class Profile:
    """A GitHub account."""

    id: int
    login: str
    name: str
    email: str | None  # None: private, only in /user/emails
    emails: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class MicrosoftProfile:
    """A Microsoft (Entra ID / personal) account as Graph's ``/me`` describes it."""

    id: str  # a GUID for work accounts, 16 hex digits for personal ones
    displayName: str
    mail: str | None  # often null for personal accounts
    userPrincipalName: str


P = TypeVar("P")


@dataclass
class _Grant(Generic[P]):
    challenge: str
    redirect_uri: str
    profile: P


class _LocalProvider(Generic[P]):
    """Authorization codes bound to a PKCE challenge and a redirect URI, and access tokens for profiles."""

    def __init__(self, routes: list[Route]) -> None:
        self.signed_in: P | None = None  # who is "logged in at the provider" in the browser
        self._grants: dict[str, _Grant[P]] = {}
        self._tokens: dict[str, P] = {}
        self.token_requests: list[dict[str, str]] = []
        self._server = AsgiServer(Starlette(routes=routes), "127.0.0.1", 0, lifespan="off")
        self.url = ""

    async def start(self) -> None:
        self.url = await self._server.start()

    async def stop(self) -> None:
        await self._server.stop(grace=1)

    def _grant_code(self, request: Request) -> Response:
        query = request.query_params
        assert self.signed_in is not None, "the test must choose who signs in at the provider"
        code = secrets.token_hex(10)
        self._grants[code] = _Grant(query["code_challenge"], query.get("redirect_uri", ""), self.signed_in)
        separator = "&" if "?" in query.get("redirect_uri", "") else "?"
        return RedirectResponse(f"{query['redirect_uri']}{separator}code={code}&state={query['state']}")

    def _redeem(self, form: dict[str, str]) -> str:
        """The access token for a valid code exchange; :class:`_ExchangeError` with the OAuth2 error otherwise."""
        grant = self._grants.pop(form.get("code", ""), None)
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            raise _ExchangeError("invalid_client")
        if grant is None or grant.redirect_uri != form.get("redirect_uri"):
            raise _ExchangeError("invalid_grant")
        digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant.challenge:
            raise _ExchangeError("invalid_grant", "PKCE verification failed")
        token = secrets.token_hex(16)
        self._tokens[token] = grant.profile
        return token

    def _profile(self, request: Request) -> P | None:
        header = request.headers.get("authorization", "")
        return self._tokens.get(header.removeprefix("Bearer ").strip())


class _ExchangeError(Exception):
    def __init__(self, code: str, description: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.description = description


class GitHubLike(_LocalProvider[Profile]):
    def __init__(self) -> None:
        super().__init__(
            [
                Route("/login/oauth/authorize", self._authorize),
                Route("/login/oauth/access_token", self._access_token, methods=["POST"]),
                Route("/user", self._user),
                Route("/user/emails", self._emails),
            ]
        )

    def settings(self) -> dict[str, str]:
        return {
            "ONECLICK_OAUTH2_GITHUB_CLIENT_ID": CLIENT_ID,
            "ONECLICK_OAUTH2_GITHUB_CLIENT_SECRET": CLIENT_SECRET,
            "ONECLICK_OAUTH2_GITHUB_AUTH_URL": f"{self.url}/login/oauth/authorize",
            "ONECLICK_OAUTH2_GITHUB_TOKEN_URL": f"{self.url}/login/oauth/access_token",
            "ONECLICK_OAUTH2_GITHUB_USER_URL": f"{self.url}/user",
            "ONECLICK_OAUTH2_GITHUB_EMAILS_URL": f"{self.url}/user/emails",
        }

    async def _authorize(self, request: Request) -> Response:
        query = request.query_params
        if query.get("client_id") != CLIENT_ID or query.get("code_challenge_method") != "S256":
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        return self._grant_code(request)

    async def _access_token(self, request: Request) -> Response:
        form = {key: str(value) for key, value in (await request.form()).items()}
        self.token_requests.append(form)
        try:
            token = self._redeem(form)
        except _ExchangeError as exc:
            # GitHub answers errors of the token exchange with 200 and an "error" field, in its own words.
            code = {"invalid_client": "incorrect_client_credentials"}.get(exc.code, exc.code)
            if code == "invalid_grant" and not exc.description:
                code = "bad_verification_code"
            body = {"error": code, **({"error_description": exc.description} if exc.description else {})}
            return JSONResponse(body)
        return JSONResponse({"access_token": token, "token_type": "bearer", "scope": "read:user,user:email"})

    async def _user(self, request: Request) -> Response:
        profile = self._profile(request)
        if profile is None:
            return JSONResponse({"message": "Bad credentials"}, status_code=401)
        return JSONResponse(
            {
                "id": profile.id,
                "login": profile.login,
                "name": profile.name,
                "email": profile.email,
                "avatar_url": f"{self.url}/avatars/{profile.id}",
            }
        )

    async def _emails(self, request: Request) -> Response:
        profile = self._profile(request)
        if profile is None:
            return JSONResponse({"message": "Bad credentials"}, status_code=401)
        return JSONResponse(profile.emails)


class MicrosoftLike(_LocalProvider[MicrosoftProfile]):
    """login.microsoftonline.com/<tenant>/oauth2/v2.0/{authorize,token} and graph.microsoft.com/v1.0/me."""

    def __init__(self) -> None:
        base = f"/{MICROSOFT_TENANT}/oauth2/v2.0"
        super().__init__(
            [
                Route(f"{base}/authorize", self._authorize),
                Route(f"{base}/token", self._token, methods=["POST"]),
                Route("/v1.0/me", self._me),
            ]
        )
        self.authorize_requests: list[dict[str, str]] = []

    def settings(self) -> dict[str, str]:
        base = f"{self.url}/{MICROSOFT_TENANT}/oauth2/v2.0"
        return {
            "ONECLICK_OAUTH2_MICROSOFT_CLIENT_ID": CLIENT_ID,
            "ONECLICK_OAUTH2_MICROSOFT_CLIENT_SECRET": CLIENT_SECRET,
            "ONECLICK_OAUTH2_MICROSOFT_AUTH_URL": f"{base}/authorize",
            "ONECLICK_OAUTH2_MICROSOFT_TOKEN_URL": f"{base}/token",
            "ONECLICK_OAUTH2_MICROSOFT_USER_URL": f"{self.url}/v1.0/me",
        }

    async def _authorize(self, request: Request) -> Response:
        query = request.query_params
        self.authorize_requests.append(dict(query))
        # The v2.0 endpoint insists on a scope; Graph's /me needs User.Read.
        if (
            query.get("client_id") != CLIENT_ID
            or query.get("response_type") != "code"
            or query.get("code_challenge_method") != "S256"
            or "User.Read" not in query.get("scope", "").split()
        ):
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        return self._grant_code(request)

    async def _token(self, request: Request) -> Response:
        form = {key: str(value) for key, value in (await request.form()).items()}
        self.token_requests.append(form)
        if form.get("grant_type") != "authorization_code":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        try:
            token = self._redeem(form)
        except _ExchangeError as exc:
            status = 401 if exc.code == "invalid_client" else 400
            return JSONResponse(
                {"error": exc.code, "error_description": exc.description or exc.code}, status_code=status
            )
        return JSONResponse(
            {
                "token_type": "Bearer",
                "scope": "User.Read",
                "expires_in": 3599,
                "ext_expires_in": 3599,
                "access_token": token,
            }
        )

    async def _me(self, request: Request) -> Response:
        profile = self._profile(request)
        if profile is None:
            return JSONResponse(
                {"error": {"code": "InvalidAuthenticationToken", "message": "Access token validation failure."}},
                status_code=401,
            )
        given, _, surname = profile.displayName.partition(" ")
        return JSONResponse(
            {
                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
                "businessPhones": [],
                "displayName": profile.displayName,
                "givenName": given,
                "surname": surname or None,
                "jobTitle": None,
                "mail": profile.mail,
                "mobilePhone": None,
                "officeLocation": None,
                "preferredLanguage": None,
                "userPrincipalName": profile.userPrincipalName,
                "id": profile.id,
            }
        )


async def authorize_in_browser(
    client: httpx.AsyncClient, provider: _LocalProvider[P], info: dict[str, Any], profile: P, redirect: str
) -> dict[str, str]:
    """What the browser does: open authUrl + redirect, sign in at the provider, land on the redirect;
    returns the redirect's query (code, state)."""
    provider.signed_in = profile
    response = await client.get(info["authUrl"] + redirect, follow_redirects=False)
    assert response.status_code in (302, 303, 307), response.text
    landed = urlsplit(response.headers["location"])
    assert f"{landed.scheme}://{landed.netloc}{landed.path}" == redirect
    return {key: values[0] for key, values in parse_qs(landed.query).items()}
