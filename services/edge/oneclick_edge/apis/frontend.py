"""``GET /`` and every page path: the web UI, a single-page app built into ``settings.frontend_dir``.

Files of the build are served as they are: hashed assets under ``/_app/immutable/`` may be cached forever,
everything else (index.html above all) is revalidated on every use, so a new build shows at once. Paths that
are no file get index.html and the app's router takes over, except API paths, which keep the PocketBase-shaped
404. Brotli or gzip siblings written by the build (``precompress``) are sent to clients that accept them.
It is the application router's fallback rather than a route, so every route, including ones added after
:func:`install`, takes precedence, and a path that exists for other methods still answers 405.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.types import Receive, Scope, Send

from oneclick_edge.context import EdgeContext

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Paths the API owns; a miss there is an API 404, never the app's page.
API_PREFIXES = ("api/", "pb/", "ws/", "rollouts/", "blueprints/", "auto-update/", "cluster-info", "_app/")
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"}

PLACEHOLDER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>One-Click: the web UI is not built</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1e293b}
code{background:#f1f5f9;padding:.1rem .3rem;border-radius:.25rem}</style></head>
<body><h1>One-Click is running</h1>
<p>The API answers at <a href="/api/health"><code>/api/health</code></a>, but the web UI has not been built yet.</p>
<p>Build it with <code>make run</code> (which builds it first), or <code>npm ci &amp;&amp; npm run build</code> in
<code>frontend/</code>, then reload this page.</p></body></html>
"""


def _resolve(root: Path, path: str) -> Path | None:
    """The file ``path`` names inside ``root``, or None (missing, a directory, or outside the build)."""
    try:
        candidate = (root / path).resolve()
    except (OSError, ValueError):
        return None
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


def accepted_encodings(header: str) -> set[str]:
    """The codings an Accept-Encoding header allows: all it names except those with a quality of 0."""
    accepted = set()
    for part in header.split(","):
        coding, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0  # unreadable: not an acceptance
        if coding and quality > 0:
            accepted.add(coding.lower())
    return accepted


def _send(request: Request, file: Path, cache_control: str) -> Response:
    media_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    if media_type.startswith("text/") or media_type in ("application/javascript", "image/svg+xml"):
        media_type += "; charset=utf-8"
    headers = {"Cache-Control": cache_control, "Vary": "Accept-Encoding", **SECURITY_HEADERS}
    body = file
    accepted = accepted_encodings(request.headers.get("accept-encoding", ""))
    for encoding, suffix in ENCODINGS:
        sibling = file.with_name(file.name + suffix)
        if encoding in accepted and sibling.is_file():
            body = sibling
            headers["Content-Encoding"] = encoding
            break
    stat = body.stat()
    etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
    if etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers={**headers, "ETag": etag})
    # Ours names the encoded variant, so a cache never mixes the two; FileResponse keeps an ETag it is given.
    headers["ETag"] = etag
    return FileResponse(body, media_type=media_type, headers=headers, stat_result=stat)


def _page(context: EdgeContext, request: Request) -> Response | None:
    """The build's file or index.html for this path; None when the API owns it (its 404 applies)."""
    path = request.url.path.lstrip("/")
    root = context.settings.frontend_dir.resolve()
    file = _resolve(root, path) if path else None
    if file is not None:
        return _send(request, file, IMMUTABLE if path.startswith("_app/immutable/") else REVALIDATE)
    if path.startswith(API_PREFIXES):
        return None
    index = root / "index.html"
    if not index.is_file():
        return HTMLResponse(PLACEHOLDER, status_code=503, headers={"Cache-Control": "no-store", "Retry-After": "10"})
    return _send(request, index, REVALIDATE)


def install(app: FastAPI) -> None:
    """Serve the web UI for every GET or HEAD no route matched."""
    not_found = app.router.default

    async def frontend(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            request = Request(scope, receive)
            response = _page(request.app.state.edge, request)
            if response is not None:
                return await response(scope, receive, send)
        return await not_found(scope, receive, send)

    app.router.default = frontend
