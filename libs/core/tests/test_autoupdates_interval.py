"""``parse_interval``: the check intervals of an autoUpdate as One-Click wrote them (``Ns``, ``Nm``, ``Nh``,
``Nd``, ``Nw``), and what it refuses (records answers 400 for those when the autoUpdate is saved)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from oneclick_core.autoupdates import auto_update_errors, parse_interval


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("1s", timedelta(seconds=1)),
        ("5m", timedelta(minutes=5)),
        ("90m", timedelta(minutes=90)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
        ("7d", timedelta(days=7)),
        ("1w", timedelta(weeks=1)),
        ("3w", timedelta(weeks=3)),
        ("05m", timedelta(minutes=5)),  # leading zeros are still the number
        (" 5m ", timedelta(minutes=5)),  # surrounding blanks, as a form may send them
        ("999999s", timedelta(seconds=999999)),  # the longest number accepted
    ],
)
def test_valid_intervals(text: str, expected: timedelta) -> None:
    assert parse_interval(text) == expected
    assert auto_update_errors(text, None, None) == {}


@pytest.mark.parametrize(
    "text",
    [
        "",  # nothing
        "5",  # no unit
        "m",  # no number
        "0m",  # zero: would mean every tick
        "-5m",  # negative
        "+5m",  # a sign at all
        "1.5h",  # fractions
        "5ms",  # milliseconds are left out on purpose
        "5y",  # unknown unit
        "5M",  # units are lower case
        "1h30m",  # one number and one unit only
        "5 minutes",  # words
        "1000000s",  # more than six digits
        "m5",  # unit first
        "\uff15m",  # a full-width digit: a digit to Python's re, not to One-Click's Go parser
    ],
)
def test_invalid_intervals(text: str) -> None:
    with pytest.raises(ValueError, match="Must be"):
        parse_interval(text)
    errors = auto_update_errors(text, None, None)
    assert set(errors) == {"interval"}
    assert errors["interval"]["code"] == "validation_invalid_interval"
