"""Sign-in rate limits (429, then recovery) and the emailed password-reset and verification links."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from oneclick_cli.processes import free_port
from oneclick_testing.platform import PASSWORD
from oneclick_testing.waiting import eventually

from .mailbox import Mailbox
from .stack import Stack, auth_header

WINDOW = 3


@pytest.fixture(scope="module")
async def mailbox() -> AsyncIterator[Mailbox]:
    box = Mailbox()
    await box.start()
    yield box
    await box.stop()


@pytest.fixture(scope="module")
def auth_env(mailbox: Mailbox) -> dict[str, str]:
    return {
        "ONECLICK_LOGIN_LIMIT_PER_IDENTITY": "3",
        "ONECLICK_LOGIN_LIMIT_PER_ADDRESS": "6",
        "ONECLICK_LOGIN_LIMIT_WINDOW": str(WINDOW),
        "ONECLICK_SMTP_HOST": "127.0.0.1",
        "ONECLICK_SMTP_PORT": str(mailbox.port),
        "ONECLICK_APP_URL": "https://oneclick.example",
    }


async def _attempt(
    stack: Stack, identity: str, password: str, address: str, client: httpx.AsyncClient | None = None
) -> int:
    response = await (client or stack.client).post(
        "/api/collections/users/auth-with-password",
        json={"identity": identity, "password": password},
        headers={"X-Forwarded-For": address},
    )
    if response.status_code == 429:
        assert response.json() == {"status": 429, "message": "Too many requests, try again later.", "data": {}}
    return response.status_code


async def test_identity_limit_answers_429_then_recovers(stack: Stack) -> None:
    await stack.sign_up("limited@example.com")
    for _ in range(3):
        assert await _attempt(stack, "limited@example.com", "wrong password", "198.51.100.1") == 400
    # Even the right password is refused while the identity is locked, from any address.
    assert await _attempt(stack, "limited@example.com", PASSWORD, "198.51.100.2") == 429

    async def can_sign_in_again() -> bool:
        return await _attempt(stack, "limited@example.com", PASSWORD, "198.51.100.3") == 200

    await eventually(can_sign_in_again, timeout=WINDOW * 10, interval=0.5, message="lockout never ended")


async def test_address_limit_spans_identities(stack: Stack) -> None:
    await stack.sign_up("behind-nat@example.com")
    for index in range(6):
        assert await _attempt(stack, f"guess{index}@example.com", "wrong password", "203.0.113.9") == 400
    assert await _attempt(stack, "guess-next@example.com", "wrong password", "203.0.113.9") == 429
    assert await _attempt(stack, "guess-next@example.com", "wrong password", "203.0.113.10") == 400
    # The right password of a real user is refused too while the address is locked.
    assert await _attempt(stack, "behind-nat@example.com", PASSWORD, "203.0.113.9") == 429
    guesses = iter(range(10_000))

    async def address_recovered() -> bool:
        # A fresh identity each time, so only the address's limit can refuse it.
        return await _attempt(stack, f"later{next(guesses)}@example.com", "wrong password", "203.0.113.9") == 400

    await eventually(address_recovered, timeout=WINDOW * 10, interval=0.5, message="address limit never ended")
    # Once the window has passed, a real user behind that address signs in again.
    assert await _attempt(stack, "behind-nat@example.com", PASSWORD, "203.0.113.9") == 200


async def test_forwarded_addresses_count_only_from_trusted_proxies(stack: Stack) -> None:
    """X-Forwarded-For names the client only when the connection comes from a trusted proxy
    (``ONECLICK_TRUSTED_PROXIES``; the module's edge trusts loopback, where the test's requests come from). An
    edge that trusts only another address counts every request by its real peer, whatever the header says,
    so a client cannot dodge the address limit by inventing addresses."""
    port = free_port()
    await stack.services.start(
        "edge",
        label="edge-untrusting",
        env={"ONECLICK_HTTP_PORT": str(port), "ONECLICK_TRUSTED_PROXIES": "192.0.2.250, 10.0.0.0/8"},
    )
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=15) as direct:
        for index in range(6):
            assert (
                await _attempt(stack, f"spoof{index}@example.com", "wrong password", f"198.18.0.{index}", direct) == 400
            )
        # A seventh address the header claims changes nothing: the peer (loopback) is locked.
        assert await _attempt(stack, "spoof-next@example.com", "wrong password", "198.18.1.1", direct) == 429
    # Through the edge that trusts loopback, the header counts: another address is not locked.
    assert await _attempt(stack, "spoof-next@example.com", "wrong password", "198.18.1.1") == 400
    guesses = iter(range(10_000))

    async def loopback_recovered() -> bool:
        return await _attempt(stack, f"after{next(guesses)}@example.com", "wrong password", "127.0.0.1") == 400

    await eventually(loopback_recovered, timeout=WINDOW * 10, interval=0.5, message="loopback limit never ended")


async def test_successful_sign_ins_do_not_use_up_the_limit(stack: Stack) -> None:
    await stack.sign_up("regular@example.com")
    for _ in range(8):
        assert await _attempt(stack, "regular@example.com", PASSWORD, "192.0.2.44") == 200


def _link_token(mailbox: Mailbox, to: str, path: str) -> str:
    message = next(m for m in reversed(mailbox.messages) if m["To"] == to)
    body = message.get_content()
    found = re.search(rf"https://oneclick\.example/_/#/auth/{path}/(\S+)", body)
    assert found, body
    return found.group(1)


async def test_password_reset_by_emailed_link(stack: Stack, mailbox: Mailbox) -> None:
    user = await stack.sign_up("forgetful@example.com")
    old_token, _ = await stack.login("forgetful@example.com")
    unknown = await stack.client.post(
        "/api/collections/users/request-password-reset", json={"email": "nobody-here@example.com"}
    )
    known = await stack.client.post(
        "/api/collections/users/request-password-reset", json={"email": "forgetful@example.com"}
    )
    assert unknown.status_code == known.status_code == 204  # no hint which emails exist
    await eventually(lambda: any(m["To"] == "forgetful@example.com" for m in mailbox.messages))
    assert not any(m["To"] == "nobody-here@example.com" for m in mailbox.messages)
    token = _link_token(mailbox, "forgetful@example.com", "confirm-password-reset")

    mismatch = await stack.client.post(
        "/api/collections/users/confirm-password-reset",
        json={"token": token, "password": "brand new pw", "passwordConfirm": "nope"},
    )
    assert mismatch.status_code == 400
    assert mismatch.json()["data"]["passwordConfirm"]["code"] == "validation_values_mismatch"
    bogus = await stack.client.post(
        "/api/collections/users/confirm-password-reset",
        json={"token": old_token, "password": "brand new pw", "passwordConfirm": "brand new pw"},
    )
    assert bogus.json()["data"] == {
        "token": {"code": "validation_invalid_token", "message": "Invalid or expired token."}
    }

    done = await stack.client.post(
        "/api/collections/users/confirm-password-reset",
        json={"token": token, "password": "brand new pw", "passwordConfirm": "brand new pw"},
    )
    assert done.status_code == 204
    _, record = await stack.login("forgetful@example.com", "brand new pw")
    assert record["verified"] is True
    assert (
        await stack.client.get(f"/api/collections/users/records/{user['id']}", headers=auth_header(old_token))
    ).status_code == 401
    reused = await stack.client.post(
        "/api/collections/users/confirm-password-reset",
        json={"token": token, "password": "another one", "passwordConfirm": "another one"},
    )
    assert reused.status_code == 400  # a link works once


async def test_email_verification_by_emailed_link(stack: Stack, mailbox: Mailbox) -> None:
    await stack.sign_up("unverified@example.com")
    sent = await stack.client.post(
        "/api/collections/users/request-verification", json={"email": "unverified@example.com"}
    )
    assert sent.status_code == 204
    await eventually(lambda: any(m["To"] == "unverified@example.com" for m in mailbox.messages))
    token = _link_token(mailbox, "unverified@example.com", "confirm-verification")
    # A verification token is no auth token.
    assert (
        await stack.client.post("/api/collections/users/auth-refresh", headers=auth_header(token))
    ).status_code == 401
    confirmed = await stack.client.post("/api/collections/users/confirm-verification", json={"token": token})
    assert confirmed.status_code == 204
    _, record = await stack.login("unverified@example.com")
    assert record["verified"] is True
    invalid = await stack.client.post("/api/collections/users/request-verification", json={"email": "nope"})
    assert invalid.status_code == 400
    assert invalid.json()["data"]["email"]["code"] == "validation_is_email"


async def test_reset_emails_to_one_address_are_throttled_without_telling(stack: Stack, mailbox: Mailbox) -> None:
    await stack.sign_up("flooded@example.com")
    for _ in range(6):
        response = await stack.client.post(
            "/api/collections/users/request-password-reset", json={"email": "flooded@example.com"}
        )
        assert response.status_code == 204

    def delivered() -> int:
        return sum(1 for m in mailbox.messages if m["To"] == "flooded@example.com")

    await eventually(lambda: delivered() == 3)
    # Nothing more arrives: a marker sent afterwards to someone else lands first.
    await stack.sign_up("marker@example.com")
    await stack.client.post("/api/collections/users/request-password-reset", json={"email": "marker@example.com"})
    await eventually(lambda: any(m["To"] == "marker@example.com" for m in mailbox.messages))
    assert delivered() == 3
