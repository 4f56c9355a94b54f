"""The updater service: scheduled image updates from OCI registries (schema ``updater``).

Every replica tracks records' autoUpdate events, runs checks from the shared work queue and answers the
webhook RPCs; the replica holding the scheduler lease also turns cron ticks into queued checks.
"""

from __future__ import annotations

from datetime import timedelta

from oneclick_core.bus.consuming import Delivery
from oneclick_core.bus.leases import LeaderElector, Lease, locks_bucket
from oneclick_core.contracts import updater as rpc
from oneclick_core.contracts.envelope import Envelope
from oneclick_core.runtime.migrations import Migration, core_migrations, load_migrations
from oneclick_core.runtime.service import ServiceRuntime, ServiceSpec
from oneclick_updater.checking import Checker
from oneclick_updater.handlers import UpdaterHandlers
from oneclick_updater.listings import SharedListings
from oneclick_updater.metrics import UpdaterMetrics
from oneclick_updater.registry import RegistryClient, RetryPolicy
from oneclick_updater.scheduling import LEASE_NAME, Scheduler
from oneclick_updater.settings import UpdaterSettings
from oneclick_updater.tracking import CONSUMER as AUTO_UPDATES_CONSUMER
from oneclick_updater.tracking import AutoUpdateTracker
from oneclick_updater.work import CheckJob, check_consumer, ensure_work_stream


def migrations() -> list[Migration]:
    return core_migrations("event_inbox", "event_outbox") + load_migrations("oneclick_updater.migrations")


async def setup(runtime: ServiceRuntime[UpdaterSettings]) -> None:
    settings = runtime.settings
    metrics = UpdaterMetrics.create(runtime.registry)
    client = RegistryClient(
        settings.address_policy(),
        timeout=settings.updater_registry_timeout,
        user_agent=f"one-click-updater/{runtime.version}",
        page_size=settings.updater_registry_page_size,
        retry=RetryPolicy(
            attempts=settings.updater_registry_attempts,
            backoff=settings.updater_registry_backoff,
            max_retry_after=settings.updater_registry_max_retry_after,
        ),
        observe=lambda host, outcome: metrics.registry_calls.labels(host, outcome).inc(),
    )
    runtime.on_shutdown(client.aclose)
    checker = Checker(
        runtime.pool,
        runtime.rpc_client,
        SharedListings(runtime.pool, client, metrics),
        metrics,
        settings.insecure_registries,
        settings.instance_id,
    )

    handlers = UpdaterHandlers(runtime.pool, runtime.rpc_client, checker)
    runtime.rpc.register(rpc.CHECK_NOW, handlers.check_now)
    runtime.rpc.register(rpc.WEBHOOK_SECRET, handlers.webhook_secret)

    runtime.consume(AUTO_UPDATES_CONSUMER, AutoUpdateTracker(runtime.pool).handle)

    async def run_check(envelope: Envelope, delivery: Delivery) -> None:
        job = CheckJob.model_validate(envelope.data)
        await checker.run(
            job.autoUpdate, trigger="schedule", due_at=job.dueAt, fresh_after=job.freshAfter, event_id=envelope.id
        )

    await ensure_work_stream(runtime.js, settings.event_stream_replicas)
    for _ in range(settings.updater_check_concurrency):
        runtime.consume(check_consumer(settings.updater_check_ack_wait), run_check)

    scheduler = Scheduler(
        runtime.pool,
        settings.cron_tick,
        metrics,
        batch=settings.updater_dispatch_batch,
        history=timedelta(days=settings.updater_history_days),
    )
    lease = Lease(
        await locks_bucket(runtime.js, settings.event_stream_replicas),
        LEASE_NAME,
        holder=settings.instance_id,
        ttl=settings.updater_lease_ttl,
    )
    elector = LeaderElector(lease, scheduler.lead)
    runtime.add_worker("scheduler", elector.run, elector.stop)


SERVICE = ServiceSpec(
    name="updater",
    settings=UpdaterSettings,
    setup=setup,
    distribution="oneclick-updater",
    schema="updater",
    migrations=migrations,
    outbox=True,
)
