"""Which tag an autoUpdate wants, as One-Click chose it (``pkg/image/tag.go``): keep the tags ``pattern``
matches, order them by ``policy``, take the first. Pure; docs/updater.md lists where we differ and why.

- ``asc`` / ``desc``: plain string order, so ``asc`` takes the *smallest* tag (as One-Click did).
- ``latest``: the tag ``latest`` if the pattern keeps it; otherwise nothing (One-Click took an
  arbitrary tag: its sort had no defined order for the others).
- ``semver``: tags that parse as (lenient) semantic versions, highest first, pre-releases below their
  release; ``semver:<constraint>`` additionally requires the tag's leading ``X.Y.Z`` to satisfy the
  constraint, so ``1.2.3-alpine`` counts as ``1.2.3`` and ``v1.2.3`` never matches one.
- ``timestamp``: tags containing a standalone 10-digit unix timestamp, newest first.

Ties (``1.2`` and ``1.2.0``, or two tags with the same timestamp) go to the greater tag string, which is
what One-Click's map-based sort ended up choosing for a registry listing in lexical order.
"""

from __future__ import annotations

from collections.abc import Iterable

import re2

from oneclick_core.autoupdates import compile_pattern, parse_policy
from oneclick_core.semver import Constraint, InvalidVersion, Version

LATEST = "latest"
_BASE_VERSION = re2.compile(r"^\d+\.\d+\.\d+")
# Go's \b and \d are ASCII-only, as RE2's are: "build_1700000000" has no boundary before the digits.
_TIMESTAMP = re2.compile(r"\b\d{10}\b")


def _semver_ranked(tags: list[str], constraint: str) -> list[str]:
    versions: list[tuple[Version, str]] = []
    for tag in tags:
        try:
            versions.append((Version.parse(tag), tag))
        except InvalidVersion:
            continue
    if constraint:
        allowed = Constraint.parse(constraint)
        kept = []
        for version, tag in versions:
            base = _BASE_VERSION.search(tag)
            if base is not None and allowed.check(Version.parse(base.group(0))):
                kept.append((version, tag))
        versions = kept
    versions.sort(key=lambda pair: (pair[0], pair[1]), reverse=True)
    return [tag for _, tag in versions]


def _timestamp_ranked(tags: list[str]) -> list[str]:
    stamped: list[tuple[int, str]] = []
    for tag in tags:
        found = _TIMESTAMP.search(tag)
        if found is not None:
            stamped.append((int(found.group(0)), tag))
    stamped.sort(reverse=True)
    return [tag for _, tag in stamped]


def rank_tags(tags: Iterable[str], pattern: str, policy: str) -> list[str]:
    """The candidate tags, best first. Raises ValueError for a pattern or policy records would refuse."""
    name, constraint = parse_policy(policy)
    matcher = compile_pattern(pattern)
    kept = sorted({tag for tag in tags if matcher.search(tag) is not None})
    if name == "asc":
        return kept
    if name == "desc":
        return kept[::-1]
    if name == LATEST:
        return [LATEST] if LATEST in kept else []
    if name == "semver":
        return _semver_ranked(kept, constraint)
    return _timestamp_ranked(kept)


def select_tag(tags: Iterable[str], pattern: str, policy: str) -> str | None:
    """The tag the autoUpdate wants, or None when no tag qualifies."""
    ranked = rank_tags(tags, pattern, policy)
    return ranked[0] if ranked else None
