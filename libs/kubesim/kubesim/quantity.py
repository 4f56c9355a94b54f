"""Resource quantities (``250m``, ``128Mi``, ``1.5``) as numbers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_UP, Decimal, InvalidOperation
from types import MappingProxyType
from typing import Literal

_SUFFIXES: Mapping[str, Decimal] = MappingProxyType(
    {
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
    }
)
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
        raise ValueError(
            f"quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': {text!r}"
        )
    try:
        number = Decimal(match.group(1))
    except InvalidOperation:
        raise ValueError(f"invalid quantity {text!r}") from None
    return number * _SUFFIXES[match.group(2) or ""]


Format = Literal["DecimalSI", "BinarySI", "DecimalExponent"]
_NANO = Decimal("1e-9")
_BINARY = ("", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei")
_DECIMAL: Mapping[int, str] = MappingProxyType(
    {-9: "n", -6: "u", -3: "m", 0: "", 3: "k", 6: "M", 9: "G", 12: "T", 15: "P", 18: "E"}
)


@dataclass(frozen=True)
class Quantity:
    """A value with the notation it was written in, which decides how Kubernetes prints it back."""

    value: Decimal
    format: Format = "DecimalSI"

    def __str__(self) -> str:
        return canonical(self.value, self.format)

    def __add__(self, other: Quantity) -> Quantity:
        # Like resource.Quantity.Add: the sum keeps the left operand's notation unless that one is zero.
        return Quantity(self.value + other.value, self.format if self.value else other.format)

    def __sub__(self, other: Quantity) -> Quantity:
        return Quantity(self.value - other.value, self.format if self.value else other.format)


ZERO = Quantity(Decimal(0))


def quantity(value: object) -> Quantity:
    """A quantity as Kubernetes holds it: rounded up to nano units, with its notation; ``ValueError`` like
    :func:`parse`."""
    amount = parse(value)
    fmt: Format = "DecimalSI"
    if not isinstance(value, int | float):
        match = _PATTERN.match(str(value).strip())
        suffix = match.group(2) if match else None
        if suffix in _BINARY[1:]:
            fmt = "BinarySI"
        elif suffix is None and match is not None and "e" in match.group(1).lower():
            fmt = "DecimalExponent"
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -9:
        amount = amount.quantize(_NANO, rounding=ROUND_UP)
    return Quantity(amount, fmt)


def canonical(value: Decimal, fmt: Format = "DecimalSI") -> str:
    """How the API server prints a quantity (``resource.Quantity.String``): ``1500m`` stays, ``1000m`` is ``1``,
    ``1024Mi`` is ``1Gi``, ``1e3`` keeps its exponent notation."""
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    magnitude = -value if value < 0 else value
    if fmt == "BinarySI" and magnitude >= 1024 and magnitude == magnitude.to_integral_value():
        number = int(magnitude)
        power = 0
        while number % 1024 == 0 and power < len(_BINARY) - 1:
            number //= 1024
            power += 1
        return f"{sign}{number}{_BINARY[power]}"
    mantissa, exponent = _decimal_parts(magnitude)
    if fmt == "DecimalExponent" or exponent not in _DECIMAL:
        return f"{sign}{mantissa}" + (f"e{exponent}" if exponent else "")
    return f"{sign}{mantissa}{_DECIMAL[exponent]}"


def _decimal_parts(value: Decimal) -> tuple[int, int]:
    """``value`` as an integer mantissa times a power of ten that is a multiple of three, the mantissa as small as
    that allows (``1500`` is ``(1500, 0)``, ``1500000`` is ``(1500, 3)``, ``0.5`` is ``(500, -3)``)."""
    _, digits, exponent = value.normalize().as_tuple()
    assert isinstance(exponent, int)
    mantissa = int("".join(map(str, digits)) or "0")
    shift = exponent % 3
    if shift:
        mantissa *= 10**shift
        exponent -= shift
    return mantissa, exponent


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
