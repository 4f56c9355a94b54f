"""``POST /api/collections/{users|_superusers}/auth-with-password``: ``{identity, password}`` → ``{token, record}``.

Also ``POST /api/admins/auth-with-password`` → ``{token, admin}``, the pre-0.23 PocketBase superuser route.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from oneclick_core.contracts.auth import AUTH_WITH_PASSWORD, AuthResult, PasswordLoginRequest
from oneclick_edge.apis.auth.collections import auth_collection
from oneclick_edge.authenticator import Collection
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import edge_context
from oneclick_edge.forms import as_text, submitted

router = APIRouter()


async def _login(request: Request, context: EdgeContext, collection: Collection) -> AuthResult:
    fields, _ = await submitted(request)
    login = PasswordLoginRequest(
        collection=collection,
        identity=as_text(fields.get("identity")),
        password=as_text(fields.get("password")),
        clientAddress=request.client.host if request.client else None,
    )
    return await context.rpc.call(AUTH_WITH_PASSWORD, login)


@router.post("/api/collections/{collection}/auth-with-password", response_model_exclude_none=True)
async def auth_with_password(
    collection: str, request: Request, context: EdgeContext = Depends(edge_context)
) -> AuthResult:
    return await _login(request, context, auth_collection(collection))


@router.post("/api/admins/auth-with-password", include_in_schema=False)
async def admin_auth_with_password(request: Request, context: EdgeContext = Depends(edge_context)) -> dict[str, Any]:
    result = await _login(request, context, "_superusers")
    return {"token": result.token, "admin": result.record.model_dump(mode="json")}
