"""``GET|POST /api/oauth2-redirect``: where OAuth2 providers send the browser back to.

The PocketBase SDK's one-call ``authWithOAuth2({provider})`` subscribes its realtime client to ``@oauth2``
and uses the client id as the OAuth2 ``state``; this hands ``{state, code, error}`` to that client (on
whichever edge replica holds it), which then finishes the sign-in with ``auth-with-oauth2``.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from oneclick_core.errors import ApiError
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import edge_context

router = APIRouter()

_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>One-Click</title></head>
<body style="font-family:sans-serif;text-align:center;margin-top:20vh"><p>{text}</p>
<script>window.close()</script></body></html>"""


@router.get("/api/oauth2-redirect", response_class=HTMLResponse)
@router.post("/api/oauth2-redirect", response_class=HTMLResponse)
async def oauth2_redirect(request: Request, context: EdgeContext = Depends(edge_context)) -> HTMLResponse:
    values = dict(request.query_params)
    if request.method == "POST":
        values.update({k: v for k, v in (await request.form()).items() if isinstance(v, str)})
    state = values.get("state", "")
    data = {key: values[key] for key in ("state", "code", "error") if values.get(key)}
    try:
        if not state:
            raise ApiError.bad_request("Missing OAuth2 state parameter.")
        await context.realtime_broker().oauth2_redirect(state, data)
    except ApiError:
        return HTMLResponse(
            _PAGE.format(text="Authentication failed. Close this window and try again."), status_code=400
        )
    return HTMLResponse(_PAGE.format(text="Authentication completed. You can close this window."))
