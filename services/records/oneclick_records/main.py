"""The records service: the One-Click collections with PocketBase semantics (schema ``records``)."""

from __future__ import annotations

from oneclick_core.migrations import Migration, core_migrations, load_migrations
from oneclick_core.runtime import ServiceRuntime, ServiceSpec, run_service
from oneclick_core.settings import CoreSettings


def migrations() -> list[Migration]:
    return core_migrations("event_inbox", "event_outbox") + load_migrations("oneclick_records.migrations")


async def setup(runtime: ServiceRuntime[CoreSettings]) -> None:
    """Registers the service's RPC handlers and workers (collections arrive with issue 5)."""


SERVICE = ServiceSpec(name="records", settings=CoreSettings, setup=setup, distribution="oneclick-records",
                      schema="records", migrations=migrations, outbox=True)


def main() -> None:
    run_service(SERVICE)


if __name__ == "__main__":
    main()
