"""JetStream streams of the platform, created or updated idempotently by every service at start."""

from __future__ import annotations

import dataclasses

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from oneclick_core.contracts.envelope import DEAD_LETTER_SUBJECT_PREFIX, EVENT_SUBJECT_PREFIX

EVENTS_STREAM = "ONECLICK_EVENTS"
DEAD_LETTER_STREAM = "ONECLICK_DLQ"
DAY = 24 * 3600.0


def platform_streams(replicas: int = 1) -> list[StreamConfig]:
    return [
        StreamConfig(
            name=EVENTS_STREAM,
            description="One-Click domain events",
            subjects=[f"{EVENT_SUBJECT_PREFIX}.>"],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            discard=DiscardPolicy.OLD,
            max_age=7 * DAY,
            # Publishers retry with the same Nats-Msg-Id (outbox relay after a crash); this is how long
            # JetStream remembers ids to drop such repeats.
            duplicate_window=120.0,
            num_replicas=replicas,
        ),
        StreamConfig(
            name=DEAD_LETTER_STREAM,
            description="Events a consumer gave up on after its maximum deliveries, for inspection",
            subjects=[f"{DEAD_LETTER_SUBJECT_PREFIX}.>"],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            max_age=30 * DAY,
            duplicate_window=120.0,
            num_replicas=replicas,
        ),
    ]


async def ensure_streams(js: JetStreamContext, replicas: int = 1) -> None:
    """Create the platform's streams, or bring an existing stream's config up to date."""
    for config in platform_streams(replicas):
        assert config.name is not None
        try:
            current = (await js.stream_info(config.name)).config
        except NotFoundError:
            try:
                await js.add_stream(config)
                continue
            except Exception:
                # Another replica created it between our lookup and our create: fall through to update.
                current = (await js.stream_info(config.name)).config
        if drifted(current, config):
            await js.update_stream(config)


def drifted(current: StreamConfig, wanted: StreamConfig) -> bool:
    """Whether a stream differs in what ``wanted`` sets; fields it leaves unset (None) are the server's to fill,
    so a stream already as wanted is left alone (no write at every start)."""
    return any(
        getattr(current, field.name) != value
        for field in dataclasses.fields(wanted)
        if field.name != "name" and (value := getattr(wanted, field.name)) is not None
    )
