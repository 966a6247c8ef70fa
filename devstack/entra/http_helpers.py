"""HTTP plumbing the protocol endpoints share: strict form and query parsing, and the JSON, HTML
and redirect answers with the headers Entra sends on each kind of response.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from devstack.entra.authorize import Redirect
from devstack.entra.directory import is_guid
from devstack.entra.errors import EntraError
from devstack.entra.pages import error_page, form_post_page
from devstack.entra.request_log import note_error

__all__ = [
    "METADATA_HEADERS",
    "PAGE_HEADERS",
    "TOKEN_HEADERS",
    "html_error",
    "html_page",
    "json_error",
    "parse_form",
    "query_params",
    "read_form",
    "redirect_response",
]

# Entra never renders its interactive pages in a frame (X-Frame-Options: DENY, anti-clickjacking).
# github.com/AzureAD/microsoft-authentication-library-for-js lib/msal-browser/docs/iframe-usage.md
PAGE_HEADERS = {
    "Cache-Control": "no-store, no-cache",
    "Pragma": "no-cache",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}
TOKEN_HEADERS = {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}
METADATA_HEADERS = {"Cache-Control": "max-age=86400, private", "Access-Control-Allow-Origin": "*"}

# --- reading requests ---------------------------------------------------------------------------


def parse_form(body: bytes) -> dict[str, str]:
    """application/x-www-form-urlencoded; a repeated parameter is refused, not guessed."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EntraError.malformed("The request body is not UTF-8.") from exc
    form: dict[str, str] = {}
    for name, value in parse_qsl(text, keep_blank_values=True):
        if name in form:
            raise EntraError.malformed(f"The parameter '{name}' appears more than once.")
        form[name] = value
    return form


async def read_form(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("application/x-www-form-urlencoded"):
        raise EntraError.malformed(
            "The request body must be application/x-www-form-urlencoded "
            f"(got '{content_type or 'no content type'}')."
        )
    return parse_form(await request.body())


def query_params(request: Request) -> dict[str, str]:
    """The query string as a dict; a repeated parameter is refused, as in a form."""
    params: dict[str, str] = {}
    for name, value in request.query_params.multi_items():
        if name in params:
            raise EntraError.malformed(f"The parameter '{name}' appears more than once.")
        params[name] = value
    return params


# --- writing responses --------------------------------------------------------------------------


def json_error(request: Request, error: EntraError) -> JSONResponse:
    note_error(request, error)
    correlation = request.headers.get("client-request-id")
    body = error.body(correlation_id=correlation if correlation and is_guid(correlation) else None)
    return JSONResponse(body, status_code=error.status, headers=TOKEN_HEADERS)


def html_page(html: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)


def html_error(request: Request, error: EntraError) -> HTMLResponse:
    note_error(request, error)
    body = error.body()
    return html_page(
        error_page(error=error.error, description=str(body["error_description"])),
        status=error.status if error.status >= 400 else 400,
    )


def redirect_response(redirect: Redirect) -> Response:
    if redirect.response_mode == "form_post":
        return html_page(form_post_page(action=redirect.redirect_uri, fields=redirect.params))
    return RedirectResponse(redirect.location(), status_code=302, headers=PAGE_HEADERS)
