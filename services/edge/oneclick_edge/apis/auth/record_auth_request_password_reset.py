"""``POST /api/collections/users/request-password-reset``: 204 whether or not the email is known."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from oneclick_core.contracts.auth import REQUEST_PASSWORD_RESET, EmailRequest
from oneclick_core.errors import ApiError
from oneclick_edge.apis.auth.collections import auth_collection
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import edge_context
from oneclick_edge.forms import as_text, submitted

router = APIRouter()


@router.post("/api/collections/{collection}/request-password-reset", status_code=204)
async def request_password_reset(
    collection: str, request: Request, context: EdgeContext = Depends(edge_context)
) -> Response:
    if auth_collection(collection) != "users":
        raise ApiError.not_found()
    fields, _ = await submitted(request)
    await context.rpc.call(REQUEST_PASSWORD_RESET, EmailRequest(email=as_text(fields.get("email"))))
    return Response(status_code=204)
