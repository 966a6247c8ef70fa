"""Health for operators and load balancers (docs/operations.md):

- ``GET /healthz`` — liveness, cheap: 200 when storage answers, 503 with the reason (within 2 s).
- ``GET /healthz/ready`` — readiness: storage, Entra ID and every configured Dataverse org, each
  ok / degraded / down with a reason (within 2 s, no secrets); 503 when any is down.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from functions.deps import ContainerDep, container_of
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


@router.get("/healthz/ready", include_in_schema=False)
async def ready(container: ContainerDep) -> JSONResponse:
    readiness = await container.readiness.check()
    body = {
        "status": readiness.status,
        "checks": {c.name: {"status": c.status, "reason": c.reason} for c in readiness.checks},
    }
    return JSONResponse(body, status_code=503 if readiness.status == "down" else 200)
