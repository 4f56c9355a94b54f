"""Reading what a client submits to a record route (oneclick_edge.forms): JSON, urlencoded or multipart with
files and the SDK's ``@jsonPayload``, on requests built in memory."""

from __future__ import annotations

import io
from typing import Any

import httpx
import orjson
import pytest
from starlette.datastructures import Headers, UploadFile
from starlette.requests import Request
from starlette.types import Message

from oneclick_core.errors import ApiError
from oneclick_edge.forms import MAX_UPLOAD_BYTES, as_bool, as_text, as_upload, record_submission, submitted


def request(content_type: str | None, body: bytes) -> Request:
    headers = [(b"content-type", content_type.encode())] if content_type else []
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return Request({"type": "http", "method": "POST", "path": "/", "query_string": b"", "headers": headers}, receive)


def encoded(**kwargs: Any) -> Request:
    """The request httpx would send for ``data=``/``files=``: its body and content type as a browser's."""
    built = httpx.Request("POST", "http://edge/", **kwargs)
    return request(built.headers["content-type"], built.read())


async def test_a_json_object_is_the_fields() -> None:
    assert await submitted(request("application/json", b'{"name": "web", "hide": true}')) == (
        {"name": "web", "hide": True},
        {},
    )


@pytest.mark.parametrize("body", [b"", b"  \n"])
async def test_an_empty_body_is_no_field(body: bytes) -> None:
    assert await submitted(request(None, body)) == ({}, {})


@pytest.mark.parametrize("body", [b"{", b"[1, 2]", b'"text"', b"null"])
async def test_anything_but_a_json_object_is_a_400(body: bytes) -> None:
    with pytest.raises(ApiError) as refused:
        await submitted(request("application/json", body))
    assert refused.value.status == 400


async def test_a_urlencoded_form_is_the_fields() -> None:
    fields, files = await submitted(encoded(data={"name": "web", "hide": "true"}))
    assert (fields, files) == ({"name": "web", "hide": "true"}, {})


async def test_multipart_keeps_files_apart_and_unpacks_the_sdk_json_payload() -> None:
    payload = orjson.dumps({"manifest": {"kind": "Rollout"}, "tags": ["a"]}).decode()
    fields, files = await submitted(
        encoded(data={"name": "web", "@jsonPayload": payload}, files={"avatar": ("me.png", b"\x89PNG", "image/png")})
    )
    assert fields == {"name": "web", "manifest": {"kind": "Rollout"}, "tags": ["a"]}
    assert list(files) == ["avatar"]
    assert files["avatar"].filename == "me.png"


async def test_a_record_submission_turns_each_file_into_an_upload_of_its_field() -> None:
    data, files = await record_submission(
        encoded(data={"name": "shop"}, files={"avatar": ("logo.svg", b"<svg/>", "image/svg+xml")})
    )
    assert data == {"name": "shop"}
    assert [(f.field, f.file.filename, f.file.contentType, f.file.data) for f in files] == [
        ("avatar", "logo.svg", "image/svg+xml", b"<svg/>")
    ]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        ("abc", "abc"),
        (True, "true"),
        (False, "false"),
        (3, "3"),
        (2.5, "2.5"),
    ],
)
def test_text_is_cast_the_way_pocketbase_casts_it(value: object, text: str) -> None:
    assert as_text(value) == text


@pytest.mark.parametrize("value", [["a"], {"a": 1}])
def test_a_list_or_object_is_no_text(value: object) -> None:
    with pytest.raises(ApiError) as refused:
        as_text(value)
    assert refused.value.status == 400


@pytest.mark.parametrize(
    ("value", "flag"),
    [
        ("true", True),
        (" TRUE ", True),
        ("1", True),
        ("on", True),
        ("yes", True),
        ("t", True),
        ("false", False),
        ("0", False),
        ("", False),
        ("no", False),
        (True, True),
        (False, False),
        (1, True),
        (0, False),
        (None, False),
    ],
)
def test_booleans_from_form_strings_and_json(value: object, flag: bool) -> None:
    assert as_bool(value) is flag


def upload(data: bytes, filename: str | None = "a.bin", content_type: str | None = None) -> UploadFile:
    headers = Headers({"content-type": content_type}) if content_type else None
    return UploadFile(io.BytesIO(data), filename=filename, headers=headers)


async def test_an_upload_keeps_its_name_and_type_with_defaults_for_neither() -> None:
    named = await as_upload(upload(b"x", "a.txt", "text/plain"))
    assert (named.filename, named.contentType, named.data) == ("a.txt", "text/plain", b"x")
    anonymous = await as_upload(upload(b"y", None))
    assert (anonymous.filename, anonymous.contentType) == ("file", "application/octet-stream")


async def test_an_upload_up_to_the_limit_is_read_whole_and_one_byte_more_is_a_413() -> None:
    assert len((await as_upload(upload(b"\0" * MAX_UPLOAD_BYTES))).data) == MAX_UPLOAD_BYTES
    with pytest.raises(ApiError) as refused:
        await as_upload(upload(b"\0" * (MAX_UPLOAD_BYTES + 1)))
    assert refused.value.status == 413
