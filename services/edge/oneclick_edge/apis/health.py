"""``GET /api/health``: the edge answers, and every service answers its ping and is ready."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from oneclick_core.contracts.rpc import SERVICES, PingRequest, PingResponse, ping
from oneclick_core.errors import ApiError
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import edge_context

router = APIRouter()


async def _status_of(context: EdgeContext, service: str) -> dict[str, Any]:
    try:
        reply: PingResponse = await context.rpc.call(
            ping(service), PingRequest(), timeout=context.settings.health_timeout
        )
    except ApiError as exc:
        return {"status": "unavailable", "message": exc.message}
    status = "ok" if reply.ready else "degraded"
    result: dict[str, Any] = {
        "status": status,
        "instance": reply.instance,
        "version": reply.version,
        "checks": reply.checks,
    }
    if status != "ok":
        result["message"] = ", ".join(f"{k}: {v}" for k, v in reply.checks.items() if v != "ok")
    return result


@router.get("/api/health")
async def health(context: EdgeContext = Depends(edge_context)) -> JSONResponse:
    others = [name for name in SERVICES if name != "edge"]
    statuses = await asyncio.gather(*(_status_of(context, name) for name in others))
    services: dict[str, Any] = {
        "edge": {"status": "ok", "instance": context.instance, "version": context.version, "checks": {}},
        **dict(zip(others, statuses, strict=True)),
    }
    failing = [name for name, status in services.items() if status["status"] != "ok"]
    if failing:
        error = ApiError.unavailable(f"Unavailable: {', '.join(failing)}.", {"services": services})
        return JSONResponse(error.to_dict(), status_code=503, headers={"Retry-After": "1"})
    return JSONResponse({"code": 200, "message": "API is healthy.", "data": {"services": services}})
