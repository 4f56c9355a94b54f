"""Connecting to NATS with the settings every service shares, waiting for it if it is not up yet."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import nats
from nats.aio.client import Client as NATS

from oneclick_core.observability.logs import get_logger
from oneclick_core.settings import CoreSettings

log = get_logger(__name__)


def connect_options(settings: CoreSettings, name: str) -> dict[str, Any]:
    options: dict[str, Any] = {
        "servers": settings.nats_servers,
        "name": name,
        "allow_reconnect": True,
        # Never give up: a service without NATS is useless, and NATS restarts must heal by themselves.
        "max_reconnect_attempts": -1,
        "reconnect_time_wait": 0.5,
        "connect_timeout": 2,
        "ping_interval": 10,
        "max_outstanding_pings": 3,
    }
    if settings.nats_user:
        options["user"] = settings.nats_user
    if settings.nats_password is not None:
        options["password"] = settings.nats_password.get_secret_value()
    if settings.nats_creds_file is not None:
        options["user_credentials"] = str(settings.nats_creds_file)
    tls_files = (settings.nats_tls_ca_file, settings.nats_tls_cert_file, settings.nats_tls_key_file)
    if any(path is not None for path in tls_files):
        options["tls"] = tls_context(settings)
    return options


def tls_context(settings: CoreSettings) -> ssl.SSLContext:
    """Verifies the servers (against the given CA, else the system's) and, when a client certificate is
    configured, presents it to servers that require one (``verify: true`` in nats-server's tls block)."""
    ca = settings.nats_tls_ca_file
    context = ssl.create_default_context(cafile=str(ca) if ca is not None else None)
    if settings.nats_tls_cert_file is not None:
        key = settings.nats_tls_key_file
        context.load_cert_chain(str(settings.nats_tls_cert_file), str(key) if key is not None else None)
    elif settings.nats_tls_key_file is not None:
        raise ValueError("ONECLICK_NATS_TLS_KEY_FILE is set without ONECLICK_NATS_TLS_CERT_FILE")
    return context


async def connect(settings: CoreSettings, name: str, *, attempts: int | None = None) -> NATS:
    """Connect, retrying with capped backoff so services may start before NATS does.

    ``attempts=None`` retries until cancelled; nats-py only reconnects after a first success.
    """
    if not settings.nats_servers:
        raise RuntimeError("ONECLICK_NATS_URL is not set: point it at a NATS server (or use `oneclick dev`)")

    async def _quiet_error(exc: Exception) -> None:
        log.debug("nats.error", error=str(exc))

    async def _disconnected() -> None:
        log.warning("nats.disconnected")

    async def _reconnected() -> None:
        log.info("nats.reconnected")

    delay = 0.2
    attempt = 0
    while True:
        attempt += 1
        try:
            nc: NATS = await nats.connect(
                **connect_options(settings, name),
                error_cb=_quiet_error,
                disconnected_cb=_disconnected,
                reconnected_cb=_reconnected,
            )
            return nc
        except (OSError, nats.errors.NoServersError, TimeoutError) as exc:
            if attempts is not None and attempt >= attempts:
                raise
            log.warning(
                "nats.connect_retry",
                servers=settings.nats_servers,
                error=str(exc) or type(exc).__name__,
                retry_in=round(delay, 2),
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
