"""Maps the domain error tree (``shared/domain/errors.py``) to HTTP.

API routes (``/api/…``) answer JSON problem details (RFC 9457) with a readable ``detail`` in the
user's language and a stable ``code``; pages answer a small HTML page. Nobody ever sees a stack
trace: unexpected exceptions become a 500 with a reference (the correlation id) to quote.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response

from functions.i18n import t
from functions.pages import render, request_lang
from shared.domain import errors as e
from shared.observability import correlation_id

log = logging.getLogger("cockpit.http")

# Most specific first: isinstance() picks the first match.
STATUS: list[tuple[type[e.CockpitError], int]] = [
    (e.InvalidInput, 400),
    (e.NotSignedIn, 401),
    (e.ReauthRequired, 401),
    (e.Forbidden, 403),
    (e.NotFound, 404),
    (e.Conflict, 409),
    (e.ConfigurationInvalid, 409),
    (e.StorageUnavailable, 503),
    (e.CrmRecordNotFound, 404),
    (e.CrmFieldSecured, 403),
    (e.CrmAccessDenied, 403),
    (e.CrmRecordClosed, 409),
    (e.CrmConflict, 409),
    (e.CrmRejected, 422),
    (e.CrmBusy, 503),
    (e.CrmUnavailable, 503),
    (e.CrmError, 502),
]


def status_for(err: e.CockpitError) -> int:
    for cls, status in STATUS:
        if isinstance(err, cls):
            return status
    return 500


def wants_json(request: Request) -> bool:
    """The API, and scripts (fetch) get JSON; browser navigations get a page."""
    if request.url.path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    if "text/html" in accept:
        return False
    return "application/json" in accept or request.method != "GET"


def problem(
    request: Request,
    *,
    status: int,
    code: str,
    message: str,
    extra: dict[str, object] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    if wants_json(request):
        body: dict[str, object] = {
            "type": "about:blank",
            "title": code,
            "status": status,
            "code": code,
            "detail": message,
            "correlation_id": correlation_id.get(),
        }
        body.update(extra or {})
        return JSONResponse(
            body, status_code=status, headers=headers, media_type="application/problem+json"
        )
    response = render(
        request,
        "message.html",
        {"title": "Opportunity Cockpit", "message": message, "alert": True, "status": status},
        status=status,
    )
    if headers:
        response.headers.update(headers)
    return response


# A session younger than this that still cannot get a CRM token must not be sent round the sign-in
# loop again: that would loop forever (e.g. missing consent). It gets an explanation instead.
FRESH_SESSION = timedelta(minutes=2)


def _page_sign_in(request: Request, exc: e.CockpitError) -> Response | None:
    """Pages answer "not signed in" with the sign-in itself, not an error."""
    if wants_json(request) or request.method != "GET" or isinstance(exc, e.SignInFailed):
        return None
    if not isinstance(exc, e.NotSignedIn | e.ReauthRequired):
        return None
    if request.url.path.startswith("/embed"):
        # Inside the Dynamics iframe: never send anyone to Entra (it refuses to be framed, and a
        # redirect there would loop). Offer the embedded sign-in and the new-tab path instead.
        return embed_sign_in_page(request, exc)
    if request.url.path.startswith("/auth/"):
        return None
    principal = getattr(request.state, "principal", None)
    created = getattr(principal, "session_created_at", None)
    now = request.app.state.container.clock.now()
    if isinstance(exc, e.ReauthRequired) and created and now - created < FRESH_SESSION:
        lang = request_lang(request)
        message = t("reauth_fresh", lang, {"detail": exc.detail[:120]})
        return render(
            request,
            "message.html",
            {"title": "Opportunity Cockpit", "message": message, "alert": True},
            status=401,
        )
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/auth/login?next={quote(target, safe='')}", status_code=303)


def embed_sign_in_page(request: Request, exc: e.CockpitError) -> Response:
    """The embedded tab's sign-in (DESIGN §4) instead of a redirect to Entra, which refuses to be
    framed. ``ReauthRequired`` means the session is valid but Entra wants an interactive sign-in,
    so the page skips adopting the session; if that session is brand new, signing in again would
    only loop, so the page explains and offers the new tab alone."""
    lang = request_lang(request)
    path, query = request.url.path, request.url.query
    if path == "/embed":
        new_tab = f"/launch?{query}"
    else:
        new_tab = path.removeprefix("/embed") + (f"?{query}" if query else "")
    reauth = isinstance(exc, e.ReauthRequired)
    reason = t("reauth_required", lang) if reauth else None
    stuck = False
    if reauth:
        principal = getattr(request.state, "principal", None)
        created = getattr(principal, "session_created_at", None)
        now = request.app.state.container.clock.now()
        if created is not None and now - created < FRESH_SESSION:
            stuck = True
            reason = t("reauth_fresh", lang, {"detail": exc.detail[:120]})
    return render(
        request,
        "embed_signin.html",
        {
            "embedded": True,
            "new_tab_url": new_tab,
            # The sign-in itself runs in a top-level window and ends on a "you may close this" page.
            "login_url": f"/auth/login?next={quote('/auth/done', safe='')}&lang={lang}",
            "reason": reason,
            "reauth": reauth,
            "stuck": stuck,
        },
        status=200,
    )


async def _cockpit_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, e.CockpitError)
    redirect = _page_sign_in(request, exc)
    if redirect is not None:
        return redirect
    status = status_for(exc)
    lang = request_lang(request)
    params = dict(exc.params)
    # Only messages meant to show it contain {detail} (input and configuration problems).
    params.setdefault("detail", exc.detail)
    message = t(exc.code, lang, params)
    extra: dict[str, object] = {}
    headers: dict[str, str] = {}
    if isinstance(exc, e.ReauthRequired | e.NotSignedIn):
        extra["reauth"] = True
    if isinstance(exc, e.CrmBusy) and exc.retry_after:
        headers["Retry-After"] = str(max(1, round(exc.retry_after)))
    log.info(
        "request failed",
        extra={
            "fields": {
                "code": exc.code,
                "status": status,
                "error": exc.__class__.__name__,
                "detail": exc.detail,
            }
        },
    )
    return problem(
        request, status=status, code=exc.code, message=message, extra=extra, headers=headers
    )


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    parts = []
    for item in exc.errors():
        loc = ".".join(str(p) for p in item.get("loc", ()) if p not in ("body", "query", "path"))
        parts.append(f"{loc or 'request'}: {item.get('msg', 'invalid')}")
    detail = "; ".join(parts)[:500]
    lang = request_lang(request)
    return problem(
        request,
        status=400,
        code="invalid_input",
        message=t("invalid_input", lang, {"detail": detail}),
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    lang = request_lang(request)
    code = {404: "not_found", 405: "invalid_input", 401: "not_signed_in", 403: "forbidden"}.get(
        exc.status_code, "error"
    )
    message = t(code, lang, {"detail": str(exc.detail)})
    return problem(
        request,
        status=exc.status_code,
        code=code,
        message=message,
        headers=getattr(exc, "headers", None),
    )


async def _unexpected(request: Request, exc: Exception) -> Response:
    reference = correlation_id.get()
    log.error("unhandled exception", exc_info=exc, extra={"fields": {"path": request.url.path}})
    lang = request_lang(request)
    return problem(
        request,
        status=500,
        code="internal_error",
        message=t("internal_error", lang, {"reference": reference}),
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(e.CockpitError, _cockpit_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
