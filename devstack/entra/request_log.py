"""The request log behind ``GET /_sim/requests``: the middleware that records every request
outside ``/_sim``, and ``note``/``note_error``, with which handlers add what they learnt (client,
grant type, scope, error).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from devstack.entra.errors import EntraError
from devstack.entra.state import Simulator

__all__ = ["RequestLogMiddleware", "note", "note_error"]


class RequestLogMiddleware:
    """Records every non-``/_sim`` request: path, status and what the handler noted.

    Handlers put ``grant_type``/``client_id``/``scope``/``error`` into ``request.state.sim_log``;
    nothing secret (codes, tokens, secrets, cookies) is ever recorded.
    """

    def __init__(self, app: ASGIApp, sim: Simulator, *, listener: str) -> None:
        self.app = app
        self.sim = sim
        self.listener = listener

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith("/_sim"):
            await self.app(scope, receive, send)
            return
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        state = scope.setdefault("state", {})
        try:
            await self.app(scope, receive, capture)
        finally:
            noted = state.get("sim_log") or {}
            self.sim.log(
                {
                    "method": scope.get("method"),
                    "path": path,
                    "listener": self.listener,
                    "endpoint": _endpoint_kind(path),
                    "grant_type": noted.get("grant_type"),
                    "client_id": noted.get("client_id"),
                    "scope": noted.get("scope"),
                    "status": status,
                    "error": noted.get("error"),
                    "error_code": noted.get("error_code"),
                }
            )


def _endpoint_kind(path: str) -> str:
    if path.endswith("/.well-known/openid-configuration"):
        return "discovery"
    if "/discovery/" in path:
        return "keys"
    for kind in ("authorize", "token", "logout"):
        if path.endswith(f"/oauth2/v2.0/{kind}"):
            return kind
    return "other"


def note(request: Request, **fields: Any) -> None:
    """Adds ``fields`` (those not None) to what the log records for this request."""
    noted: dict[str, Any] = getattr(request.state, "sim_log", None) or {}
    noted.update({k: v for k, v in fields.items() if v is not None})
    request.state.sim_log = noted


def note_error(request: Request, error: EntraError) -> None:
    note(request, error=error.error, error_code=error.code)
