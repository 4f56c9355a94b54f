"""Reading what a client submits to a record route (the users collection or a One-Click collection): JSON, or
multipart form data with files.

PocketBase accepts both on record routes; its JS SDK switches to multipart as soon as a value is a file
and then packs non-file objects into an ``@jsonPayload`` field. Values are coerced the way PocketBase
casts them (strings from numbers, booleans from "true"/"1"), and the owning service (auth or records) validates
them.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request
from starlette.datastructures import UploadFile

from oneclick_core.contracts.auth import FileUpload
from oneclick_core.contracts.records import FileField
from oneclick_core.errors import ApiError

# The largest file any collection takes (records' 5 MB, PocketBase's default); the owning service answers
# a file above its own, smaller limit (auth's avatars) with a field error.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


async def submitted(request: Request) -> tuple[dict[str, Any], dict[str, UploadFile]]:
    """The submitted fields and files of a record create/update request."""
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        form = await request.form(max_files=4, max_fields=100)
        fields: dict[str, Any] = {}
        files: dict[str, UploadFile] = {}
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                files[key] = value
            elif key == "@jsonPayload":
                fields.update(_object(value))
            else:
                fields[key] = value
        return fields, files
    body = await request.body()
    return (_object(body) if body.strip() else {}), {}


async def record_submission(request: Request) -> tuple[dict[str, object], list[FileField]]:
    """A One-Click collection's create/update form as the records service takes it: fields plus file uploads."""
    fields, files = await submitted(request)
    return fields, [FileField(field=name, file=await as_upload(upload)) for name, upload in files.items()]


def _object(raw: str | bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ApiError.bad_request("Failed to load the submitted data due to invalid formatting.") from None
    if not isinstance(value, dict):
        raise ApiError.bad_request("Failed to load the submitted data due to invalid formatting.")
    return value


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise ApiError.bad_request("Failed to load the submitted data due to invalid formatting.")


def as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "t", "yes", "on")
    return bool(value)


async def as_upload(file: UploadFile) -> FileUpload:
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ApiError(413, "Request entity too large.")
    return FileUpload(
        filename=file.filename or "file", contentType=file.content_type or "application/octet-stream", data=data
    )
