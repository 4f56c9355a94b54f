"""Kubernetes resource quantities (``250m``, ``128Mi``, ``1.5``, ``1e3``) parsed the way apimachinery does.

One-Click reports sums of quantities as strings produced by Go's ``Quantity.AsDec().String()``
(``100m`` + ``100m`` is ``"0.200"``, ``256Mi`` is ``"268435456"``), and the frontend reads them back
with ``Number()``. To give the same strings, a quantity keeps Go's internal form: an integer
``unscaled`` and a base-10 ``scale`` (value = unscaled * 10^scale), which decides how many
decimals the string shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_UP, Decimal

# apimachinery's own description of the syntax, repeated in its error message.
QUANTITY_SYNTAX = r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"

_BINARY_EXPONENTS = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL_EXPONENTS = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_NANO = -9
# Digits an int64 always holds; apimachinery leaves its fast integer path beyond this.
_INT64_DIGITS = 18
_INT64_MAX = 2**63 - 1


class QuantityError(ValueError):
    """Text Kubernetes would not accept as a quantity."""


@dataclass(frozen=True)
class Quantity:
    """A quantity as ``unscaled * 10^scale``, keeping the scale apimachinery would keep."""

    unscaled: int = 0
    scale: int = 0

    @property
    def value(self) -> Decimal:
        return Decimal(self.unscaled).scaleb(self.scale)

    def __add__(self, other: Quantity) -> Quantity:
        # Adding zero keeps the other side's scale; otherwise both align to the finer scale.
        if other.unscaled == 0:
            return self
        if self.unscaled == 0:
            return other
        scale = min(self.scale, other.scale)
        return Quantity(
            self.unscaled * 10 ** (self.scale - scale) + other.unscaled * 10 ** (other.scale - scale), scale
        )

    def as_dec_string(self) -> str:
        """The text of Go's ``Quantity.AsDec().String()``: plain decimal digits, no suffix."""
        decimals = -self.scale
        digits = str(abs(self.unscaled))
        sign = "-" if self.unscaled < 0 else ""
        if decimals <= 0:
            zeros = "0" * -decimals if self.unscaled != 0 else ""
            return f"{sign}{digits}{zeros}"
        digits = digits.rjust(decimals + 1, "0")
        return f"{sign}{digits[:-decimals]}.{digits[-decimals:]}"


def parse_quantity(text: str) -> Quantity:
    """Parse like apimachinery's ``ParseQuantity``; raises :class:`QuantityError` for bad text."""
    if not text:
        raise QuantityError(f"quantities must match the regular expression '{QUANTITY_SYNTAX}'")
    negative, number, num, denom, suffix = _split(text)
    base, exponent = _interpret_suffix(suffix)

    mantissa = 1
    if base == 10:
        scale = exponent
        precision = _INT64_DIGITS - (len(num) + len(denom))
    elif exponent >= 0 and not denom:
        scale = 0
        mantissa = 1 << exponent
        # apimachinery's own estimate of how many decimal digits a binary suffix uses up.
        precision = 15 - len(num) - int(exponent * 3 / 10) - 1
    else:
        scale, precision = 0, -1

    if precision >= 0:
        scale -= len(denom)
        if scale >= _NANO:
            result = int(num + denom) * mantissa
            if result <= _INT64_MAX:
                return Quantity(-result if negative else result, scale)

    # The exact path: any precision, rounded up to whole nanos as apimachinery does.
    amount = Decimal(number)
    amount = amount.scaleb(exponent) if base == 10 else amount * (1 << exponent)
    if amount == 0:
        return Quantity(0, 0)
    rounded = abs(amount).quantize(Decimal(1).scaleb(_NANO), rounding=ROUND_UP)
    unscaled = int(rounded.scaleb(-_NANO))
    return Quantity(-unscaled if amount < 0 else unscaled, _NANO)


def is_quantity(text: object) -> bool:
    if not isinstance(text, str):
        return False
    try:
        parse_quantity(text)
    except QuantityError:
        return False
    return True


def sum_quantities(quantities: list[Quantity]) -> Quantity:
    total = Quantity()
    for quantity in quantities:
        total = total + quantity
    return total


def _split(text: str) -> tuple[bool, str, str, str, str]:
    """Sign, the numeric text, integer digits (leading zeros removed), fraction digits, suffix."""
    position = 0
    negative = False
    if text[0] in "+-":
        negative = text[0] == "-"
        position = 1
    start = position
    while position < len(text) and text[position].isdigit() and text[position].isascii():
        position += 1
    integer = text[start:position]
    fraction = ""
    if position < len(text) and text[position] == ".":
        position += 1
        fraction_start = position
        while position < len(text) and text[position].isdigit() and text[position].isascii():
            position += 1
        fraction = text[fraction_start:position]
    if not integer and not fraction:
        raise QuantityError(f"quantities must match the regular expression '{QUANTITY_SYNTAX}'")
    number = text[:position]
    num = integer.lstrip("0") or "0"
    return negative, number, num, fraction, text[position:]


def _interpret_suffix(suffix: str) -> tuple[int, int]:
    """The base (2 or 10) and exponent a suffix stands for."""
    if suffix in _BINARY_EXPONENTS:
        return 2, _BINARY_EXPONENTS[suffix]
    if suffix in _DECIMAL_EXPONENTS:
        return 10, _DECIMAL_EXPONENTS[suffix]
    if len(suffix) > 1 and suffix[0] in "eE":
        digits = suffix[1:]
        unsigned = digits[1:] if digits[0] in "+-" else digits
        if unsigned.isdigit() and unsigned.isascii():
            return 10, int(digits)
    raise QuantityError("unable to parse quantity's suffix")
