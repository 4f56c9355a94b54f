"""``POST /api/collections/{collection}/auth-refresh``: a fresh ``{token, record}`` for a valid token."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from oneclick_core.contracts.auth import AUTH_REFRESH, AuthResult, RefreshRequest
from oneclick_core.errors import ApiError
from oneclick_edge.apis.auth.collections import auth_collection
from oneclick_edge.authenticator import UNAUTHORIZED, Principal
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import edge_context, require_auth

router = APIRouter()


@router.post("/api/collections/{collection}/auth-refresh", response_model_exclude_none=True)
async def auth_refresh(
    collection: str, principal: Principal = Depends(require_auth), context: EdgeContext = Depends(edge_context)
) -> AuthResult:
    if auth_collection(collection) != principal.collection:
        raise ApiError.unauthorized(UNAUTHORIZED)
    return await context.rpc.call(AUTH_REFRESH, RefreshRequest(token=principal.token))
