"""What a client submits to a record route, as the records service takes it: fields plus file uploads."""

from __future__ import annotations

from fastapi import Request

from oneclick_core.contracts.records import FileField
from oneclick_edge.apis.users_form import as_upload, submitted


async def record_submission(request: Request) -> tuple[dict[str, object], list[FileField]]:
    fields, files = await submitted(request)
    return fields, [FileField(field=name, file=await as_upload(upload)) for name, upload in files.items()]
