"""Sign-in routes of the backend-for-frontend.

- ``GET /auth/login?next=/path``: start an auth-code flow (PKCE, state, nonce by MSAL) and redirect
  to Entra. ``next`` must be a path on this site (no open redirect).
- ``GET /auth/callback``: Entra's redirect back; redeem the code, create the session, set the
  cookie, and revoke the session this browser held before (one browser, one signed-in user).
- ``POST /auth/logout``: revoke the server-side session (CSRF-protected).
- ``GET /auth/done``: the page a separate sign-in window ends on (the embedded tab's path).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from functions.cookies import (
    EMBED_COOKIE,
    LOGIN_BINDING_SECONDS,
    LOGIN_COOKIE_PREFIX,
    SESSION_COOKIE,
    clear_cookie,
    session_cookie_value,
    set_cookie,
)
from functions.deps import ContainerDep, RequestLang, Writer, container_of
from functions.i18n import t
from functions.rendering import render
from shared.domain.errors import Forbidden, NotSignedIn

router = APIRouter(prefix="/auth", include_in_schema=False)


@router.get("/login")
async def login(
    container: ContainerDep,
    next: Annotated[str | None, Query(max_length=2048)] = None,
    login_hint: Annotated[str | None, Query(max_length=256)] = None,
    prompt: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    start = await container.auth.start_login(next_path=next, login_hint=login_hint, prompt=prompt)
    response = RedirectResponse(start.auth_uri, status_code=302)
    # SameSite=None, not Lax: with response_mode=form_post Entra's answer is a cross-site POST.
    set_cookie(
        response,
        LOGIN_COOKIE_PREFIX + start.binding_name,
        start.binding,
        max_age=LOGIN_BINDING_SECONDS,
    )
    return response


@router.api_route("/callback", methods=["GET", "POST"])
async def callback(request: Request, container: ContainerDep) -> Response:
    """Entra posts the result here (``response_mode=form_post``; a plain redirect with a query
    works too). Not CSRF-checked like other POSTs: it carries no session, and the single-use
    ``state`` plus the browser-binding cookie are what make it trustworthy."""
    params: dict[str, str] = {k: v for k, v in request.query_params.items()}
    if request.method == "POST":
        form = await request.form()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    cookie = LOGIN_COOKIE_PREFIX + container.auth.binding_name(params.get("state", ""))
    new = await container.auth.complete_login(
        params=params,
        binding=request.cookies.get(cookie),
        previous_session_id=session_cookie_value(request),
    )
    response = RedirectResponse(new.next_path, status_code=303)
    set_cookie(response, SESSION_COOKIE, new.session_id, max_age=int(new.lifetime.total_seconds()))
    clear_cookie(response, cookie)
    return response


@router.post("/logout", status_code=204)
async def logout(request: Request, container: ContainerDep, principal: Writer) -> Response:
    session_id = session_cookie_value(request)
    if principal.kind == "session" and session_id:
        await container.auth.logout(session_id)
    response = Response(status_code=204)
    clear_cookie(response, SESSION_COOKIE)
    clear_cookie(response, EMBED_COOKIE, partitioned=True)
    return response


@router.post("/embed/session", status_code=204)
async def embed_session(request: Request) -> Response:
    """Inside the Dynamics iframe, after the Storage Access API granted this frame access to the
    cockpit's own (first-party) session cookie: copy that session into a ``Partitioned`` cookie,
    which browsers keep in the Dynamics partition even when third-party cookies are blocked.

    Nothing crosses browser contexts here: the session comes from this browser's own cookie, which
    the browser only sent because the user granted storage access in this very frame. The request
    must come from our own page (Origin) and carry a custom header (so a cross-site page cannot
    send it without a CORS preflight we never approve)."""
    container = container_of(request)
    if not container.auth.same_origin(request.headers.get("origin")):
        raise Forbidden("request from a foreign or missing Origin", code="csrf_failed")
    if request.headers.get("x-cockpit-embed") != "1":
        raise Forbidden("missing embed header", code="csrf_failed")
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        raise NotSignedIn("no first-party session visible in this frame")
    principal = await container.auth.resolve_session(session_id)  # valid, not revoked
    response = Response(status_code=204)
    max_age = container.auth.embed_copy_max_age(principal)
    set_cookie(response, EMBED_COOKIE, session_id, max_age=max_age, partitioned=True)
    return response


@router.get("/done", response_class=HTMLResponse)
async def done(request: Request, lang: RequestLang) -> Response:
    return render(
        request,
        "message.html",
        {
            "title": t("signed_in_title", lang),
            "message": t("signed_in_return", lang),
            # A click on the cockpit's own site, at top level: browsers grant the embedded tab's
            # storage-access request only to sites the user has *interacted* with (a visit that
            # passes through Entra is not interaction). It also tries to close the window.
            "close_button": True,
        },
    )


@router.get("/signed-out", response_class=HTMLResponse)
async def signed_out(request: Request, lang: RequestLang) -> Response:
    return render(
        request,
        "message.html",
        {"title": t("signed_out_title", lang), "message": t("signed_out", lang), "sign_in": True},
    )
