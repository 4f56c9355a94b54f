"""Text PostgreSQL can store, and where a JSON value holds text it cannot.

PostgreSQL's ``text`` and ``jsonb`` take every Unicode character but two kinds: U+0000 (NUL: the server
refuses the byte in text, and jsonb the ``\\u0000`` escape) and the UTF-16 surrogates U+D800-U+DFFF, which
have no UTF-8 form (asyncpg cannot even encode them). A Python ``str`` can hold both: a JSON ``"\\ud800"``
escape read by the standard library's decoder, a form sent with ``charset=utf-7``, ``surrogateescape``
decoding. Unchecked, either ends as an asyncpg ``CharacterNotInRepertoireError`` /
``UntranslatableCharacterError`` (a 500) or a serializer crash; checked here, it is a field error (input from
clients) or cleaned away (text from outside that nobody can correct, such as an OAuth2 provider's profile).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from oneclick_core.errors import ApiError, field_error

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
INVALID_CHARACTERS = "validation_invalid_characters"
INVALID_CHARACTERS_MESSAGE = "Must not contain NUL (U+0000) or unpaired surrogate (U+D800-U+DFFF) characters."
REFUSED_MESSAGE = "The request contains characters that cannot be stored."
# Enough to show a client every field it got wrong in any real form, few enough to keep a hostile one's
# answer small.
MAX_REPORTED = 20
# What a field name shows in place of the characters themselves, so that the error can be sent as JSON.
SHOWN_INSTEAD = "\ufffd"


def storable(text: str) -> bool:
    if text.isascii():  # nearly every string, and a much cheaper scan than the pattern's
        return "\x00" not in text
    return UNSTORABLE.search(text) is None


def cleaned(text: str, replacement: str = "") -> str:
    """``text`` without the characters PostgreSQL refuses (or with ``replacement`` in their place)."""
    return text if storable(text) else UNSTORABLE.sub(replacement, text)


def cleaned_json(value: Any) -> Any:
    """A JSON value (from ``json.loads``) with every string and key :func:`cleaned`."""
    if isinstance(value, str):
        return cleaned(value)
    if isinstance(value, Mapping):
        return {cleaned(str(key)): cleaned_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [cleaned_json(item) for item in value]
    return value


def shown(name: str) -> str:
    """A field name as an error can name it (the refused characters themselves would not serialize)."""
    return cleaned(name, SHOWN_INSTEAD)


def _embedded_json(text: str) -> Any:
    """The document a string holds, if it is JSON text with escapes that may decode to refused characters
    (forms carry json fields as text, and the records service reads it)."""
    if "\\u" not in text or not text.lstrip().startswith(("{", "[", '"')):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def unstorable_paths(value: Any, root: str = "", *, limit: int = MAX_REPORTED) -> list[str]:
    """Dotted paths (``manifest.spec.env.0.value``) of the strings and keys in a JSON value that PostgreSQL
    cannot store, at most ``limit`` of them; ``root`` names the value itself. A string that is itself a JSON
    document with such characters in its escapes counts too, with the path going on into it.

    Iterative rather than recursive: a parsed document may nest as deep as its parser allows.
    """
    found: list[str] = []
    stack: list[tuple[str, Any]] = [(root, value)]
    while stack and len(found) < limit:
        path, item = stack.pop()
        if isinstance(item, str):
            if not storable(item):
                found.append(path)
            elif (embedded := _embedded_json(item)) is not None:
                stack.append((path, embedded))
        elif isinstance(item, Mapping):
            children: list[tuple[str, Any]] = []
            for key, child in item.items():
                name = str(key)
                child_path = f"{path}.{shown(name)}" if path else shown(name)
                if not storable(name):
                    found.append(child_path)
                else:
                    children.append((child_path, child))
            stack.extend(reversed(children))
        elif isinstance(item, list | tuple):
            stack.extend(
                reversed([(f"{path}.{index}" if path else str(index), child) for index, child in enumerate(item)])
            )
    return found[:limit]


def invalid_characters(fields: Iterable[str], message: str = REFUSED_MESSAGE) -> ApiError:
    """The 400 naming each field that holds characters PostgreSQL cannot store."""
    error = field_error(INVALID_CHARACTERS, INVALID_CHARACTERS_MESSAGE)
    return ApiError.bad_request(message, {field: dict(error) for field in fields})
