"""Without SMTP, dev mode logs emailed links (the only way a developer gets them); production does not."""

from __future__ import annotations

import json

from nats.aio.client import Client as NATS

from oneclick_core.bus.rpc import RpcClient
from oneclick_core.contracts.auth import (
    CREATE_USER,
    REQUEST_PASSWORD_RESET,
    CreateUserRequest,
    EmailRequest,
)
from oneclick_testing.platform import FAST_HASHING, PASSWORD
from oneclick_testing.services import ServiceGroup


async def test_links_are_logged_in_dev_mode_only(services: ServiceGroup, nc: NATS) -> None:
    dev = await services.start("auth", env={**FAST_HASHING, "ONECLICK_DEV": "true"})
    rpc = RpcClient(nc, "test")
    await rpc.call(CREATE_USER, CreateUserRequest(email="dev@example.com", password=PASSWORD, passwordConfirm=PASSWORD))
    await rpc.call(REQUEST_PASSWORD_RESET, EmailRequest(email="dev@example.com"))
    lines = [json.loads(line) for line in dev.log_path.read_text().splitlines() if line.startswith("{")]
    [logged] = [line for line in lines if line.get("event") == "mail.dev_link"]
    assert logged["to"] == "dev@example.com"
    assert logged["link"].startswith("http://127.0.0.1:8090/_/#/auth/confirm-password-reset/ey")
    dev.stop()

    production = await services.start("auth", env=FAST_HASHING)
    await rpc.call(REQUEST_PASSWORD_RESET, EmailRequest(email="dev@example.com"))
    text = production.log_path.read_text()
    assert "mail.not_configured" in text
    assert "confirm-password-reset" not in text
