"""Server-rendered pages: one Jinja2 environment, autoescaped, templates in functions/templates/.

Pages work without JavaScript for reading; state changes go through small ``fetch`` calls in
``static/cockpit.js`` so they can carry the CSRF header.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from functions.i18n import Lang, fmt_number, fmt_percent, lang_from, t

_TEMPLATES = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

# Loads templates on first render, not at import.
_env = Environment(
    loader=FileSystemLoader(_TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def request_lang(request: Request) -> Lang:
    """The page language: set by the route (e.g. from Dynamics' ``userlcid``), else from the
    ``userlcid`` query parameter, else ``Accept-Language``."""
    lang = getattr(request.state, "lang", None) or request.query_params.get("lang")
    if lang == "de":
        return "de"
    if lang == "en":
        return "en"
    return lang_from(
        userlcid=request.query_params.get("userlcid"),
        accept_language=request.headers.get("accept-language"),
    )


def render(
    request: Request, template: str, context: dict[str, Any], *, status: int = 200
) -> HTMLResponse:
    lang = request_lang(request)
    principal = getattr(request.state, "principal", None)
    values: dict[str, Any] = {
        "lang": lang,
        "t": lambda key, **params: t(key, lang, params),
        "pct": lambda value: fmt_percent(value, lang),
        "num": lambda value: fmt_number(value, lang),
        "principal": principal,
        "csrf_token": principal.csrf_token if principal is not None else None,
        "embedded": False,
    }
    values.update(context)
    return HTMLResponse(_env.get_template(template).render(**values), status_code=status)
