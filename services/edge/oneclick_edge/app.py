"""The edge's FastAPI application: routes, error shape, and the context handlers depend on."""

from __future__ import annotations

from fastapi import FastAPI

from oneclick_edge.apis import health
from oneclick_edge.context import EdgeContext
from oneclick_edge.errors import install_error_handlers


def create_app(context: EdgeContext) -> FastAPI:
    app = FastAPI(title="One-Click", version=context.version, docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json")
    app.state.edge = context
    install_error_handlers(app)
    app.include_router(health.router)
    return app
