"""oneclick_core.semver against Masterminds/semver v1.5.0's rules, which One-Click's tag policies used."""

from __future__ import annotations

import pytest

from oneclick_core.autoupdates import is_semver_constraint
from oneclick_core.semver import Constraint, InvalidConstraint, InvalidVersion, Version


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("1.2.3", (1, 2, 3, "", "")),
        ("v1.2.3", (1, 2, 3, "", "")),
        ("1", (1, 0, 0, "", "")),
        ("1.2", (1, 2, 0, "", "")),
        ("1.2.3-rc.1+build.5", (1, 2, 3, "rc.1", "build.5")),
        ("0.0.0-alpine", (0, 0, 0, "alpine", "")),
    ],
)
def test_versions_parse_leniently(text: str, parsed: tuple[int, int, int, str, str]) -> None:
    version = Version.parse(text)
    assert (version.major, version.minor, version.patch, version.prerelease, version.metadata) == parsed


@pytest.mark.parametrize(
    "text", ["latest", "1.2.3.4", "1.2.3-", "v", "1..2", "01a", "9223372036854775808", " 1.2.3", "1.2.3 "]
)
def test_non_versions_are_refused(text: str) -> None:
    with pytest.raises(InvalidVersion):
        Version.parse(text)


@pytest.mark.parametrize(
    ("smaller", "larger"),
    [
        ("1.2.3", "1.2.4"),
        ("1.2.9", "1.10.0"),
        ("1.3.0-rc1", "1.3.0"),
        ("1.3.0-alpha", "1.3.0-beta"),
        ("1.3.0-alpha.2", "1.3.0-alpha.10"),  # numeric parts compare as numbers
        ("1.3.0-1", "1.3.0-alpha"),  # numbers before words
        ("1.3.0-alpha", "1.3.0-alpha.1"),  # more parts win
        ("2.0.0-rc1", "2.0.0"),
    ],
)
def test_ordering(smaller: str, larger: str) -> None:
    assert Version.parse(smaller) < Version.parse(larger)
    assert Version.parse(larger).compare(Version.parse(smaller)) == 1


def test_build_metadata_and_prefix_do_not_change_equality() -> None:
    assert Version.parse("1.2.3+a") == Version.parse("v1.2.3+b")
    assert Version.parse("1.2") == Version.parse("1.2.0")
    assert Version.parse("1.3.0-01") == Version.parse("1.3.0-1")


# (constraint, versions that satisfy it, versions that do not) — Masterminds v1.5 semantics.
CASES = [
    ("^1.2", ["1.2.0", "1.2.5", "1.10.1"], ["1.1.9", "2.0.0", "0.9.0"]),
    ("^0.2.3", ["0.2.3", "0.9.0"], ["0.2.2", "1.0.0"]),  # v1: same major only (npm would stop at 0.3)
    ("~1.2", ["1.2.0", "1.2.99"], ["1.3.0", "1.1.0"]),
    ("~1.2.3", ["1.2.3", "1.2.9"], ["1.2.2", "1.3.0"]),
    ("~1", ["1.0.0", "1.9.9"], ["2.0.0"]),
    ("~0", ["0.5.0"], ["1.0.0"]),
    ("1.x", ["1.0.0", "1.7.3"], ["2.0.0", "0.9.9"]),
    ("1", ["1.4.0"], ["2.0.0"]),  # a missing minor is a wildcard
    ("=1.2", ["1.2.0"], ["1.2.1"]),  # but a missing patch is not: exactly 1.2.0
    ("*", ["0.0.1", "99.0.0"], []),
    (">=1.2, <2", ["1.2.0", "1.99.0"], ["1.1.0", "2.0.0"]),
    (">= 1.2 < 2", ["1.5.0"], ["2.0.0", "1.0.0"]),  # spaces join clauses too (v3 style)
    (">1.2.3", ["1.2.4"], ["1.2.3"]),
    ("<=1.2.3", ["1.2.3", "0.1.0"], ["1.2.4"]),
    ("<2", ["1.99.0"], ["2.0.0", "2.5.0"]),  # v1 admitted 2.x here; fixed as in v3
    ("<1.x", ["0.9.0"], ["1.5.0", "2.0.0"]),
    ("<=1.2.x", ["0.5.0", "1.2.9", "1.1.0"], ["1.3.0", "2.0.0"]),  # v1 refused 0.5.0; fixed as in v3
    ("<=1", ["1.9.0", "0.1.0"], ["2.0.0"]),
    ("!=1.2.3", ["1.2.4"], ["1.2.3"]),
    ("!=1.x", ["2.0.0", "0.1.0"], ["1.5.0"]),
    ("1.2 - 1.4.5", ["1.2.0", "1.4.5"], ["1.4.6", "1.1.9"]),
    ("^1.4 || ~2.1", ["1.4.0", "1.9.0", "2.1.7"], ["2.2.0", "1.3.9"]),
    ("=>1.2", ["1.2.0"], ["1.1.0"]),
    ("~>1.2", ["1.2.5"], ["1.3.0"]),
    ("^1.2", [], ["1.3.0-rc1"]),  # a pre-release needs a constraint naming one
    (">=1.3.0-rc0", ["1.3.0-rc1", "1.3.0"], ["1.3.0-alpha"]),
]


@pytest.mark.parametrize(("constraint", "yes", "no"), CASES)
def test_constraints(constraint: str, yes: list[str], no: list[str]) -> None:
    parsed = Constraint.parse(constraint)
    assert [v for v in yes if not parsed.check(Version.parse(v))] == []
    assert [v for v in no if parsed.check(Version.parse(v))] == []


@pytest.mark.parametrize("constraint", ["", "bogus", ">>1", "^", "1.2.3.4", "1.x.y", "||", "^1 || "])
def test_bad_constraints_are_refused_and_so_are_autoupdates_using_them(constraint: str) -> None:
    with pytest.raises(InvalidConstraint):
        Constraint.parse(constraint)
    assert not is_semver_constraint(constraint)
