"""Settings of the edge's live views (environment variables ``ONECLICK_LIVE_*``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class LiveSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ONECLICK_LIVE_", extra="ignore")

    interest_ttl: float = Field(
        15.0,
        gt=0,
        description="Seconds streaming keeps this replica's interest without a refresh (refreshed every third of it).",
    )
    linger: float = Field(5.0, ge=0, description="Seconds a namespace feed is kept after its last viewer left.")
    stale_after: float = Field(
        4.0, gt=0, description="Seconds without a heartbeat of the serving replica before resyncing from another."
    )
    reauthenticate: float = Field(
        30.0,
        gt=0,
        description="Seconds between checks that an open socket's token is still valid (not expired, not revoked).",
    )
    first_message_timeout: float = Field(30.0, gt=0, description="Seconds a WebSocket may take to send its request.")
    queue_frames: int = Field(
        1000,
        ge=10,
        description="Frames queued per connection before its updates are "
        "coalesced per object (and past that, it is disconnected).",
    )
    queue_log_bytes: int = Field(
        1 << 20, ge=1024, description="Log bytes queued per connection before the oldest lines are dropped."
    )
    log_tail: int = Field(200, ge=1, description="Lines of a log a new viewer gets first.")
