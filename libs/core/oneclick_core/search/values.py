"""Value semantics shared by the SQL compiler and the in-memory evaluator, so both give the same answers.

Every comparison happens in one :class:`Domain`:

- ``TEXT`` — text, relation ids, dates (PocketBase-formatted UTC text, so they order chronologically) and
  JSON read as text. ``null`` and ``''`` are the same value (PocketBase's rule). Ordering is by code point
  (SQL: ``COLLATE "C"``). ``~`` is a case-insensitive (ASCII only, like SQLite) LIKE.
- ``NUMBER`` — compared as double precision; ``null`` equals only ``null``; ordering with ``null`` is false.
- ``BOOL`` — same rules, ``false < true``.

How the domain is picked: a field decides (number field → NUMBER, …); JSON fields adapt to the other side
(``manifest.spec.replicas > 2`` compares JSON numbers, ``manifest.spec.image.tag = 'v1'`` compares text); two
fields of different domains are a 400; two constants use their common type, falling back to TEXT. ``~`` and
``!~`` always compare TEXT (number and bool fields are a 400).

A constant is converted to the domain: text ``'5'`` to a number, ``1``/``0``/``'true'``/``'false'`` to a bool,
numbers and bools to text (``12`` → ``'12'``, ``true`` → ``'true'``). A literal written in the filter that
does not convert (``count = 'abc'``) is a 400; a request value that does not convert is ``null``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from datetime import datetime
from enum import Enum

from oneclick_core.search.nodes import Op
from oneclick_core.timestamps import format_pb

DomainValue = str | float | bool | None

_NUMBER = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_LIKE_SPECIAL = "\\%_"


class Domain(Enum):
    TEXT = "text"
    NUMBER = "number"
    BOOL = "bool"


class Incoercible(ValueError):
    """A value that has no meaning in the requested domain (``'abc'`` as a number)."""


def constant_domain(value: object) -> Domain | None:
    """The natural domain of a constant; ``None`` for ``null`` (it fits anywhere)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return Domain.BOOL
    if isinstance(value, int | float):
        return Domain.NUMBER
    return Domain.TEXT


def common_domain(left: object, right: object) -> Domain:
    """The domain two constants compare in: their shared type, else one they both convert to, else TEXT."""
    first, second = constant_domain(left), constant_domain(right)
    if first is None or second is None or first is second:
        return first or second or Domain.TEXT
    for domain in (Domain.NUMBER, Domain.BOOL):
        if domain in (first, second):
            try:
                coerce(left, domain)
                coerce(right, domain)
            except Incoercible:
                continue
            return domain
    return Domain.TEXT


def number_text(value: int | float) -> str:
    return str(value) if isinstance(value, int) else repr(value)


def coerce(value: object, domain: Domain) -> DomainValue:
    """Convert a constant (or a record value) to ``domain``; raises :class:`Incoercible`."""
    if domain is Domain.TEXT:
        return _to_text(value)
    if domain is Domain.NUMBER:
        return _to_number(value)
    return _to_bool(value)


def _to_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return number_text(value)
    if isinstance(value, datetime):
        return format_pb(value)
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    raise Incoercible(f"{type(value).__name__} is not text")


