"""What ``@request.*`` reads: the caller's auth record and, optionally, other parts of the request."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_MISSING = object()


@dataclass(frozen=True)
class RequestContext:
    """``auth`` is the authenticated record as a dict (``None`` for guests: every ``@request.auth.*`` is null).

    ``headers`` keys are lower-case with ``-`` turned into ``_`` (PocketBase's ``@request.headers.x_token``).
    ``context`` is PocketBase's request context name (``default``, ``realtime``, ``expand``…).
    """

    auth: Mapping[str, Any] | None = None
    method: str | None = None
    context: str | None = None
    body: Mapping[str, Any] = field(default_factory=dict)
    query: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, Any] = field(default_factory=dict)

    def lookup(self, path: tuple[str, ...]) -> tuple[bool, Any]:
        """``(found, value)`` for ``@request.<path>``; unknown keys are not found (their value is null)."""
        namespace, rest = path[0], path[1:]
        if namespace in ("method", "context"):
            value = getattr(self, namespace)
            return value is not None, value
        current: Any = getattr(self, namespace, None)
        for key in rest:
            if isinstance(current, Mapping):
                current = current.get(key, _MISSING)
            elif isinstance(current, list | tuple) and key.isdigit() and int(key) < len(current):
                current = current[int(key)]
            else:
                current = _MISSING
            if current is _MISSING:
                return False, None
        return True, current
