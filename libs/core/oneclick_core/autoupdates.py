"""What an autoUpdate says, as One-Click defined it: check ``interval``, keep tags matching ``pattern``,
choose by ``policy``. Records validates it when an autoUpdate is saved; the updater schedules by it.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Protocol

import re2

from oneclick_core.errors import field_error
from oneclick_core.semver import Constraint, InvalidConstraint

# One-Click's units (pkg/controller/autoUpdates.go ParseDuration); "ms" is left out on purpose: the
# scheduler ticks at most once a second and a sub-second interval would only mean "every tick".
_UNITS = {
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}
_INTERVAL = re.compile(r"^\s*(\d{1,6})\s*([smhdw])\s*$", re.ASCII)  # ASCII: full-width digits are no number to Go
POLICIES = ("asc", "desc", "latest", "semver", "timestamp")


def is_semver_constraint(text: str) -> bool:
    """Whether the updater can evaluate ``text`` (Masterminds/semver's syntax, see :mod:`oneclick_core.semver`)."""
    try:
        Constraint.parse(text)
    except InvalidConstraint:
        return False
    return True


class Pattern(Protocol):
    def search(self, text: str) -> object | None: ...


def compile_pattern(pattern: str) -> Pattern:
    """A tag ``pattern`` as One-Click matched it: Go's regexp, i.e. RE2 syntax, unanchored search.

    RE2 also runs in linear time, so no pattern a user saves can stall the updater on a long tag.
    """
    options = re2.Options()
    options.log_errors = False  # the caller reports the error; RE2 would also print it to stderr
    try:
        compiled: Pattern = re2.compile(pattern, options=options)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        raise ValueError(reason.decode() if isinstance(reason, bytes) else str(reason)) from None
    return compiled


def parse_interval(text: str) -> timedelta:
    """``"5m"`` → 5 minutes; raises ValueError for anything else (or zero)."""
    match = _INTERVAL.match(text)
    if match is None:
        raise ValueError("Must be a number followed by s, m, h, d or w, e.g. 5m.")
    value = int(match.group(1))
    if value <= 0:
        raise ValueError("Must be greater than zero.")
    return value * _UNITS[match.group(2)]


def parse_policy(text: str) -> tuple[str, str]:
    """``"semver:>=1.2,<2"`` → ``("semver", ">=1.2,<2")``; an empty policy means ``latest``."""
    name, _, constraint = (text.strip() or "latest").partition(":")
    if name not in POLICIES:
        raise ValueError(f"Must be one of {', '.join(POLICIES)} (semver may add :<constraint>).")
    if constraint and name != "semver":
        raise ValueError("Only the semver policy takes a constraint.")
    if constraint and not is_semver_constraint(constraint):
        raise ValueError(f"Invalid semver constraint {constraint!r}.")
    return name, constraint.strip()


def auto_update_errors(interval: str | None, pattern: str | None, policy: str | None) -> dict[str, dict[str, str]]:
    """Per-field errors (PocketBase shape) of the parts that were given."""
    errors: dict[str, dict[str, str]] = {}
    if interval is not None:
        try:
            parse_interval(interval)
        except ValueError as exc:
            errors["interval"] = field_error("validation_invalid_interval", str(exc))
    if pattern:
        try:
            compile_pattern(pattern)
        except ValueError as exc:
            errors["pattern"] = field_error("validation_invalid_pattern", f"Invalid regular expression: {exc}.")
    if policy is not None:
        try:
            parse_policy(policy)
        except ValueError as exc:
            errors["policy"] = field_error("validation_invalid_policy", str(exc))
    return errors
