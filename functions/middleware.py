"""Cross-cutting HTTP behaviour, as plain ASGI middleware (cheap, and they see every response).

- Correlation ids: taken from ``x-correlation-id`` (or the Functions invocation id) or generated,
  echoed in the response, attached to every log line.
- Unhandled exceptions take the one 500 path (``functions.errors.internal_error``) and are not
  re-raised into the server (which would print the traceback with request data).
- Request bodies over the configured limit are refused with 413 before the app reads them.
- Security headers: the embed pages may be framed only by the configured CRM origins
  (``frame-ancestors``, and no X-Frame-Options, which cannot express an allow-list); every other
  answer — other routes, and any error under ``/embed`` such as a 404 — refuses framing with both
  ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from functions.errors import internal_error, problem
from functions.i18n import t
from functions.rendering import request_lang
from shared.observability import correlation_id, new_correlation_id

log = logging.getLogger("cockpit.http")

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

# The pages Dynamics frames (the IFRAME tab): the launch redirect and the project page. Anything
# else under /embed (a typo, a 404) is an ordinary page that refuses framing.
EMBED_PAGES = re.compile(r"^/embed(/projects/[A-Za-z0-9-]{1,63}/[{}A-Fa-f0-9-]{32,38})?$")


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
        except Exception as exc:  # the error handlers map every expected error; this is the rest
            if started:  # too late to answer: the log is all we can do
                log.error("exception after the answer began", exc_info=exc)
            else:
                response = internal_error(Request(scope), exc)
                await response(scope, receive, send_with_id)
        finally:
            correlation_id.reset(token)


class BodyLimitMiddleware:
    """413 for bodies over ``limit`` bytes: by ``Content-Length`` before reading; a body sent
    without one (chunked) is read here first, up to the limit, and handed on only if it fits."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not declared.isdigit() or int(declared) > self.limit:
                await self._refuse(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        body, fits = await self._read_up_to_limit(receive)
        if not fits:
            await self._refuse(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # after the body: wait for the disconnect as usual
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _read_up_to_limit(self, receive: Receive) -> tuple[bytes, bool]:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks), True
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                return b"", False
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), True

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        message = t("payload_too_large", request_lang(request), {"limit": self.limit})
        response = problem(request, status=413, code="payload_too_large", message=message)
        await response(scope, receive, send)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, frame_ancestors: Sequence[str]) -> None:
        self.app = app
        self._embed_ancestors = " ".join(frame_ancestors) if frame_ancestors else "'none'"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        embed_page = EMBED_PAGES.fullmatch(path) is not None

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                # Error answers are framable only where they are the embed page's own (sign-in,
                # access refused): a 404 or 405 under /embed is not a page Dynamics shows.
                embeddable = embed_page and int(message["status"]) not in (404, 405)
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
