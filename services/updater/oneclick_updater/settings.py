"""Settings of the updater (env prefix ``ONECLICK_``; the tick is One-Click's ``CRON_TICK``).

The tenancy settings come along for the registry address policy
(``ONECLICK_TENANCY_REGISTRY_ALLOWED_NETWORKS``), which the updater enforces on its registry calls.
"""

from __future__ import annotations

from croniter import croniter
from pydantic import Field, field_validator

from oneclick_core.tenancy import TenancySettings
from oneclick_updater.addresses import AddressPolicy


class UpdaterSettings(TenancySettings):
    updater_lease_ttl: float = Field(
        10.0, gt=0, description="Seconds without renewal after which another replica takes over the scheduler."
    )
    updater_check_concurrency: int = Field(4, ge=1, le=64, description="Checks one replica runs at a time.")
    updater_check_ack_wait: float = Field(
        60.0, gt=0, description="Seconds before a check taken by a replica that died is handed to another one."
    )
    updater_dispatch_batch: int = Field(500, ge=1, description="Due autoUpdates claimed per transaction.")
    updater_history_days: float = Field(7.0, gt=0, description="Days the check history is kept.")
    updater_registry_timeout: float = Field(10.0, gt=0, description="Seconds per registry HTTP request.")
    updater_registry_attempts: int = Field(4, ge=1, le=10, description="Tries per registry request.")
    updater_registry_backoff: float = Field(
        0.5, ge=0, description="Base of the exponential backoff (with full jitter) between tries, in seconds."
    )
    updater_registry_max_retry_after: float = Field(
        30.0, ge=0, description="Longest Retry-After (429/503) honoured before giving up, in seconds."
    )
    updater_registry_page_size: int = Field(1000, ge=1, description="Tags asked for per page (`n`).")
    updater_insecure_registries: str = Field(
        "", description="Comma-separated registry hosts reached over plain HTTP (loopback hosts always are)."
    )

    @field_validator("cron_tick")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        if not croniter.is_valid(value):
            raise ValueError(f"CRON_TICK {value!r} is not a cron expression (5 fields, or 6 with seconds)")
        return value

    @property
    def insecure_registries(self) -> frozenset[str]:
        return frozenset(h.strip().lower() for h in self.updater_insecure_registries.split(",") if h.strip())

    def address_policy(self) -> AddressPolicy:
        allowed = self.registry_allowed_networks()
        return AddressPolicy(allowed if allowed == "*" else tuple(allowed))
