"""Identifiers: PocketBase record ids and sortable event ids."""

from __future__ import annotations

import secrets
import time

# PocketBase record ids: 15 characters from [a-z0-9], drawn from the OS CSPRNG.
RECORD_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
RECORD_ID_LENGTH = 15

# Crockford base32 (no I, L, O, U) keeps ULID-style event ids sortable as plain strings.
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_record_id() -> str:
    """A PocketBase-style record id, e.g. ``k3x9q1m0z7a2b4c``."""
    return "".join(secrets.choice(RECORD_ID_ALPHABET) for _ in range(RECORD_ID_LENGTH))


def is_record_id(value: str) -> bool:
    return len(value) == RECORD_ID_LENGTH and all(c in RECORD_ID_ALPHABET for c in value)


def new_event_id(now_ms: int | None = None) -> str:
    """A 26-character ULID: 48 bits of milliseconds then 80 random bits, so ids sort by creation time.

    Sorting matters because consumers and the catalog of an event log read more naturally in order,
    and JetStream de-duplication only needs uniqueness, which the 80 random bits give.
    """
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    value = (ms << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 0x1F])
        value >>= 5
    return "".join(reversed(chars))


def event_id_time_ms(event_id: str) -> int:
    """The millisecond timestamp encoded in an event id made by :func:`new_event_id`."""
    value = 0
    for char in event_id.upper():
        value = (value << 5) | _CROCKFORD.index(char)
    return value >> 80
