"""Builds the FastAPI application: the whole HTTP surface, used by the Functions host
(``function_app.py``), by uvicorn (``make run``) and by the tests."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from functions import api, api_projects, auth, health, my, pages
from functions.errors import install_error_handlers
from functions.middleware import (
    BodyLimitMiddleware,
    CorrelationMiddleware,
    SecurityHeadersMiddleware,
)
from functions.openapi import build_document
from functions.rendering import STATIC_DIR
from shared.bootstrap import Container, build_container
from shared.observability import configure_logging
from shared.settings import Settings, load_settings
from shared.telemetry import install_telemetry


def create_app(*, settings: Settings | None = None, container: Container | None = None) -> FastAPI:
    """The cockpit app. Without arguments, settings come from the environment (and a bad value
    stops start-up with a readable :class:`shared.settings.SettingsError`)."""
    if container is not None:
        settings = container.settings
    elif settings is None:
        settings = load_settings()
    configure_logging(settings.log_level)
    # Built now (no I/O happens until first use), so a broken composition fails at start-up.
    owned = container is None
    active = container or build_container(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        background = None
        if settings.local_timers:
            from functions.local_timers import run_local_timers

            background = asyncio.create_task(run_local_timers(active))
        yield
        if background is not None:
            background.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await background
        if owned:
            await active.aclose()

    app = FastAPI(
        title="Opportunity Cockpit",
        version="1.0.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.container = active
    app.state.settings = settings
    install_error_handlers(app)
    for module in (health, auth, api, api_projects, my, pages):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # add_middleware puts each one outside the previous: the security headers wrap everything,
    # including the correlation middleware's 500 answer and the body limit's 413.
    app.add_middleware(AdminConsoleRoutes)
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_body_bytes)
    app.add_middleware(CorrelationMiddleware)
    app.add_middleware(SecurityHeadersMiddleware, frame_ancestors=settings.frame_ancestors)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    install_telemetry(app, settings)  # last: outermost, so every log line of a request has its dims
    return app


# The admin console's routers, by module. Building a route costs FastAPI a few milliseconds
# (signatures, dependencies, response models), and a cold instance mostly serves reps: these are
# added on the first request under an admin path, or when the OpenAPI document is asked for.
ADMIN_MODULES = (
    "functions.api_admin",
    "functions.api_designer",
    "functions.api_admin_ops",
    "functions.admin_pages",
)
ADMIN_PATHS = ("/admin/", "/api/admin/")


def include_admin_console(app: FastAPI) -> None:
    """Adds the admin console's routes to ``app`` once (idempotent)."""
    if getattr(app.state, "admin_console", False):
        return
    for name in ADMIN_MODULES:
        app.include_router(importlib.import_module(name).router)
    app.state.admin_console = True


class AdminConsoleRoutes:
    """Adds the admin console's routes before the first request that may need them is routed.
    Routes are looked up per request, so routes added now serve this very request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(ADMIN_PATHS):
            include_admin_console(scope["app"])
        await self.app(scope, receive, send)


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The document (``functions/openapi.py``), with the admin console's routes added first."""
    if app.openapi_schema is None:
        include_admin_console(app)
        app.openapi_schema = build_document(app)
    return app.openapi_schema
