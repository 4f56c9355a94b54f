"""Where a request carries its token: the ``Authorization`` header, or for requests a browser makes by itself
the ``?token=`` query or the PocketBase SDK's ``pb_auth`` cookie.

Reading only: whether a token is valid is :mod:`oneclick_edge.authenticator`'s business, and which of these a
route accepts is decided by the dependencies of :mod:`oneclick_edge.dependencies`.
"""

from __future__ import annotations

from urllib.parse import unquote

import orjson
from starlette.requests import Request


def bearer_token(request: Request) -> str | None:
    """The token of the ``Authorization`` header; the PocketBase SDK sends it raw, others as ``Bearer``."""
    header = request.headers.get("authorization", "").strip()
    if header[:7].lower() == "bearer ":
        header = header[7:].strip()
    return header or None


def cookie_or_query_token(request: Request) -> str | None:
    """For requests a browser makes by itself (``<img src>``, WebSockets): ``?token=`` or the SDK's
    ``pb_auth`` cookie. Only for safe (read-only) methods, so a cross-site form cannot act as the user."""
    if request.method not in ("GET", "HEAD"):
        return None
    if token := request.query_params.get("token"):
        return token
    return pb_auth_cookie_token(request.cookies.get("pb_auth"))


def pb_auth_cookie_token(cookie: str | None) -> str | None:
    """The token in the cookie the PocketBase SDK's ``authStore.exportToCookie()`` writes."""
    if not cookie:
        return None
    try:
        value = orjson.loads(unquote(cookie))
    except orjson.JSONDecodeError:
        return None
    token = value.get("token") if isinstance(value, dict) else None
    return token if isinstance(token, str) and token else None
