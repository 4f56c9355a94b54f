"""Tag selection as One-Click did it (pkg/image/tag.go), table by table; differences are commented."""

from __future__ import annotations

import pytest

from oneclick_updater.selecting import rank_tags, select_tag

TAGS = [
    "1.2.0",
    "1.2.3",
    "1.10.1",
    "1.3.0-rc1",
    "2.0.0",
    "0.9.0",
    "v1.11.0",
    "1.4",
    "latest",
    "1.2.3-alpine",
    "1.2.3.4",
    "main",
    "build-1700000000",
    "build-1800000000-x",
    "release_1900000000",
    "sha-abc1234",
]


@pytest.mark.parametrize(
    ("pattern", "policy", "expected"),
    [
        # semver: whole tag parses (leniently: v-prefix, missing patch), highest first, pre-releases below release
        ("", "semver", "2.0.0"),
        (r"^1\.", "semver", "1.10.1"),
        (r"^v?1\.", "semver", "v1.11.0"),
        # semver:<constraint>: the constraint looks at the leading X.Y.Z only, so v1.11.0 and 1.4 never pass
        (r"^1\.", "semver:^1.2", "1.10.1"),
        ("", "semver:^1.2", "1.10.1"),
        ("", "semver:~1.2", "1.2.3"),
        ("", "semver:<1", "0.9.0"),
        ("", "semver:>=3", None),
        # ... and a tag with a suffix passes as its base version (One-Click's behaviour, kept)
        (r"^1\.2\.3", "semver:~1.2", "1.2.3"),
        (r"alpine", "semver:~1.2", "1.2.3-alpine"),
        # 1.3.0-rc1 parses and its base 1.3.0 satisfies ^1.2, so it competes (it loses to 1.10.1 on version)
        (r"^1\.[23]", "semver:^1.2", "1.3.0-rc1"),
        # asc/desc: plain string order; asc takes the smallest tag, as One-Click did
        ("", "asc", "0.9.0"),
        ("", "desc", "v1.11.0"),
        (r"^\d+\.\d+\.\d+$", "desc", "2.0.0"),
        # latest: the tag "latest" when the pattern keeps it, else nothing (One-Click: an arbitrary tag)
        ("", "latest", "latest"),
        ("", "", "latest"),  # an empty policy means latest
        (r"^\d", "latest", None),
        # timestamp: a standalone 10-digit number; newest first; "_" is a word character, so no boundary
        ("", "timestamp", "build-1800000000-x"),
        (r"^build-1700", "timestamp", "build-1700000000"),
        ("release", "timestamp", None),
        # the pattern is an unanchored RE2 search, like Go's MatchString
        ("abc", "asc", "sha-abc1234"),
        ("nothing-matches", "semver", None),
    ],
)
def test_select_tag(pattern: str, policy: str, expected: str | None) -> None:
    assert select_tag(TAGS, pattern, policy) == expected


def test_semver_ranking_orders_and_breaks_ties_by_tag() -> None:
    assert rank_tags(
        ["1.2", "1.2.0", "v1.2.0", "1.10.0", "1.9.0", "1.10.0-rc.2", "1.10.0-rc.10", "x"], "", "semver"
    ) == ["1.10.0", "1.10.0-rc.10", "1.10.0-rc.2", "1.9.0", "v1.2.0", "1.2.0", "1.2"]


def test_timestamp_ties_go_to_the_greater_tag() -> None:
    assert rank_tags(["a-1700000000", "b-1700000000", "c-1600000000"], "", "timestamp") == [
        "b-1700000000",
        "a-1700000000",
        "c-1600000000",
    ]


def test_duplicates_in_a_listing_count_once() -> None:
    assert rank_tags(["1.0.0", "1.0.0", "0.1.0"], "", "semver") == ["1.0.0", "0.1.0"]


@pytest.mark.parametrize(
    ("pattern", "policy"), [("([", "semver"), ("(?=x)", "semver"), ("", "newest"), ("", "semver:bogus"), ("", "asc:1")]
)
def test_what_records_would_refuse_raises(pattern: str, policy: str) -> None:
    with pytest.raises(ValueError):
        select_tag(TAGS, pattern, policy)


def test_a_pathological_pattern_is_harmless() -> None:
    # RE2 runs in linear time; Python's re would backtrack for ages on this.
    assert select_tag(["a" * 127 + "b"], "(a+)+$", "asc") is None
