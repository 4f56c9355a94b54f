"""A local OAuth2 provider with GitHub's endpoints and behaviour, served over real HTTP on loopback.

It checks what GitHub checks: client credentials, a code used once, the redirect URI the code was issued
for, and the PKCE verifier against the challenge of the authorization request.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from oneclick_core.serving import AsgiServer

CLIENT_ID = "local-client"
CLIENT_SECRET = "local-secret"


@dataclass
class Profile:
    id: int
    login: str
    name: str
    email: str | None  # None: private, only in /user/emails
    emails: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Grant:
    challenge: str
    redirect_uri: str
    profile: Profile


class GitHubLike:
    def __init__(self) -> None:
        self.signed_in: Profile | None = None  # who is "logged in at the provider" in the browser
        self._grants: dict[str, _Grant] = {}
        self._tokens: dict[str, Profile] = {}
        self.token_requests: list[dict[str, str]] = []
        self._server = AsgiServer(Starlette(routes=[
            Route("/login/oauth/authorize", self._authorize),
            Route("/login/oauth/access_token", self._access_token, methods=["POST"]),
            Route("/user", self._user),
            Route("/user/emails", self._emails),
        ]), "127.0.0.1", 0, lifespan="off")
        self.url = ""

    async def start(self) -> None:
        self.url = await self._server.start()

    async def stop(self) -> None:
        await self._server.stop(grace=1)

    def settings(self) -> dict[str, str]:
        return {"ONECLICK_OAUTH2_GITHUB_CLIENT_ID": CLIENT_ID, "ONECLICK_OAUTH2_GITHUB_CLIENT_SECRET": CLIENT_SECRET,
                "ONECLICK_OAUTH2_GITHUB_AUTH_URL": f"{self.url}/login/oauth/authorize",
                "ONECLICK_OAUTH2_GITHUB_TOKEN_URL": f"{self.url}/login/oauth/access_token",
                "ONECLICK_OAUTH2_GITHUB_USER_URL": f"{self.url}/user",
                "ONECLICK_OAUTH2_GITHUB_EMAILS_URL": f"{self.url}/user/emails"}

    async def _authorize(self, request: Request) -> Response:
        query = request.query_params
        if query.get("client_id") != CLIENT_ID or query.get("code_challenge_method") != "S256":
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        assert self.signed_in is not None, "the test must choose who signs in at the provider"
        code = secrets.token_hex(10)
        self._grants[code] = _Grant(query["code_challenge"], query.get("redirect_uri", ""), self.signed_in)
        separator = "&" if "?" in query.get("redirect_uri", "") else "?"
        return RedirectResponse(f"{query['redirect_uri']}{separator}code={code}&state={query['state']}")

    async def _access_token(self, request: Request) -> Response:
        form = {key: str(value) for key, value in (await request.form()).items()}
        self.token_requests.append(form)
        grant = self._grants.pop(form.get("code", ""), None)
        # GitHub answers errors of the token exchange with 200 and an "error" field.
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return JSONResponse({"error": "incorrect_client_credentials"})
        if grant is None or grant.redirect_uri != form.get("redirect_uri"):
            return JSONResponse({"error": "bad_verification_code"})
        digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant.challenge:
            return JSONResponse({"error": "invalid_grant", "error_description": "PKCE verification failed"})
        token = secrets.token_hex(16)
        self._tokens[token] = grant.profile
        return JSONResponse({"access_token": token, "token_type": "bearer", "scope": "read:user,user:email"})

    def _profile(self, request: Request) -> Profile | None:
        header = request.headers.get("authorization", "")
        return self._tokens.get(header.removeprefix("Bearer ").strip())

    async def _user(self, request: Request) -> Response:
        profile = self._profile(request)
        if profile is None:
            return JSONResponse({"message": "Bad credentials"}, status_code=401)
        return JSONResponse({"id": profile.id, "login": profile.login, "name": profile.name, "email": profile.email,
                             "avatar_url": f"{self.url}/avatars/{profile.id}"})

    async def _emails(self, request: Request) -> Response:
        profile = self._profile(request)
        if profile is None:
            return JSONResponse({"message": "Bad credentials"}, status_code=401)
        return JSONResponse(profile.emails)
