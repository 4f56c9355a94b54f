"""Semantic versions and constraints as One-Click evaluated them (Masterminds/semver v1.5.0).

One-Click parsed versions leniently (``v1``, ``1.2`` and ``v1.2.3-rc.1+build`` are all versions) and
checked constraints with that library's rules, which differ from npm's in places: ``^0.2`` means
``>=0.2.0 <1.0.0`` and ``=1.2`` means exactly ``1.2.0``. We keep those rules
so an autoUpdate picks the tag it picked before. Two deliberate extensions: clauses may also be joined
by spaces (``>=1.2 <2``, as Masterminds v3 allows), and numeric pre-release parts that are equal as
numbers (``01`` and ``1``) compare equal instead of by argument order. Two v1 bugs are fixed as v3
fixed them: ``<2`` (and ``<1.x``) admitted every 2.x (1.x), and ``<=1.2.x`` refused ``0.5.0``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import total_ordering

_INT64_MAX = 2**63 - 1
_VERSION = re.compile(
    r"^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?"
    r"(?:-([0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*))?"
    r"(?:\+([0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*))?$"
)
_WILD = r"[0-9xX*]+"
_CONSTRAINT_VERSION = (
    rf"v?({_WILD})(\.{_WILD})?(\.{_WILD})?"
    r"(-[0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*)?"
    r"(?:\+[0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*)?"
)
_OPERATORS = ("!=", ">=", "=>", "<=", "=<", "~>", ">", "<", "=", "~", "^", "")
_CLAUSE = re.compile(
    r"^\s*(" + "|".join(re.escape(op) for op in _OPERATORS if op) + r")?\s*" + _CONSTRAINT_VERSION + r"\s*$"
)
_RANGE = re.compile(
    rf"\s*(v?{_WILD}(?:\.{_WILD}){{0,2}}(?:-[0-9A-Za-z.\-]+)?(?:\+[0-9A-Za-z.\-]+)?)\s+-\s+"
    rf"(v?{_WILD}(?:\.{_WILD}){{0,2}}(?:-[0-9A-Za-z.\-]+)?(?:\+[0-9A-Za-z.\-]+)?)\s*"
)
# An operator followed by spaces belongs to the version after it (">= 1.2" is one clause).
_LOOSE_OPERATOR = re.compile(r"(!=|>=|=>|<=|=<|~>|\^|~|>|<|=)\s+")


class InvalidVersion(ValueError):
    pass


class InvalidConstraint(ValueError):
    pass


def _number(text: str) -> int:
    value = int(text)
    if value > _INT64_MAX:  # Go parsed segments as int64
        raise InvalidVersion(f"version segment {text} is out of range")
    return value


def _compare_prerelease_part(mine: str, other: str) -> int:
    if mine == other:
        return 0
    if not mine:
        return -1
    if not other:
        return 1
    mine_numeric, other_numeric = mine.isdigit(), other.isdigit()
    if mine_numeric and other_numeric:
        return (int(mine) > int(other)) - (int(mine) < int(other))
    if mine_numeric:
        return -1  # numbers sort before words
    if other_numeric:
        return 1
    return 1 if mine > other else -1


def _compare_prerelease(mine: str, other: str) -> int:
    left, right = mine.split("."), other.split(".")
    for index in range(max(len(left), len(right))):
        outcome = _compare_prerelease_part(
            left[index] if index < len(left) else "", right[index] if index < len(right) else ""
        )
        if outcome:
            return outcome
    return 0


@total_ordering
@dataclass(frozen=True, eq=False)
class Version:
    major: int
    minor: int
    patch: int
    prerelease: str = ""
    metadata: str = ""

    @classmethod
    def parse(cls, text: str) -> Version:
        match = _VERSION.match(text)
        if match is None:
            raise InvalidVersion(f"{text!r} is not a semantic version")
        major, minor, patch, prerelease, metadata = match.groups()
        return cls(
            _number(major),
            _number(minor[1:]) if minor else 0,
            _number(patch[1:]) if patch else 0,
            prerelease or "",
            metadata or "",
        )

    def compare(self, other: Version) -> int:
        """-1, 0 or 1; build metadata is ignored and a pre-release sorts before its release."""
        for mine, theirs in ((self.major, other.major), (self.minor, other.minor), (self.patch, other.patch)):
            if mine != theirs:
                return 1 if mine > theirs else -1
        if self.prerelease == other.prerelease:
            return 0
        if not self.prerelease:
            return 1
        if not other.prerelease:
            return -1
        return _compare_prerelease(self.prerelease, other.prerelease)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self.compare(other) == 0

    def __lt__(self, other: Version) -> bool:
        return self.compare(other) < 0

    def __hash__(self) -> int:
        return hash((self.major, self.minor, self.patch, self.prerelease))

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += f"-{self.prerelease}"
        if self.metadata:
            text += f"+{self.metadata}"
        return text


def _is_wild(part: str) -> bool:
    return part in ("x", "X", "*")


@dataclass(frozen=True)
class _Clause:
    operator: str
    version: Version
    dirty: bool  # a wildcard (or a missing minor) somewhere in the version
    minor_dirty: bool
    patch_dirty: bool

    def check(self, version: Version) -> bool:
        return _CHECKS[self.operator](self, version)


def _excluded_prerelease(clause: _Clause, version: Version) -> bool:
    # A pre-release only satisfies a constraint that itself names a pre-release (Masterminds issue 21).
    return bool(version.prerelease) and not clause.version.prerelease


def _tilde(clause: _Clause, version: Version) -> bool:
    if _excluded_prerelease(clause, version) or version < clause.version:
        return False
    con = clause.version
    if (con.major, con.minor, con.patch) == (0, 0, 0) and not clause.minor_dirty and not clause.patch_dirty:
        return True
    if version.major != con.major:
        return False
    return version.minor == con.minor or clause.minor_dirty


def _tilde_or_equal(clause: _Clause, version: Version) -> bool:
    if _excluded_prerelease(clause, version):
        return False
    return _tilde(clause, version) if clause.dirty else version == clause.version


def _not_equal(clause: _Clause, version: Version) -> bool:
    if not clause.dirty:
        return version != clause.version
    if _excluded_prerelease(clause, version):
        return False
    if clause.version.major != version.major:
        return True
    return clause.version.minor != version.minor and not clause.minor_dirty


def _greater(clause: _Clause, version: Version) -> bool:
    return not _excluded_prerelease(clause, version) and version > clause.version


def _greater_or_equal(clause: _Clause, version: Version) -> bool:
    return not _excluded_prerelease(clause, version) and version >= clause.version


def _less(clause: _Clause, version: Version) -> bool:
    # v3's rule: below the wildcard's zero-filled version. v1 let "<2" admit every 2.x.
    return not _excluded_prerelease(clause, version) and version < clause.version


def _less_or_equal(clause: _Clause, version: Version) -> bool:
    if _excluded_prerelease(clause, version):
        return False
    if not clause.dirty:
        return version <= clause.version
    # Up to the end of the wildcard's range ("<=1.2.x" admits 1.2.9). v1 compared minors across different
    # majors too, so "<=1.2.x" refused 0.5.0; v3 fixed that, and so do we.
    if version.major != clause.version.major:
        return version.major < clause.version.major
    return version.minor <= clause.version.minor or clause.minor_dirty


def _caret(clause: _Clause, version: Version) -> bool:
    if _excluded_prerelease(clause, version) or version < clause.version:
        return False
    return version.major == clause.version.major


_CHECKS: dict[str, Callable[[_Clause, Version], bool]] = {
    "": _tilde_or_equal,
    "=": _tilde_or_equal,
    "!=": _not_equal,
    ">": _greater,
    "<": _less,
    ">=": _greater_or_equal,
    "=>": _greater_or_equal,
    "<=": _less_or_equal,
    "=<": _less_or_equal,
    "~": _tilde,
    "~>": _tilde,
    "^": _caret,
}


def _parse_clause(text: str) -> _Clause:
    match = _CLAUSE.match(text)
    if match is None:
        raise InvalidConstraint(f"improper constraint: {text.strip()!r}")
    operator, major, minor, patch, prerelease = match.groups()
    prerelease = prerelease or ""
    minor_part, patch_part = (minor or "")[1:], (patch or "")[1:]
    minor_dirty = patch_dirty = dirty = False
    if _is_wild(major):
        numbers = "0.0.0"
        dirty = True
    elif _is_wild(minor_part) or not minor_part:
        numbers, minor_dirty, dirty = f"{major}.0.0{prerelease}", True, True
    elif _is_wild(patch_part):
        numbers, patch_dirty, dirty = f"{major}.{minor_part}.0{prerelease}", True, True
    else:
        numbers = f"{major}.{minor_part}{'.' + patch_part if patch_part else ''}{prerelease}"
    try:
        version = Version.parse(numbers)
    except InvalidVersion:
        raise InvalidConstraint(f"improper constraint: {text.strip()!r}") from None
    return _Clause(operator or "", version, dirty, minor_dirty, patch_dirty)


@dataclass(frozen=True)
class Constraint:
    """Groups joined by ``||`` (any may hold) of clauses that must all hold."""

    text: str
    groups: tuple[tuple[_Clause, ...], ...]

    @classmethod
    def parse(cls, text: str) -> Constraint:
        rewritten = _RANGE.sub(lambda m: f" >={m.group(1)}, <={m.group(2)} ", text)
        groups = []
        for group in rewritten.split("||"):
            tight = _LOOSE_OPERATOR.sub(r"\1", group.strip())
            clauses = [part for part in re.split(r"[\s,]+", tight) if part]
            if not clauses:
                raise InvalidConstraint(f"empty constraint in {text!r}")
            groups.append(tuple(_parse_clause(clause) for clause in clauses))
        return cls(text, tuple(groups))

    def check(self, version: Version) -> bool:
        return any(all(clause.check(version) for clause in group) for group in self.groups)
