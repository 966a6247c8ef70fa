"""Maps the domain error tree (``shared/domain/errors.py``) to HTTP — the only place that does.

API routes (``/api/…``) and scripts answer JSON problem details (RFC 9457) with a stable ``code``
and a readable ``detail`` in the user's language; page navigations get a small HTML page in that
language. Unexpected exceptions take one path (:func:`internal_error`, called by the correlation
middleware): logged with message, stack and correlation id, answered with a 500 that quotes the
correlation id and never a stack trace.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Match

from functions.i18n import t
from functions.rendering import render, request_lang
from functions.storage_access import ask_for_retry
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
    (e.PayloadTooLarge, 413),
    (e.StorageUnavailable, 503),
    (e.IdentityUnavailable, 503),
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
# Outages: the client may try again after this many seconds.
_RETRY_AFTER = {e.StorageUnavailable: 30, e.IdentityUnavailable: 30, e.CrmUnavailable: 30}


def status_for(err: e.CockpitError) -> int:
    for cls, status in STATUS:
        if isinstance(err, cls):
            return status
    return 500


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the error answers a route gives (all problem+json, RFC 9457)
    besides those ``functions/openapi.py`` adds to every operation."""
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        answer: dict[str, Any] = {
            "description": _DESCRIPTIONS.get(status, "Error"),
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        }
        if status == 503:
            answer["headers"] = {"Retry-After": _RETRY_AFTER_HEADER}
        if status == 401:
            answer["headers"] = {"WWW-Authenticate": _WWW_AUTHENTICATE_HEADER}
        responses[status] = answer
    return responses


# Statuses a route that calls Dynamics 365 as the caller adds (the access rule's 403, a deleted
# record's 404, a closed or changed record's 409, a refused request's 422, any other error's 502).
CRM_ANSWERS = (403, 404, 409, 422, 502)

_RETRY_AFTER_HEADER = {
    "description": "Seconds to wait before trying again.",
    "schema": {"type": "integer", "minimum": 1},
}
# RFC 9110 §15.5.2: a 401 names the scheme that would work; for the API that is an Entra access
# token (RFC 6750 §3). A browser's session cookie has no scheme of its own.
WWW_AUTHENTICATE = 'Bearer realm="Opportunity Cockpit"'
_WWW_AUTHENTICATE_HEADER = {
    "description": "How to authenticate: a bearer token (RFC 6750), or sign in in a browser.",
    "schema": {"type": "string"},
}

_DESCRIPTIONS = {
    400: "The request is not valid: code invalid_json for a body that is not JSON, "
    "invalid_input (or a more specific code) otherwise; the detail says what.",
    401: "Not signed in, or the sign-in must be renewed (reauth: true).",
    403: "Not allowed: Dynamics refuses access to the opportunity, CSRF, tenant, org or role.",
    404: "No such project, solution or opportunity.",
    409: "Does not fit the current state: changed by someone else meanwhile, not part of the "
    "project's solution, or a setting that no longer fits the CRM.",
    413: "The request body is over the limit.",
    422: "Dynamics 365 refused the request as invalid (a setting may need attention).",
    502: "Dynamics 365 answered with an error.",
    503: "Storage, Entra ID or Dynamics 365 cannot be reached or is busy (Retry-After).",
}


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
    if isinstance(exc, e.ReauthRequired) and _fresh(request):
        message = t("reauth_fresh", request_lang(request), {"detail": exc.detail[:120]})
        return render(
            request,
            "message.html",
            {"title": "Opportunity Cockpit", "message": message, "alert": True},
            status=401,
        )
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/auth/login?next={quote(target, safe='')}", status_code=303)


def _fresh(request: Request) -> bool:
    principal = getattr(request.state, "principal", None)
    return bool(request.app.state.container.auth.is_fresh(principal))


