"""Resource quantities (``250m``, ``128Mi``, ``1.5``) as numbers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from types import MappingProxyType

_SUFFIXES: Mapping[str, Decimal] = MappingProxyType({
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15,
    "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
    "Ei": Decimal(2) ** 60,
})
_PATTERN = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$")


def parse(value: object) -> Decimal:
    """A quantity as a number; raises ``ValueError`` for text Kubernetes would reject."""
    if isinstance(value, bool):
        raise ValueError(f"quantities must match the regular expression: {value!r}")
    if isinstance(value, int | float):
        return Decimal(str(value))
    text = str(value).strip()
    match = _PATTERN.match(text)
    if match is None:
        raise ValueError(f"quantities must match the regular expression "
                         f"'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': {text!r}")
    try:
        number = Decimal(match.group(1))
    except InvalidOperation:
        raise ValueError(f"invalid quantity {text!r}") from None
    return number * _SUFFIXES[match.group(2) or ""]


def is_valid(value: object) -> bool:
    try:
        parse(value)
    except ValueError:
        return False
    return True


def cpu_millis(value: object, default: int = 0) -> int:
    if value is None:
        return default
    try:
        return int(parse(value) * 1000)
    except ValueError:
        return default


def memory_bytes(value: object, default: int = 0) -> int:
    if value is None:
        return default
    try:
        return int(parse(value))
    except ValueError:
        return default


def format_cpu(millis: int) -> str:
    return f"{millis}m"


def format_cpu_nanos(nanos: int) -> str:
    return f"{nanos}n"


def format_memory(num_bytes: int) -> str:
    if num_bytes % (1 << 30) == 0 and num_bytes:
        return f"{num_bytes >> 30}Gi"
    if num_bytes % (1 << 20) == 0 and num_bytes:
        return f"{num_bytes >> 20}Mi"
    return f"{num_bytes // 1024}Ki"
