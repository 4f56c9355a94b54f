"""Characters PostgreSQL cannot store (NUL, unpaired UTF-16 surrogates) are refused at the door: a 400 naming
each field that holds them, before any RPC, for every route.

One dependency of the whole application looks at every part of a request a handler may pass on: path
parameters, query parameters, and the body as handlers read it (JSON, or a urlencoded or multipart form with
its values, file names and ``@jsonPayload``). The live WebSockets' first message is checked where it is read
(:mod:`oneclick_edge.live.sockets`) with :func:`message_fields`.

Most requests hold nothing to refuse, and the check must cost them next to nothing: each part is first looked
at as raw bytes for anything that could decode into a refused character, and parsed again only when
something could (forms excepted, see :func:`form_fields`).
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncGenerator, Mapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers, UploadFile
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import HTTPConnection, Request

from oneclick_core.storable import MAX_REPORTED, invalid_characters, shown, storable, unstorable_paths

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
FORM_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})
# What in a JSON body may decode into a refused character: a raw NUL; the escapes \u0000 and \uD800-\uDFFF
# (a valid pair matches too, and is let through after parsing; so does an escaped backslash before one, which
# may be JSON text in a string, as json fields may be sent); and UTF-8's encoding of a surrogate (ED A0-BF),
# which Python's json module decodes with surrogatepass.
_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
_UTF8_SURROGATE = re.compile(rb"\xed[\xa0-\xbf]")
_JSON_PAYLOAD = "@jsonPayload"


def path_fields(params: Mapping[str, Any]) -> list[str]:
    """The path parameters holding refused characters (Starlette has percent-decoded them)."""
    return [shown(name) for name, value in params.items() if isinstance(value, str) and not storable(value)]


def query_fields(query_string: bytes) -> list[str]:
    """The query parameters holding refused characters, decoded as Starlette decodes them: percent-encoding can
    only make a NUL, the rest is decoded as UTF-8 with replacement characters."""
    if b"%00" not in query_string and b"\x00" not in query_string:
        return []
    fields: list[str] = []
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if not (storable(name) and storable(value)) and shown(name) not in fields:
            fields.append(shown(name))
    return fields[:MAX_REPORTED]


def _suspect(body: bytes) -> bool:
    """Whether a JSON body may hold a refused character. Each test starts with a one-byte search (memchr speed,
    several times faster than any pattern), so a body with no NUL, no backslash and no ED byte costs well under
    a microsecond per kilobyte."""
    return (
        b"\x00" in body
        or (b"\\" in body and _ESCAPE.search(body) is not None)
        or (b"\xed" in body and _UTF8_SURROGATE.search(body) is not None)
    )


def json_fields(body: bytes, root: str = "body") -> list[str]:
    """The dotted paths of a JSON body's keys and strings holding refused characters; ``root`` names the body
    itself when it is one string. A body that is no JSON is left to the handler to refuse."""
    if not _suspect(body):
        return []
    try:
        # The standard library's decoder, the most lenient one a handler uses: what it reads, it finds.
        document = json.loads(body)
    except ValueError:
        return []
    return unstorable_paths(document, "" if isinstance(document, dict | list) else root)


async def form_fields(headers: Headers, body: bytes) -> list[str]:
    """The fields of a urlencoded or multipart form holding refused characters: names, values, uploaded file
    names, and what an ``@jsonPayload`` field or a json field sent as text holds (``@jsonPayload`` is merged
    into the fields, so its paths are theirs).

    Parsed with Starlette's own parsers over a copy of the body, so that the decoding (charset, percent- and
    RFC 2231 encodings) is exactly the handler's, and the handler's own parse, with its limits, is untouched.
    Always parsed: forms are rare on this API (clients send JSON), and what a form can encode is too varied
    for a byte pattern to rule out.
    """

    async def replay() -> AsyncGenerator[bytes, None]:
        yield body

    try:
        if headers.get("content-type", "").lower().startswith("multipart/"):
            form = await MultiPartParser(headers, replay()).parse()
        else:
            form = await FormParser(headers, replay()).parse()
    except (MultiPartException, KeyError, ValueError):
        return []  # unreadable: the handler's own parse refuses it
    fields: list[str] = []
    try:
        for name, value in form.multi_items():
            text = (value.filename or "") if isinstance(value, UploadFile) else value
            if not storable(name):
                fields.append(shown(name))
            elif not storable(text):
                fields.append(name)
            elif name == _JSON_PAYLOAD and isinstance(value, str):
                fields.extend(json_fields(text.encode(), name))
            else:
                fields.extend(unstorable_paths(text, name))
    finally:
        await form.close()
    return list(dict.fromkeys(fields))[:MAX_REPORTED]


def message_fields(message: Mapping[str, Any]) -> list[str]:
    """The fields of a WebSocket's JSON request holding refused characters."""
    return unstorable_paths(message, "")


def message_refusal(message: Mapping[str, Any]) -> str | None:
    """The close reason for a WebSocket's JSON request holding refused characters (names first: a close frame
    carries 123 bytes), or None."""
    fields = message_fields(message)
    if not fields:
        return None
    return f"Invalid {', '.join(fields)}: NUL or unpaired surrogate characters are not allowed."


async def body_fields(request: Request) -> list[str]:
    if request.method not in BODY_METHODS:
        return []
    body = await request.body()
    if not body:
        return []
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type in FORM_TYPES:
        return await form_fields(request.headers, body)
    # Handlers read every other body as JSON (PocketBase's default).
    return json_fields(body)


async def refuse_unstorable(connection: HTTPConnection) -> None:
    """The application's dependency: a 400 naming every field of the request that holds refused characters."""
    fields = path_fields(connection.path_params) + query_fields(connection.scope.get("query_string", b""))
    if isinstance(connection, Request):
        fields += await body_fields(connection)
    if fields:
        raise invalid_characters(dict.fromkeys(fields))
