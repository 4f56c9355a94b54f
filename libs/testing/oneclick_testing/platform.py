"""Several services plus the edge as real processes, and an HTTP client speaking to the edge like the SDK.

Starting processes dominates a test's time, so test modules share one platform (``module_platform``
fixtures built with :func:`start_platform`) and each test uses accounts of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from oneclick_cli.processes import free_port
from oneclick_testing.infrastructure import Database
from oneclick_testing.services import ServiceGroup

# argon2id still, at a cost that keeps a suite of sign-ups quick on two cores.
FAST_HASHING = {
    "ONECLICK_ARGON2_TIME_COST": "1",
    "ONECLICK_ARGON2_MEMORY_KIB": "8192",
    "ONECLICK_ARGON2_PARALLELISM": "1",
}
PASSWORD = "correct horse battery"
SUPERUSER = ("root@example.com", "superuser-secret")
# Every service the edge calls, so that no route answers 503 for lack of one.
ALL_SERVICES = ("auth", "records", "k8s-executor", "streaming", "updater")
# The updater's checks ask registries a test machine may not reach, or one that refuses at once: one short
# attempt each, no backoff to wait out.
OFFLINE_UPDATER_ENV = {"ONECLICK_UPDATER_REGISTRY_ATTEMPTS": "1", "ONECLICK_UPDATER_REGISTRY_TIMEOUT": "2"}


@dataclass
class User:
    """A signed-in user: its record, its token, and a client sending that token."""

    id: str
    email: str
    token: str
    client: httpx.AsyncClient
    record: dict[str, Any] = field(default_factory=dict)


@dataclass
class Platform:
    services: ServiceGroup
    url: str
    database: Database
    client: httpx.AsyncClient  # anonymous
    _clients: list[httpx.AsyncClient] = field(default_factory=list)

    def client_with(self, token: str) -> httpx.AsyncClient:
        client = httpx.AsyncClient(base_url=self.url, timeout=15, headers={"Authorization": token})
        self._clients.append(client)
        return client

    async def new_user(self, name: str = "user", password: str = PASSWORD) -> User:
        email = f"{name}-{secrets.token_hex(4)}@example.com"
        created = await self.client.post(
            "/api/collections/users/records",
            json={"email": email, "password": password, "passwordConfirm": password, "name": name},
        )
        assert created.status_code == 200, created.text
        return await self.signed_in("users", email, password)

    async def superuser(self) -> User:
        return await self.signed_in("_superusers", *SUPERUSER)

    async def signed_in(self, collection: str, email: str, password: str) -> User:
        """The account of ``collection`` after a sign-in with its password (it must succeed)."""
        login = await self.client.post(
            f"/api/collections/{collection}/auth-with-password", json={"identity": email, "password": password}
        )
        assert login.status_code == 200, login.text
        body = login.json()
        return User(
            id=body["record"]["id"],
            email=email,
            token=body["token"],
            client=self.client_with(body["token"]),
            record=body["record"],
        )

    async def close(self) -> None:
        for client in self._clients:
            await client.aclose()
        await self.client.aclose()


def service_settings(name: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A service's settings in tests and benchmarks: ``extra``, and for auth fast hashing and the superuser."""
    if name == "auth":
        return {
            **FAST_HASHING,
            "ONECLICK_ADMIN_EMAIL": SUPERUSER[0],
            "ONECLICK_ADMIN_PASSWORD": SUPERUSER[1],
            **(extra or {}),
        }
    return dict(extra or {})


async def start_platform(
    services: ServiceGroup, database: Database, names: Sequence[str], env: Mapping[str, Mapping[str, str]] | None = None
) -> Platform:
    """Start ``names`` (auth with fast hashing and a bootstrapped superuser) and the edge, side by side as
    ``oneclick dev`` does: each becomes ready on its own (its /readyz checks only its own NATS and PostgreSQL),
    and the edge answers 503 for a service that is not there yet, so no order is needed."""
    env = env or {}
    port = free_port()
    settings = {name: service_settings(name, env.get(name)) for name in names}
    settings["edge"] = {"ONECLICK_HTTP_PORT": str(port), **env.get("edge", {})}
    await asyncio.gather(*(services.start(name, env=extra) for name, extra in settings.items()))
    url = f"http://127.0.0.1:{port}"
    return Platform(services=services, url=url, database=database, client=httpx.AsyncClient(base_url=url, timeout=15))


@contextlib.asynccontextmanager
async def running_platform(
    *,
    nats_url: str,
    database: Database,
    log_dir: Path,
    names: Sequence[str],
    kubeconfig: Path | None = None,
    env: Mapping[str, Mapping[str, str]] | None = None,
) -> AsyncIterator[Platform]:
    """:func:`start_platform` on the given infrastructure, every process stopped afterwards."""
    shared = {"ONECLICK_NATS_URL": nats_url, "ONECLICK_DATABASE_URL": database.url}
    if kubeconfig is not None:
        shared["KUBECONFIG"] = str(kubeconfig)
    group = ServiceGroup(shared, log_dir)
    try:
        started = await start_platform(group, database, names, env=env)
        try:
            yield started
        finally:
            await started.close()
    finally:
        group.stop_all()