def embed_sign_in_page(request: Request, exc: e.CockpitError) -> Response:
    """The embedded tab's sign-in instead of a redirect to Entra, which refuses to be framed.
    ``ReauthRequired`` means the session is valid but Entra wants an interactive sign-in, so the
    page skips adopting the session; if that session is brand new, signing in again would only
    loop, so the page explains and offers the new tab alone."""
    lang = request_lang(request)
    path, query = request.url.path, request.url.query
    if path == "/embed":
        new_tab = f"/launch?{query}"
    else:
        new_tab = path.removeprefix("/embed") + (f"?{query}" if query else "")
    reauth = isinstance(exc, e.ReauthRequired)
    stuck = reauth and _fresh(request)
    reason = t("reauth_required", lang) if reauth else None
    if stuck:
        reason = t("reauth_fresh", lang, {"detail": exc.detail[:120]})
    response = render(
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
    if not reauth:  # a retry with the same session would only say "sign in again" again
        ask_for_retry(request, response, request.app.state.settings.frame_ancestors)
    return response


async def _cockpit_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, e.CockpitError)
    redirect = _page_sign_in(request, exc)
    if redirect is not None:
        return redirect
    status = status_for(exc)
    lang = request_lang(request)
    params = dict(exc.params)
    params.setdefault("detail", exc.detail)
    reasons = params.get("reasons")
    if isinstance(reasons, list):  # refusal codes become sentences
        params["reasons"] = "; ".join(t(f"refusal_{code}", lang) for code in reasons)
    message = t(exc.code, lang, params)
    extra: dict[str, object] = {}
    headers: dict[str, str] = {}
    if isinstance(exc, e.ReauthRequired | e.NotSignedIn):
        extra["reauth"] = True
    if isinstance(exc, e.CrmBusy) and exc.retry_after:
        headers["Retry-After"] = str(max(1, round(exc.retry_after)))
    for cls, seconds in _RETRY_AFTER.items():
        if isinstance(exc, cls):
            headers.setdefault("Retry-After", str(seconds))
    if status == 401:
        headers["WWW-Authenticate"] = WWW_AUTHENTICATE
    log.info(
        "request failed",
        extra={"fields": {"code": exc.code, "status": status, "error": exc.__class__.__name__}},
    )
    return problem(
        request, status=status, code=exc.code, message=message, extra=extra, headers=headers
    )


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = list(exc.errors())
    if any(item.get("type") == "json_invalid" for item in problems):
        message = t("invalid_json", request_lang(request))
        return problem(request, status=400, code="invalid_json", message=message)
    parts = []
    for item in problems:
        loc = ".".join(str(p) for p in item.get("loc", ()) if p not in ("body", "query", "path"))
        parts.append(f"{loc or 'request'}: {item.get('msg', 'invalid')}")
    detail = "; ".join(parts)[:500]
    message = t("invalid_input", request_lang(request), {"detail": detail})
    return problem(request, status=400, code="invalid_input", message=message)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = {
        404: "not_found",
        405: "method_not_allowed",
        401: "not_signed_in",
        403: "forbidden",
    }.get(exc.status_code, "http_error")
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request))
    message = t(code, request_lang(request), {"detail": str(exc.detail)})
    return problem(request, status=exc.status_code, code=code, message=message, headers=headers)


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (RFC 9110, 15.5.6: a 405 lists them). The router
    is asked per method, so routes of included routers count (FastAPI keeps those nested), and so
    do routes at the same path in other routers (Starlette reports only the first one's)."""
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(r.matches({**request.scope, "method": method})[0] is Match.FULL for r in routes)
    ]


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def internal_error(request: Request, exc: BaseException) -> Response:
    """The one answer to an unexpected exception: logged whole for operators (message, stack,
    correlation id; redacted), a localized 500 for people, problem+json for the API."""
    reference = correlation_id.get()
    log.error("unhandled exception", exc_info=exc, extra={"fields": {"path": request.url.path}})
    try:
        lang = request_lang(request)
        message = t("internal_error", lang, {"reference": reference})
        return problem(request, status=500, code="internal_error", message=message)
    except Exception:  # rendering itself failed: still answer, still no stack trace
        return JSONResponse(
            {"status": 500, "code": "internal_error", "correlation_id": reference},
            status_code=500,
            media_type="application/problem+json",
        )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(e.CockpitError, _cockpit_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
