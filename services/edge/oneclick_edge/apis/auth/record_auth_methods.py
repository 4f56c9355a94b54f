"""``GET /api/collections/{collection}/auth-methods``: password and the enabled OAuth2 providers.

The answer carries PocketBase ≤ 0.22's keys (``authProviders``, which One-Click's frontend reads) and
≥ 0.23's (``password``, ``oauth2``). The SDK asks for ``fields=mfa,otp,password,oauth2``; that filter is
ignored on purpose, or the frontend would never see ``authProviders`` and show no provider buttons.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from oneclick_core.contracts.auth import AUTH_METHODS, AuthMethods, AuthMethodsRequest
from oneclick_edge.apis.auth.collections import auth_collection
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import edge_context

router = APIRouter()


@router.get("/api/collections/{collection}/auth-methods")
async def auth_methods(collection: str, context: EdgeContext = Depends(edge_context)) -> AuthMethods:
    return await context.rpc.call(AUTH_METHODS, AuthMethodsRequest(collection=auth_collection(collection)))
