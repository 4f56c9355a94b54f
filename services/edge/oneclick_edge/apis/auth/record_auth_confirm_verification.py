"""``POST /api/collections/users/confirm-verification``: ``{token}`` → 204, the user is verified."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from oneclick_core.contracts.auth import CONFIRM_VERIFICATION, ConfirmVerificationRequest
from oneclick_core.errors import ApiError
from oneclick_edge.apis.auth.collections import auth_collection
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import edge_context
from oneclick_edge.forms import as_text, submitted

router = APIRouter()


@router.post("/api/collections/{collection}/confirm-verification", status_code=204)
async def confirm_verification(
    collection: str, request: Request, context: EdgeContext = Depends(edge_context)
) -> Response:
    if auth_collection(collection) != "users":
        raise ApiError.not_found()
    fields, _ = await submitted(request)
    await context.rpc.call(CONFIRM_VERIFICATION, ConfirmVerificationRequest(token=as_text(fields.get("token"))))
    return Response(status_code=204)
