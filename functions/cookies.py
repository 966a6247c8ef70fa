"""The cockpit's cookies. All are ``__Host-`` (Secure, Path=/, no Domain), so no other host or path
can set or read them:

- ``__Host-cockpit_sid``: the session, ``HttpOnly; SameSite=None`` — None because the cockpit also
  runs inside Dynamics' cross-site iframe, where Lax cookies are never sent.
- ``__Host-cockpit_psid``: the same session as a ``Partitioned`` (CHIPS) cookie, set inside the
  Dynamics iframe, because browsers that block third-party cookies still keep partitioned ones.
- ``__Host-cockpit_login_<id>``: binds one in-flight sign-in to this browser (10 minutes); the
  value is chosen by the server, the name derived from the flow, so parallel sign-ins coexist.
"""

from __future__ import annotations

from fastapi import Request, Response

SESSION_COOKIE = "__Host-cockpit_sid"
EMBED_COOKIE = "__Host-cockpit_psid"
LOGIN_COOKIE_PREFIX = "__Host-cockpit_login_"
LOGIN_BINDING_SECONDS = 600


def set_cookie(
    response: Response, name: str, value: str, *, max_age: int, partitioned: bool = False
) -> None:
    """Append a ``__Host-`` cookie: Secure, HttpOnly, Path=/, no Domain, SameSite=None.
    (Written by hand: Starlette only emits ``Partitioned`` on Python 3.14+.)"""
    parts = [f"{name}={value}", f"Max-Age={max_age}", "Path=/", "Secure", "HttpOnly"]
    parts.append("SameSite=None")
    if partitioned:
        parts.append("Partitioned")
    response.headers.append("set-cookie", "; ".join(parts))


def clear_cookie(response: Response, name: str, *, partitioned: bool = False) -> None:
    set_cookie(response, name, "", max_age=0, partitioned=partitioned)


def session_cookie_value(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or request.cookies.get(EMBED_COOKIE)
