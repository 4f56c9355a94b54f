"""The records service's settings: the shared ones plus how it consumes events (env prefix ``ONECLICK_``)."""

from __future__ import annotations

from pydantic import Field

from oneclick_core.tenancy import TenancySettings


class RecordsSettings(TenancySettings):
    records_ack_wait: float = Field(
        30.0,
        gt=0,
        description="Seconds before JetStream hands an unacknowledged event (a user's change, a found "
        "tag) to another replica, e.g. after the one handling it died.",
    )
