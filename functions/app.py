"""Builds the FastAPI application: the whole HTTP surface, used by the Functions host
(``function_app.py``), by uvicorn (``make run``) and by the tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from functions import api, api_cockpit, auth, cockpit_pages, health
from functions.errors import install_error_handlers
from functions.middleware import CorrelationMiddleware, SecurityHeadersMiddleware
from functions.pages import STATIC_DIR
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
        yield
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
    app.include_router(health.router)
    app.include_router(auth.router)
    app.include_router(api.router)
    app.include_router(api_cockpit.router)
    app.include_router(cockpit_pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # Outermost last: correlation ids must wrap everything, including the security headers.
    app.add_middleware(SecurityHeadersMiddleware, frame_ancestors=settings.frame_ancestors)
    app.add_middleware(CorrelationMiddleware)
    install_telemetry(app, settings)  # last: outermost, so every log line of a request has its dims
    return app
