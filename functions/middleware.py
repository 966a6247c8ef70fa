"""Cross-cutting HTTP behaviour, as plain ASGI middleware (cheap, and they see every response).

- Correlation ids: taken from ``x-correlation-id`` (or the Functions invocation id) or generated,
  echoed in the response, attached to every log line.
- Unhandled exceptions become a 500 with a reference, never a stack trace, and are not re-raised
  into the server (which would print the traceback with request data).
- Security headers: embed routes may be framed only by the configured CRM origins
  (``frame-ancestors``, and no X-Frame-Options, which cannot express an allow-list); every other
  route refuses framing with both ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.observability import correlation_id, new_correlation_id

log = logging.getLogger("cockpit.http")

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

# Paths that Dynamics frames (the IFRAME tab) and what they load.
EMBED_PREFIXES = ("/embed",)


class CorrelationMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-correlation-id")
        cid = incoming if incoming and _SAFE_ID.fullmatch(incoming) else new_correlation_id()
        token = correlation_id.set(cid)
        started = False
        status = 500
        began = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal started, status
            if message["type"] == "http.response.start":
                started = True
                status = int(message["status"])
                MutableHeaders(scope=message)["x-correlation-id"] = cid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
            # The path only: query strings carry auth codes and record ids.
            log.info(
                "request",
                extra={
                    "fields": {
                        "method": scope.get("method"),
                        "path": scope.get("path"),
                        "status": status,
                        "ms": round((time.perf_counter() - began) * 1000, 1),
                    }
                },
            )
        except Exception as exc:  # last resort: the error handlers map every expected error
            log.error(
                "unhandled exception", exc_info=exc, extra={"fields": {"path": scope.get("path")}}
            )
            if not started:
                await _plain_500(scope, send, cid)
        finally:
            correlation_id.reset(token)


async def _plain_500(scope: Scope, send: Send, cid: str) -> None:
    is_api = str(scope.get("path", "")).startswith("/api/")
    if is_api:
        body = (
            '{"type":"about:blank","title":"internal_error","status":500,"code":"internal_error",'
            f'"detail":"An unexpected error occurred. Reference: {cid}","correlation_id":"{cid}"}}'
        ).encode()
        ctype = b"application/problem+json"
    else:
        body = f"An unexpected error occurred. Reference: {cid}".encode()
        ctype = b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [(b"content-type", ctype), (b"x-correlation-id", cid.encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, frame_ancestors: Sequence[str]) -> None:
        self.app = app
        self._embed_ancestors = " ".join(frame_ancestors) if frame_ancestors else "'none'"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        embeddable = path.startswith(EMBED_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                ancestors = self._embed_ancestors if embeddable else "'none'"
                headers["content-security-policy"] = (
                    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                    "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
                    f"frame-ancestors {ancestors}"
                )
                if not embeddable:
                    headers["x-frame-options"] = "DENY"
                headers["x-content-type-options"] = "nosniff"
                headers["referrer-policy"] = "same-origin"
                if not path.startswith("/static/"):
                    # Pages and API answers are per user: never cache them in shared caches.
                    headers.setdefault("cache-control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            try:
                return str(value.decode("latin-1"))
            except UnicodeDecodeError:
                return None
    return None
