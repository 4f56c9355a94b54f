"""``POST /auto-update/{id}/webhook-secret``: replace the autoUpdate's webhook secret (owner only).

The new secret is in this answer and nowhere else; the old one stops working at once.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import ORJSONResponse

from oneclick_core.contracts.updater import WEBHOOK_SECRET, WebhookSecretRequest
from oneclick_edge.auth import Principal, require_auth
from oneclick_edge.context import EdgeContext, edge_context

router = APIRouter()


@router.post("/auto-update/{auto_update_id}/webhook-secret")
@router.post("/pb/auto-update/{auto_update_id}/webhook-secret", include_in_schema=False)
async def rotate_webhook_secret(auto_update_id: str, principal: Principal = Depends(require_auth),
                                context: EdgeContext = Depends(edge_context)) -> ORJSONResponse:
    result = await context.rpc.call(WEBHOOK_SECRET, WebhookSecretRequest(autoUpdate=auto_update_id,
                                                                         actor=principal.actor, rotate=True))
    return ORJSONResponse(result.model_dump(), headers={"Cache-Control": "no-store"})
