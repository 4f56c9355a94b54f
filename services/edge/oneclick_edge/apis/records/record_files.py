"""``GET /api/files/{collection}/{id}/{filename}``: a file of a record the caller may see.

Like the users' avatars, authenticated by header, the SDK's ``pb_auth`` cookie or ``?token=``, and served
inert (no sniffing, no script).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from oneclick_core.contracts.records import GET_FILE, FileRequest
from oneclick_edge.authenticator import Principal
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import browser_auth, edge_context

router = APIRouter()


@router.get("/api/files/{collection}/{record_id}/{filename}")
async def record_file(
    collection: str,
    record_id: str,
    filename: str,
    principal: Principal = Depends(browser_auth),
    context: EdgeContext = Depends(edge_context),
) -> Response:
    found = await context.rpc.call(
        GET_FILE, FileRequest(collection=collection, id=record_id, filename=filename, actor=principal.actor)
    )
    return Response(
        found.data,
        media_type=found.contentType,
        headers={
            "Cache-Control": "private, max-age=3600",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )
