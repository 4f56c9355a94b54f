"""``/auto-update/{id}/webhook-secret`` (and One-Click's ``/pb/...``): the autoUpdate's webhook secret, for its
owner only.

``GET`` shows it: the secret is generated with the autoUpdate, the first answer carries it and later ones have
``secret`` null. ``POST`` replaces it: the new secret is in that answer and nowhere else, and the old one stops
working at once. Neither answer may be cached.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import ORJSONResponse

from oneclick_core.contracts.updater import WEBHOOK_SECRET, WebhookSecretRequest
from oneclick_edge.authenticator import Principal
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import edge_context, require_auth

router = APIRouter()


async def webhook_secret(
    auto_update_id: str, principal: Principal, context: EdgeContext, *, rotate: bool
) -> ORJSONResponse:
    result = await context.rpc.call(
        WEBHOOK_SECRET, WebhookSecretRequest(autoUpdate=auto_update_id, actor=principal.actor, rotate=rotate)
    )
    return ORJSONResponse(result.model_dump(), headers={"Cache-Control": "no-store"})


@router.get("/auto-update/{auto_update_id}/webhook-secret")
@router.get("/pb/auto-update/{auto_update_id}/webhook-secret", include_in_schema=False)
async def show_webhook_secret(
    auto_update_id: str, principal: Principal = Depends(require_auth), context: EdgeContext = Depends(edge_context)
) -> ORJSONResponse:
    return await webhook_secret(auto_update_id, principal, context, rotate=False)


@router.post("/auto-update/{auto_update_id}/webhook-secret")
@router.post("/pb/auto-update/{auto_update_id}/webhook-secret", include_in_schema=False)
async def rotate_webhook_secret(
    auto_update_id: str, principal: Principal = Depends(require_auth), context: EdgeContext = Depends(edge_context)
) -> ORJSONResponse:
    return await webhook_secret(auto_update_id, principal, context, rotate=True)
