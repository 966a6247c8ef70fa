"""Maps the domain error tree (``shared/domain/errors.py``) to HTTP.

API routes (``/api/…``) answer JSON problem details (RFC 9457) with a readable ``detail`` in the
user's language and a stable ``code``; pages answer a small HTML page. Nobody ever sees a stack
trace: unexpected exceptions become a 500 with a reference (the correlation id) to quote.
"""

from __future__ import annotations

import html
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import HTMLResponse, JSONResponse, Response

from functions.i18n import Lang, lang_from, t
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


def request_lang(request: Request) -> Lang:
    lang = getattr(request.state, "lang", None)
    if lang in ("en", "de"):
        return lang  # type: ignore[no-any-return]
    return lang_from(
        userlcid=request.query_params.get("userlcid"),
        accept_language=request.headers.get("accept-language"),
    )


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path.startswith("/auth/embed/")


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
    return HTMLResponse(
        error_page(message, lang=request_lang(request), status=status),
        status_code=status,
        headers=headers,
    )


def error_page(message: str, *, lang: Lang, status: int) -> str:
    title = "Opportunity Cockpit"
    back = "Zurück" if lang == "de" else "Back"
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{title}</title><link rel="stylesheet" href="/static/cockpit.css"></head>'
        f'<body class="error-page"><main class="card"><h1>{title}</h1>'
        f'<p class="error" role="alert" data-status="{status}">{html.escape(message)}</p>'
        f'<p><a href="javascript:history.back()">{back}</a></p></main></body></html>'
    )


async def _cockpit_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, e.CockpitError)
    status = status_for(exc)
    lang = request_lang(request)
    params = dict(exc.params)
    params.setdefault("detail", "")
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
