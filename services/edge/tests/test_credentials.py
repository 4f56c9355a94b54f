"""Where a request carries its token (oneclick_edge.credentials), on requests built in memory."""

from __future__ import annotations

from urllib.parse import quote

import orjson
import pytest
from starlette.requests import Request

from oneclick_edge.credentials import bearer_token, cookie_or_query_token, pb_auth_cookie_token


def request(method: str = "GET", *, headers: dict[str, str] | None = None, query: str = "") -> Request:
    return Request(
        {
            "type": "http",
            "method": method,
            "path": "/",
            "query_string": query.encode(),
            "headers": [(name.lower().encode(), value.encode()) for name, value in (headers or {}).items()],
        }
    )


def cookie(value: object) -> str:
    """The cookie as the SDK's ``exportToCookie()`` writes it: the auth store as percent-encoded JSON."""
    return f"pb_auth={quote(orjson.dumps(value).decode())}"


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("abc.def.ghi", "abc.def.ghi"),  # the PocketBase SDK sends the token raw
        ("Bearer abc.def.ghi", "abc.def.ghi"),
        ("bearer   abc.def.ghi  ", "abc.def.ghi"),
        # Nothing after the scheme: the header is stripped first, so "Bearer" itself is offered as the token; it
        # fails verification (a 401), which is right for a header that is present but holds no valid token.
        ("Bearer ", "Bearer"),
        ("", None),
    ],
)
def test_the_authorization_header_holds_a_raw_or_bearer_token(header: str, token: str | None) -> None:
    assert bearer_token(request(headers={"Authorization": header})) == token


def test_no_authorization_header_is_no_token() -> None:
    assert bearer_token(request()) is None


def test_a_browser_read_may_carry_its_token_in_the_query_before_the_cookie() -> None:
    both = request(query="token=from-query", headers={"Cookie": cookie({"token": "from-cookie"})})
    assert cookie_or_query_token(both) == "from-query"
    assert cookie_or_query_token(request("HEAD", headers={"Cookie": cookie({"token": "c"})})) == "c"


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE"])
def test_a_cross_site_form_cannot_act_with_the_cookie_or_query_token(method: str) -> None:
    assert cookie_or_query_token(request(method, query="token=t", headers={"Cookie": cookie({"token": "c"})})) is None


@pytest.mark.parametrize(
    ("value", "token"),
    [
        (None, None),
        ("", None),
        (quote(orjson.dumps({"token": "abc", "record": {"id": "u"}}).decode()), "abc"),
        (orjson.dumps({"token": "abc"}).decode(), "abc"),  # not percent-encoded: still JSON
        (quote(orjson.dumps({"token": ""}).decode()), None),
        (quote(orjson.dumps({"token": 7}).decode()), None),
        (quote(orjson.dumps(["abc"]).decode()), None),
        ("not json", None),
    ],
)
def test_the_sdk_cookie_holds_the_token_in_its_json(value: str | None, token: str | None) -> None:
    assert pb_auth_cookie_token(value) == token