def _to_number(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:
            raise Incoercible("number out of range") from None
        if not math.isfinite(number):
            raise Incoercible("not a finite number")
        return number
    if isinstance(value, str):
        if value == "":
            return None
        if _NUMBER.fullmatch(value):
            number = float(value)
            if math.isfinite(number):
                return number
        raise Incoercible(f"{value!r} is not a number")
    raise Incoercible(f"{type(value).__name__} is not a number")


def _to_bool(value: object) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        lowered = value.lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        if value == "":
            return None
    raise Incoercible(f"{value!r} is not a bool")


def lenient(value: object, domain: Domain) -> DomainValue:
    """:func:`coerce`, with values that do not convert becoming ``null`` (request values, stored data)."""
    try:
        return coerce(value, domain)
    except Incoercible:
        return coerce(None, domain)


def ascii_lower(text: str) -> str:
    """Lower-case ASCII letters only: SQLite's LOWER/LIKE, and PostgreSQL's under ``COLLATE "C"``."""
    return text.translate(_ASCII_LOWER)


# --- LIKE ------------------------------------------------------------------------------------------------------


def _contains_unescaped(text: str, char: str) -> bool:
    previous = ""
    for current in text:
        if current == char and previous != "\\":
            return True
        previous = "" if current == "\\" and previous == "\\" else current
    return False


def _escape_unescaped(text: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(text):
        current = text[index]
        if current == "\\" and index + 1 < len(text) and text[index + 1] in _LIKE_SPECIAL:
            out.append(text[index : index + 2])  # already escaped: keep as written
            index += 2
            continue
        out.append("\\" + current if current in _LIKE_SPECIAL else current)
        index += 1
    return "".join(out)


def like_pattern(value: str) -> str:
    """PocketBase's ``~`` value: ``abc`` → ``%abc%`` (with ``\\ % _`` escaped) unless it has its own ``%``.

    A trailing lone backslash is escaped too, since PostgreSQL refuses a pattern ending in its escape.
    """
    pattern = value if _contains_unescaped(value, "%") else f"%{_escape_unescaped(value)}%"
    trailing = len(pattern) - len(pattern.rstrip("\\"))
    return pattern + "\\" if trailing % 2 else pattern


def contains_pattern(value: str) -> str:
    """The pattern for ``a ~ b`` when ``b`` is a field: ``a`` contains ``b`` literally."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def like_match(text: str, pattern: str) -> bool:
    """PostgreSQL ``(text COLLATE "C") ILIKE pattern ESCAPE '\\'``."""
    parts: list[str] = []
    index = 0
    lowered = ascii_lower(pattern)
    while index < len(lowered):
        current = lowered[index]
        if current == "\\" and index + 1 < len(lowered):
            parts.append(re.escape(lowered[index + 1]))
            index += 2
            continue
        parts.append(".*" if current == "%" else "." if current == "_" else re.escape(current))
        index += 1
    return re.fullmatch("".join(parts), ascii_lower(text), re.DOTALL) is not None


# --- comparing -------------------------------------------------------------------------------------------------


def compare(op: Op, domain: Domain, left: DomainValue, right: DomainValue, *, right_is_pattern: bool) -> bool:
    """One comparison of two domain values (``op`` without its any-of flag).

    ``right_is_pattern``: for ``~``, the right side is a constant PocketBase turns into a pattern; otherwise
    it is a field and ``~`` means "contains".
    """
    base = op.base
    if base in (Op.LIKE, Op.NLIKE):
        text, other = _to_text(left), _to_text(right)
        pattern = like_pattern(other) if right_is_pattern else contains_pattern(other)
        return like_match(text, pattern) == (base is Op.LIKE)
    if base is Op.EQ:
        return left == right
    if base is Op.NEQ:
        return left != right
    if left is None or right is None:
        return False
    if base is Op.LT:
        return left < right  # type: ignore[operator]
    if base is Op.LTE:
        return left <= right  # type: ignore[operator]
    if base is Op.GT:
        return left > right  # type: ignore[operator]
    return left >= right  # type: ignore[operator]


# --- JSON ------------------------------------------------------------------------------------------------------


def json_extract(document: object, path: Sequence[str]) -> object:
    """PostgreSQL ``document #> path``: object keys, array indexes; anything missing is ``None``."""
    current = document
    for segment in path:
        if isinstance(current, dict):
            if segment not in current:
                return None
            current = current[segment]
        elif isinstance(current, list) and segment.isdigit() and int(segment) < len(current):
            current = current[int(segment)]
        else:
            return None
    return current


def json_value(value: object, domain: Domain) -> DomainValue:
    """A JSON value read in ``domain``: numbers only as numbers, bools only as bools, anything as text."""
    if domain is Domain.NUMBER:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return lenient(value, Domain.NUMBER)
        return None
    if domain is Domain.BOOL:
        return value if isinstance(value, bool) else None
    return "" if value is None else jsonb_text(value)


def jsonb_text(value: object) -> str:
    """PostgreSQL's text of a jsonb value (``#>>``): strings bare, objects as ``{"a": 1, "b": [1, 2]}``."""
    if isinstance(value, str):
        return value
    return _jsonb_dump(value)


def _jsonb_dump(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return number_text(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_jsonb_dump(item) for item in value) + "]"
    if isinstance(value, dict):
        # jsonb keeps object keys ordered by length, then bytes.
        keys = sorted((str(key) for key in value), key=lambda key: (len(key.encode()), key.encode()))
        return (
            "{" + ", ".join(f"{json.dumps(key, ensure_ascii=False)}: {_jsonb_dump(value[key])}" for key in keys) + "}"
        )
    return json.dumps(str(value), ensure_ascii=False)
