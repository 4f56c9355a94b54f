"""``DELETE /api/collections/users/records/{id}``: delete one's own account (204)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from oneclick_core.contracts.auth import DELETE_USER, DeleteUserRequest
from oneclick_edge.authenticator import Principal
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import authenticator_of, edge_context, require_auth

router = APIRouter()


@router.delete("/api/collections/users/records/{record_id}", status_code=204)
@router.delete("/api/collections/_pb_users_auth_/records/{record_id}", status_code=204, include_in_schema=False)
async def delete_user(
    record_id: str, principal: Principal = Depends(require_auth), context: EdgeContext = Depends(edge_context)
) -> Response:
    await context.rpc.call(DELETE_USER, DeleteUserRequest(actor=principal.actor, id=record_id))
    authenticator_of(context).revoked("users", record_id, None)
    return Response(status_code=204)
