"""Int-or-percent values (``maxSurge: 25%``, ``maxUnavailable: 1``), as Kubernetes scales them (pure)."""

from __future__ import annotations

import math
from typing import Any


def scaled_value(value: Any, total: int, round_up: bool) -> int:
    """``value`` as a count out of ``total``: an integer as it is, a percentage of ``total`` rounded up or down
    (apimachinery's ``GetScaledValueFromIntOrPercent``). Raises ValueError for anything else."""
    if isinstance(value, int):
        return value
    text = str(value)
    if text.endswith("%"):
        fraction = int(text[:-1]) * total / 100
        return math.ceil(fraction) if round_up else math.floor(fraction)
    return int(text)
