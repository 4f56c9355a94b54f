"""The records service: the One-Click collections with PocketBase semantics (schema ``records``)."""

from __future__ import annotations

import dataclasses

from oneclick_core.contracts import records as rpc
from oneclick_core.runtime.migrations import Migration, core_migrations, load_migrations
from oneclick_core.runtime.service import ServiceRuntime, ServiceSpec
from oneclick_records.autoupdating import CONSUMER as TAG_FOUND_CONSUMER
from oneclick_records.autoupdating import AutoUpdating
from oneclick_records.handlers import RecordHandlers
from oneclick_records.settings import RecordsSettings
from oneclick_records.tenancy import Tenancy
from oneclick_records.users import CONSUMER, AuthUsers, UsersReadModel


def migrations() -> list[Migration]:
    return core_migrations("event_inbox", "event_outbox") + load_migrations("oneclick_records.migrations")


async def setup(runtime: ServiceRuntime[RecordsSettings]) -> None:
    handlers = RecordHandlers(runtime.pool, AuthUsers(runtime.rpc_client), Tenancy(runtime.settings))
    runtime.rpc.register(rpc.LIST, handlers.list)
    runtime.rpc.register(rpc.VIEW, handlers.view)
    runtime.rpc.register(rpc.CREATE, handlers.create)
    runtime.rpc.register(rpc.UPDATE, handlers.update)
    runtime.rpc.register(rpc.DELETE, handlers.delete)
    runtime.rpc.register(rpc.GET_FILE, handlers.get_file)
    runtime.rpc.register(rpc.GET_BLUEPRINT, handlers.get_blueprint)
    runtime.rpc.register(rpc.SHARE_BLUEPRINT, handlers.share_blueprint)
    runtime.rpc.register(rpc.LEAVE_BLUEPRINT, handlers.leave_blueprint)
    runtime.rpc.register(rpc.DEPLOYMENT_ACCESS, handlers.deployment_access)
    runtime.rpc.register(rpc.PROJECT_ACCESS, handlers.project_access)
    runtime.rpc.register(rpc.DEPLOYMENT_STATE, handlers.deployment_state)
    runtime.rpc.register(rpc.PROJECT_POLICY, handlers.project_policy)
    runtime.rpc.register(rpc.TENANCY, handlers.tenancy)
    runtime.rpc.register(rpc.INDEX, handlers.index)
    ack_wait = runtime.settings.records_ack_wait
    runtime.consume(dataclasses.replace(CONSUMER, ack_wait=ack_wait), UsersReadModel(runtime.pool).handle)
    runtime.consume(dataclasses.replace(TAG_FOUND_CONSUMER, ack_wait=ack_wait), AutoUpdating(runtime.pool).handle)


SERVICE = ServiceSpec(
    name="records",
    settings=RecordsSettings,
    setup=setup,
    distribution="oneclick-records",
    schema="records",
    migrations=migrations,
    outbox=True,
)
