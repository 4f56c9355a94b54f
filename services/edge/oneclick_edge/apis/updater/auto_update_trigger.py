"""``POST /auto-update/{id}`` (and One-Click's ``/pb/auto-update/{id}``): run an autoUpdate's check now.

For CI systems: authorized by the owner's token, or by the autoUpdate's webhook secret in the
``X-Webhook-Secret`` header or as ``Authorization: Bearer ocwh_...``. Only the secret's digest is
passed on. Answers the autoUpdate record (as One-Click did) plus what the check found.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import ORJSONResponse

from oneclick_core.contracts.updater import (
    CHECK_NOW,
    WEBHOOK_SECRET_HEADER,
    WEBHOOK_SECRET_PREFIX,
    CheckNowRequest,
    webhook_secret_digest,
)
from oneclick_core.errors import ApiError
from oneclick_edge.authenticator import UNAUTHORIZED
from oneclick_edge.context import EdgeContext
from oneclick_edge.credentials import bearer_token
from oneclick_edge.dependencies import authenticator_of, edge_context

router = APIRouter()

# A check may wait for a registry that retries and honours Retry-After; the default RPC timeout is shorter.
CHECK_TIMEOUT = 60.0


@router.post("/auto-update/{auto_update_id}")
@router.post("/pb/auto-update/{auto_update_id}", include_in_schema=False)
async def trigger_auto_update(
    auto_update_id: str, request: Request, context: EdgeContext = Depends(edge_context)
) -> ORJSONResponse:
    token = bearer_token(request)
    secret = request.headers.get(WEBHOOK_SECRET_HEADER)
    if secret is None and token is not None and token.startswith(WEBHOOK_SECRET_PREFIX):
        secret, token = token, None
    if secret:
        check = CheckNowRequest(autoUpdate=auto_update_id, secretDigest=webhook_secret_digest(secret))
    elif token is not None:
        principal = await authenticator_of(context).authenticate(token)
        check = CheckNowRequest(autoUpdate=auto_update_id, actor=principal.actor)
    else:
        raise ApiError.unauthorized(UNAUTHORIZED)
    result = await context.rpc.call(CHECK_NOW, check, timeout=CHECK_TIMEOUT)
    return ORJSONResponse({**result.record, "check": result.check.model_dump()})
