"""Quantities: parsed and summed so the text matches Go's ``Quantity.AsDec().String()``."""

from __future__ import annotations

from decimal import Decimal

import pytest

from oneclick_manifest.quantities import QuantityError, is_quantity, parse_quantity, sum_quantities


# Expected strings follow apimachinery: the fast integer path keeps the suffix's scale
# (500m → 500 * 10^-3 → "0.500"), binary suffixes multiply out, and the exact path rounds up
# to whole nanos (scale -9).
@pytest.mark.parametrize(
    ("text", "value", "as_dec"),
    [
        ("0", Decimal(0), "0"),
        ("1", Decimal(1), "1"),
        ("2", Decimal(2), "2"),
        ("500m", Decimal("0.5"), "0.500"),
        ("100m", Decimal("0.1"), "0.100"),
        ("0.5", Decimal("0.5"), "0.5"),
        ("1.5", Decimal("1.5"), "1.5"),
        ("128Mi", Decimal(134217728), "134217728"),
        ("1Gi", Decimal(1073741824), "1073741824"),
        ("12345Ki", Decimal(12641280), "12641280"),
        ("1G", Decimal(10**9), "1000000000"),
        ("1k", Decimal(1000), "1000"),
        ("1e3", Decimal(1000), "1000"),
        ("1E3", Decimal(1000), "1000"),
        ("1234567n", Decimal("0.001234567"), "0.001234567"),
        ("250u", Decimal("0.00025"), "0.000250"),
        ("1.5Gi", Decimal(1610612736), "1610612736.000000000"),
        ("1.5n", Decimal("0.000000002"), "0.000000002"),
        ("+3", Decimal(3), "3"),
        ("007", Decimal(7), "7"),
        (".5", Decimal("0.5"), "0.5"),
    ],
)
def test_parse(text: str, value: Decimal, as_dec: str) -> None:
    quantity = parse_quantity(text)
    assert quantity.value == value
    assert quantity.as_dec_string() == as_dec


@pytest.mark.parametrize("text", ["", "abc", "1Gb", "1 Gi", "1.2.3", "Mi", "1e", "1ee3", "--1", "1x", "\u0661"])
def test_invalid(text: str) -> None:
    assert not is_quantity(text)
    with pytest.raises(QuantityError):
        parse_quantity(text)


def test_non_strings_are_not_quantities() -> None:
    assert not is_quantity(1)
    assert not is_quantity(None)


@pytest.mark.parametrize(
    ("texts", "total"),
    [
        ([], "0"),
        (["100m", "100m"], "0.200"),
        (["1", "500m"], "1.500"),
        (["256Mi", "256Mi"], "536870912"),
        (["1G", "1"], "1000000001"),
        (["0", "250m"], "0.250"),
        (["250m", "0"], "0.250"),
        (["1.5Gi", "1"], "1610612737.000000000"),
    ],
)
def test_sums_keep_the_finer_scale(texts: list[str], total: str) -> None:
    assert sum_quantities([parse_quantity(text) for text in texts]).as_dec_string() == total


def test_negative_quantities_format_with_a_sign() -> None:
    assert parse_quantity("-500m").as_dec_string() == "-0.500"
    assert parse_quantity("-2").value == -2
