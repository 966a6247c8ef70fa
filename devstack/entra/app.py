"""The simulator's two ASGI apps, assembled from the route modules:

- https (MSAL, azure-identity, validators): discovery, JWKS, token endpoint
  (``protocol_routes``), the ``/_sim`` control API (``control_api``), and the browser pages too.
- http (people): the authorize/sign-in page and sign-out (``browser_routes``), so a person never
  meets the local CA.

Both listeners also serve the workload-identity endpoints (``workload``) and record every request
outside ``/_sim`` (``request_log``).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp

from devstack.entra.browser_routes import SESSION_COOKIE, BrowserRoutes
from devstack.entra.control_api import ConfigUpdate, ControlApi, MintRequest, RevokeRequest
from devstack.entra.protocol_routes import ProtocolRoutes
from devstack.entra.request_log import RequestLogMiddleware
from devstack.entra.state import Simulator
from devstack.entra.tokens import TokenMinter
from devstack.entra.workload import WorkloadRoutes

__all__ = ["SESSION_COOKIE", "ConfigUpdate", "MintRequest", "RevokeRequest", "build_apps"]


async def _not_found(request: Request, exc: Exception) -> Response:
    return JSONResponse(
        {
            "error": "not_found",
            "message": f"The Entra ID simulator has no endpoint {request.method} "
            f"{request.url.path} on this port. See devstack/entra/README.md.",
        },
        status_code=404,
    )


async def _wrong_method(request: Request, exc: Exception) -> Response:
    return JSONResponse(
        {
            "error": "method_not_allowed",
            "message": f"{request.url.path} does not accept {request.method}.",
        },
        status_code=405,
    )


def build_apps(sim: Simulator) -> tuple[ASGIApp, ASGIApp]:
    """The https app (everything) and the http app (browser pages only), sharing ``sim``."""
    minter = TokenMinter(sim)
    protocol = ProtocolRoutes(sim, minter).routes()
    browser = BrowserRoutes(sim).routes()
    workload, workload_control = WorkloadRoutes(sim, minter).routes()
    control = [*ControlApi(sim, minter).routes(), *workload_control]

    handlers = {404: _not_found, 405: _wrong_method}
    https_app = Starlette(
        routes=[*protocol, *browser, *workload, *control], exception_handlers=handlers
    )
    # The managed-identity endpoint is plain http on localhost, as on App Service.
    http_app = Starlette(routes=[*browser, *workload], exception_handlers=handlers)
    return (
        RequestLogMiddleware(https_app, sim, listener="https"),
        RequestLogMiddleware(http_app, sim, listener="http"),
    )
