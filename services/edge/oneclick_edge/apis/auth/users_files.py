"""``GET /api/files/users/{id}/{filename}``: a user's avatar, for that user (or a superuser) only.

Browsers fetch images without an ``Authorization`` header, so the SDK's ``pb_auth`` cookie or a
``?token=`` query also authenticate here. The file is served inert: no sniffing, no script.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from oneclick_core.contracts.auth import GET_AVATAR, GetAvatarRequest
from oneclick_edge.authenticator import Principal
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import browser_auth, edge_context

router = APIRouter()


@router.get("/api/files/users/{record_id}/{filename}")
@router.get("/api/files/_pb_users_auth_/{record_id}/{filename}", include_in_schema=False)
async def user_file(
    record_id: str,
    filename: str,
    principal: Principal = Depends(browser_auth),
    context: EdgeContext = Depends(edge_context),
) -> Response:
    found = await context.rpc.call(GET_AVATAR, GetAvatarRequest(actor=principal.actor, id=record_id, filename=filename))
    return Response(
        found.data,
        media_type=found.contentType,
        headers={
            "Cache-Control": "private, max-age=3600",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )
