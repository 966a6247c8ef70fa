"""Who is calling, and may they do this: session cookies, bearer tokens, CSRF, admin role.

Cookies (all ``__Host-``: Secure, Path=/, no Domain, so no other host or path can set or read them):
- ``__Host-cockpit_sid``: the session, ``HttpOnly; SameSite=None`` — None because the cockpit also
  runs inside Dynamics' cross-site iframe, where Lax cookies are never sent.
- ``__Host-cockpit_psid``: the same session as a ``Partitioned`` (CHIPS) cookie, set inside the
  Dynamics iframe, because browsers that block third-party cookies still keep partitioned ones.
- ``__Host-cockpit_login``: binds an in-flight sign-in to this browser (10 minutes).

Because the session cookie is ``SameSite=None``, every state-changing request must carry the
session's CSRF token in ``X-Cockpit-CSRF`` *and* an ``Origin`` equal to the cockpit's own.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response

from functions.deps import container_of
from shared.domain.errors import Forbidden, NotSignedIn
from shared.domain.identity import Principal, tokens_match

SESSION_COOKIE = "__Host-cockpit_sid"
EMBED_COOKIE = "__Host-cockpit_psid"
LOGIN_COOKIE = "__Host-cockpit_login"
CSRF_HEADER = "x-cockpit-csrf"

_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def set_cookie(
    response: Response, name: str, value: str, *, max_age: int, partitioned: bool = False
) -> None:
    """Append a ``__Host-`` cookie: Secure, HttpOnly, Path=/, no Domain, SameSite=None.
    (Written by hand: Starlette only emits ``Partitioned`` on Python 3.14+.)"""
    parts = [
        f"{name}={value}",
        f"Max-Age={max_age}",
        "Path=/",
        "Secure",
        "HttpOnly",
        "SameSite=None",
    ]
    if partitioned:
        parts.append("Partitioned")
    response.headers.append("set-cookie", "; ".join(parts))


def clear_cookie(response: Response, name: str, *, partitioned: bool = False) -> None:
    set_cookie(response, name, "", max_age=0, partitioned=partitioned)


def session_cookie_value(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or request.cookies.get(EMBED_COOKIE)


async def optional_principal(request: Request) -> Principal | None:
    """The caller, or None. Resolved once per request."""
    if hasattr(request.state, "principal"):
        cached: Principal | None = request.state.principal
        return cached
    container = container_of(request)
    principal: Principal | None = None
    authorization = request.headers.get("authorization")
    if authorization is not None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotSignedIn("unsupported authorization header", code="invalid_token")
        principal = await container.bearer.verify(token.strip())
    else:
        session_id = session_cookie_value(request)
        if session_id:
            try:
                principal = await container.auth.resolve_session(session_id)
            except NotSignedIn:
                principal = None
    request.state.principal = principal
    return principal


async def require_principal(request: Request) -> Principal:
    principal = await optional_principal(request)
    if principal is None:
        raise NotSignedIn("sign-in required")
    return principal


def check_csrf(request: Request, principal: Principal) -> None:
    """Session callers changing state must prove the request comes from our own pages."""
    if principal.kind != "session" or request.method not in _UNSAFE:
        return
    settings = container_of(request).settings
    origin = request.headers.get("origin")
    if origin != settings.public_base_url:
        raise Forbidden("request from a foreign or missing Origin", code="csrf_failed")
    if not tokens_match(principal.csrf_token, request.headers.get(CSRF_HEADER)):
        raise Forbidden("missing or wrong CSRF token", code="csrf_failed")


async def require_writer(request: Request) -> Principal:
    principal = await require_principal(request)
    check_csrf(request, principal)
    return principal


async def require_admin(request: Request) -> Principal:
    principal = await require_principal(request)
    if not principal.has_role(container_of(request).settings.admin_role):
        raise Forbidden("administrators only", code="admin_only")
    check_csrf(request, principal)
    return principal


CurrentUser = Annotated[Principal, Depends(require_principal)]
Writer = Annotated[Principal, Depends(require_writer)]
Admin = Annotated[Principal, Depends(require_admin)]
