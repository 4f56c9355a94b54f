"""Every error leaves the edge in PocketBase's shape: ``{"status", "message", "data"}``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from oneclick_core.errors import ApiError, field_error
from oneclick_core.observability.logs import get_logger

log = get_logger(__name__)


# Retry-After (seconds) on every answer that means "not now": a 503 is mostly a service restarting; a 429 is
# auth's sign-in limit (a fixed window, 60 s unless ONECLICK_LOGIN_LIMIT_WINDOW says otherwise) or a per-user
# connection cap (freed whenever the user closes a connection), neither of which the edge can time exactly.
RETRY_AFTER = {429: "60", 503: "1"}


def error_response(error: ApiError) -> JSONResponse:
    retry_after = RETRY_AFTER.get(error.status)
    headers = {"Retry-After": retry_after} if retry_after else None
    return JSONResponse(error.to_dict(), status_code=error.status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        data: dict[str, dict[str, str]] = {}
        for item in exc.errors():
            # FastAPI prefixes the location ("body", "query"); PocketBase keys errors by field name.
            loc = [str(part) for part in item.get("loc", ())]
            key = ".".join(loc[1:] if len(loc) > 1 else loc) or "body"
            data.setdefault(key, field_error(f"validation_{item.get('type', 'invalid')}", str(item.get("msg"))))
        return error_response(ApiError.bad_request(data=data))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = None if exc.status_code in (404, 405) else str(exc.detail)
        return error_response(ApiError(exc.status_code, message))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("http.unhandled", path=request.url.path)
        return error_response(ApiError(500))
