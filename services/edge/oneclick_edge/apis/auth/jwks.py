"""``GET /api/.well-known/jwks.json``: the public keys that verify One-Click tokens (RFC 7517)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from oneclick_core.contracts.auth import JWKS, JwksRequest
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import edge_context

router = APIRouter()


@router.get("/api/.well-known/jwks.json")
async def jwks(context: EdgeContext = Depends(edge_context)) -> JSONResponse:
    keys = await context.rpc.call(JWKS, JwksRequest())
    return JSONResponse(keys.model_dump(), headers={"Cache-Control": "public, max-age=60"})
