"""Log lines with ``timestamps=true``: nanoseconds kept however Kubernetes trims the fraction."""

from __future__ import annotations

from datetime import UTC, datetime

from oneclick_kube.loglines import nanos_to_datetime, parse_nanos, split_timestamp


def test_log_timestamps_keep_nanoseconds_however_kubernetes_trims_them() -> None:
    assert parse_nanos("2024-05-01T10:00:00Z") == 1714557600 * 10**9
    assert parse_nanos("2024-05-01T10:00:00.5Z") == 1714557600 * 10**9 + 500_000_000
    assert parse_nanos("2024-05-01T10:00:00.123456789Z") == 1714557600 * 10**9 + 123_456_789
    assert parse_nanos("2024-05-01T10:00:00.5Z") > parse_nanos("2024-05-01T10:00:00.12Z")
    assert split_timestamp("2024-05-01T10:00:00.1Z GET / 200") == (1714557600 * 10**9 + 100_000_000, "GET / 200")
    assert split_timestamp("garbage") == (0, "")


def test_since_takes_the_whole_second() -> None:
    assert nanos_to_datetime(1714557600 * 10**9 + 999_999_999) == datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
