"""``GET /auto-update/{id}/webhook-secret``: the autoUpdate's webhook secret, shown to its owner once.

The secret is generated with the autoUpdate; the first answer carries it, later ones have ``secret``
null (rotate with ``POST`` on the same path to get a new one).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import ORJSONResponse

from oneclick_core.contracts.updater import WEBHOOK_SECRET, WebhookSecretRequest
from oneclick_edge.auth import Principal, require_auth
from oneclick_edge.context import EdgeContext, edge_context

router = APIRouter()


@router.get("/auto-update/{auto_update_id}/webhook-secret")
@router.get("/pb/auto-update/{auto_update_id}/webhook-secret", include_in_schema=False)
async def show_webhook_secret(auto_update_id: str, principal: Principal = Depends(require_auth),
                              context: EdgeContext = Depends(edge_context)) -> ORJSONResponse:
    result = await context.rpc.call(WEBHOOK_SECRET, WebhookSecretRequest(autoUpdate=auto_update_id,
                                                                         actor=principal.actor))
    return ORJSONResponse(result.model_dump(), headers={"Cache-Control": "no-store"})
