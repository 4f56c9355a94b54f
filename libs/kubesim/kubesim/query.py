"""Query parameters as the API server reads them (pure)."""

from __future__ import annotations

from kubesim import status


def flag(value: str | None) -> bool:
    """A boolean parameter: ``true``, ``1`` or ``yes`` (any case) is true, anything else or absence false."""
    return value is not None and value.lower() in ("true", "1", "yes")


def integer(value: str | None, name: str) -> int | None:
    """An integer parameter (None when absent or empty); anything else is a 400 naming the parameter."""
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise status.bad_request(f"invalid value for {name}: {value!r}") from None
