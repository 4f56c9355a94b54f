"""How Kubernetes' Pod Security checks word their details: quoted name lists, singular/plural, Go's ``%q``."""

from __future__ import annotations

from collections.abc import Iterable


def join_quote(items: Iterable[str]) -> str:
    """``"a", "b"``: the names wrapped in quotes as they are (Kubernetes does not escape them here)."""
    listed = list(items)
    if not listed:
        return ""
    return '"' + '", "'.join(listed) + '"'


def pluralize(singular: str, plural: str, count: int) -> str:
    return singular if count == 1 else plural


_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
    '"': '\\"',
}


def go_quote(text: str) -> str:
    """Go's ``strconv.Quote`` (what ``%q`` prints): printable characters as they are, the rest escaped."""
    out = ['"']
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char.isprintable() or char == " ":
            out.append(char)
        elif ord(char) < 0x80:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    out.append('"')
    return "".join(out)
