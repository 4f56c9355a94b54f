"""``POST /api/collections/users/auth-logout-all``: revoke every token of the caller (204).

Not a PocketBase route: PocketBase tokens cannot be revoked. Every edge replica rejects the revoked
tokens once the ``user.updated`` event reaches it; this one at once.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from oneclick_core.contracts.auth import LOGOUT_ALL, LogoutAllRequest
from oneclick_core.errors import ApiError
from oneclick_edge.apis.auth.collections import auth_collection
from oneclick_edge.authenticator import Principal
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import authenticator_of, edge_context, require_auth

router = APIRouter()


@router.post("/api/collections/{collection}/auth-logout-all", status_code=204)
async def logout_all(
    collection: str, principal: Principal = Depends(require_auth), context: EdgeContext = Depends(edge_context)
) -> Response:
    if auth_collection(collection) != "users" or principal.collection != "users":
        raise ApiError.not_found()
    revoked = await context.rpc.call(LOGOUT_ALL, LogoutAllRequest(actor=principal.actor, id=principal.id))
    authenticator_of(context).revoked("users", principal.id, revoked.tokenVersion)
    return Response(status_code=204)
