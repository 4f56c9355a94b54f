"""Generated names, uids and hashes shaped like the ones Kubernetes produces."""

from __future__ import annotations

import hashlib
import random
import uuid
from typing import Any

import orjson

# The alphabet of k8s.io/apimachinery's rand.String and SafeEncodeString: no vowels (no words), no
# look-alike characters.
SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


class NameSource:
    """Random suffixes (``generateName``), uids and container ids; seedable so tests can be deterministic."""

    def __init__(self, seed: int | None = None) -> None:
        self._random = random.Random(seed)

    def suffix(self, length: int = 5) -> str:
        return "".join(self._random.choice(SAFE_ALPHABET) for _ in range(length))

    def uid(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def hex(self, length: int) -> str:
        return "".join(self._random.choice("0123456789abcdef") for _ in range(length))


def safe_encode(data: bytes, length: int) -> str:
    digest = int.from_bytes(hashlib.sha256(data).digest(), "big")
    out = []
    for _ in range(length):
        digest, index = divmod(digest, len(SAFE_ALPHABET))
        out.append(SAFE_ALPHABET[index])
    return "".join(out)


def canonical_json(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def template_hash(template: Any, collision_count: int = 0) -> str:
    """``pod-template-hash``: stable for an unchanged pod template, different when it changes."""
    return safe_encode(canonical_json(template) + str(collision_count).encode(), 10)


def stable_digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def stable_fraction(*parts: str) -> float:
    """A number in [0, 1) that depends only on ``parts`` (synthetic metrics and log lines)."""
    return int(stable_digest(*parts)[:12], 16) / float(16**12)
