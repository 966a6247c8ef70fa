"""``GET /healthz``: 200 when storage answers, 503 with a readable reason otherwise (within 2 s)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from functions.deps import container_of
from shared.services.health import check_health

router = APIRouter()


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> Response:
    # Browsers ask for it on every page; answer without a 404 in the console.
    return Response(status_code=204)


@router.get("/healthz", include_in_schema=False)
async def healthz(request: Request) -> JSONResponse:
    container = container_of(request)
    health = await check_health(storage=container.tables)
    body = {"status": "ok" if health.ok else "unavailable", "storage": health.storage}
    return JSONResponse(body, status_code=200 if health.ok else 503)
