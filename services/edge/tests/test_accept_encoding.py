"""Which precompressed siblings a client may get: Accept-Encoding with quality values (RFC 9110 §12.5.3)."""

from __future__ import annotations

import pytest

from oneclick_edge.apis.frontend import accepted_encodings


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", set()),
        ("gzip", {"gzip"}),
        ("br, gzip", {"br", "gzip"}),
        ("br;q=1.0, gzip;q=0.8", {"br", "gzip"}),  # a lower preference is still an acceptance
        ("gzip;q=0.5, br;q=0", {"gzip"}),
        ("GZIP; Q=0.001", {"gzip"}),
        ("gzip;q=0, br;q=0.0", set()),
        ("gzip;q=zero", set()),
        ("identity", {"identity"}),
    ],
)
def test_only_quality_zero_refuses_a_coding(header: str, expected: set[str]) -> None:
    assert accepted_encodings(header) == expected
