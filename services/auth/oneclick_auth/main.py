"""The auth service: users, superusers, sign-in and tokens (schema ``auth``)."""

from __future__ import annotations

from oneclick_core.migrations import Migration, core_migrations, load_migrations
from oneclick_core.runtime import ServiceRuntime, ServiceSpec, run_service
from oneclick_core.settings import CoreSettings


def migrations() -> list[Migration]:
    return core_migrations("event_inbox", "event_outbox") + load_migrations("oneclick_auth.migrations")


async def setup(runtime: ServiceRuntime[CoreSettings]) -> None:
    """Registers the service's RPC handlers and workers (sign-up and sign-in arrive with issue 4)."""


SERVICE = ServiceSpec(name="auth", settings=CoreSettings, setup=setup, distribution="oneclick-auth",
                      schema="auth", migrations=migrations, outbox=True)


def main() -> None:
    run_service(SERVICE)


if __name__ == "__main__":
    main()
