"""The admin console's routes are added on demand: importing the app (a cold Functions instance)
builds no admin route, the first request under an admin path is served by them, and the OpenAPI
document lists them whether or not an administrator came first."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import httpx

from functions.app import ADMIN_MODULES, create_app
from tests.support.settings import explicit_environment
from tests.support.world import World

REPO = Path(__file__).resolve().parents[3]


def _admin_paths(app_routes: Sequence[object]) -> list[str]:
    return [p for r in app_routes if (p := str(getattr(r, "path", ""))).startswith("/api/admin/")]


def test_importing_the_function_app_builds_no_admin_route() -> None:
    probe = (
        "import sys, function_app\n"
        f"print([m for m in {list(ADMIN_MODULES)!r} if m in sys.modules])\n"
        "print(sum(1 for r in function_app.http_app.routes"
        " if getattr(r, 'path', '').startswith(('/admin/', '/api/admin/'))))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), **explicit_environment()}
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip().splitlines()[-2:] == ["[]", "0"]


async def test_the_first_admin_request_is_routed_to_the_admin_console() -> None:
    app = create_app(container=World().container)
    assert _admin_paths(app.routes) == []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://cockpit.example") as c:
        # Not signed in: the admin API's own answer (401 problem+json), not the router's 404.
        first = await c.get("/api/admin/orgs")
        assert first.status_code == 401
        assert first.headers["content-type"].startswith("application/problem+json")
        routes = len(app.routes)
        assert (await c.get("/api/admin/orgs")).status_code == 401
        assert len(app.routes) == routes  # added once
        page = await c.get("/admin/solutions", headers={"Accept": "text/html"})
        assert page.status_code != 404


async def test_the_openapi_document_lists_the_admin_api_without_an_admin_request() -> None:
    app = create_app(container=World().container)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://cockpit.example") as c:
        document = (await c.get("/api/openapi.json")).json()
    assert "/api/admin/orgs/{org}/settings" in document["paths"]
    assert "/api/admin/solutions/{solution_id}/draft/publish" in document["paths"]
    assert "/api/projects/{org}/{opportunity_id}" in document["paths"]
