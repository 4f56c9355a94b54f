"""``POST /api/collections/users/auth-with-oauth2``: ``{provider, code, codeVerifier, redirectURL}`` →
``{token, record, meta}``; signs in, links or creates the user."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from oneclick_core.contracts.auth import AUTH_WITH_OAUTH2, AuthResult, OAuth2LoginRequest
from oneclick_core.errors import ApiError
from oneclick_edge.apis.auth.collections import auth_collection
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import edge_context
from oneclick_edge.forms import as_text, submitted

router = APIRouter()


@router.post("/api/collections/{collection}/auth-with-oauth2")
async def auth_with_oauth2(
    collection: str, request: Request, context: EdgeContext = Depends(edge_context)
) -> AuthResult:
    if auth_collection(collection) != "users":
        raise ApiError.bad_request("The collection is not configured to allow OAuth2 authentication.")
    fields, _ = await submitted(request)
    create_data = fields.get("createData")
    login = OAuth2LoginRequest(
        provider=as_text(fields.get("provider")),
        code=as_text(fields.get("code")),
        codeVerifier=as_text(fields.get("codeVerifier")),
        redirectURL=as_text(fields.get("redirectURL")),
        state=as_text(fields["state"]) if fields.get("state") else None,
        createData=create_data if isinstance(create_data, dict) else None,
        clientAddress=request.client.host if request.client else None,
    )
    return await context.rpc.call(AUTH_WITH_OAUTH2, login)
