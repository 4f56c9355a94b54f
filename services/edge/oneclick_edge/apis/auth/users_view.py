"""``GET /api/collections/users/records/{id}``: one's own record (others are 404, as in PocketBase)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from oneclick_core.contracts.auth import GET_USER, GetUserRequest, UserRecord
from oneclick_edge.authenticator import Principal
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import edge_context, require_auth

router = APIRouter()


@router.get("/api/collections/users/records/{record_id}")
@router.get("/api/collections/_pb_users_auth_/records/{record_id}", include_in_schema=False)
async def view_user(
    record_id: str, principal: Principal = Depends(require_auth), context: EdgeContext = Depends(edge_context)
) -> UserRecord:
    return await context.rpc.call(GET_USER, GetUserRequest(actor=principal.actor, id=record_id))
