"""The edge's FastAPI application: routes, error shape, and the context handlers depend on."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from oneclick_edge.apis import auth, cluster, frontend, health, live, records, updater
from oneclick_edge.body_limit import BodyLimit
from oneclick_edge.characters import refuse_unstorable
from oneclick_edge.context import EdgeContext
from oneclick_edge.errors import install_error_handlers
from oneclick_edge.forms import MAX_UPLOAD_BYTES
from oneclick_edge.openapi import install as install_openapi

# The largest file plus room for the form around it.
MAX_BODY_BYTES = MAX_UPLOAD_BYTES + 1024 * 1024


def create_app(context: EdgeContext) -> FastAPI:
    app = FastAPI(
        title="One-Click",
        version=context.version,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        dependencies=[Depends(refuse_unstorable)],
    )
    app.state.edge = context
    install_error_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)
    app.include_router(health.router)
    # Grouped by the service behind them. auth comes before records: its literal /api/collections/users/...
    # paths must match before records' generic /api/collections/{collection}/... ones.
    for group in (auth, records, updater, cluster, live):
        app.include_router(group.router)
    frontend.install(app)
    install_openapi(app)
    return app
