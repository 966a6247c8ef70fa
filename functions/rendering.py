"""Renders server-side pages: one Jinja2 environment, autoescaped, templates in functions/templates/.

Pages work without JavaScript for reading; state changes go through small ``fetch`` calls in
``static/cockpit.js`` so they can carry the CSRF header.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from functions.i18n import fmt_number, fmt_percent, negotiate, t
from functions.messages import Lang

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
    """The request's one language, decided once and kept on the request: the ``lang`` a page
    carries from its launch, else Dynamics' ``userlcid``/``orglcid``, else ``Accept-Language``."""
    lang = _as_lang(getattr(request.state, "lang", None)) or _as_lang(
        request.query_params.get("lang")
    )
    if lang is None:
        lang = negotiate(
            userlcid=request.query_params.get("userlcid"),
            orglcid=request.query_params.get("orglcid"),
            accept_language=request.headers.get("accept-language"),
        )
    request.state.lang = lang
    return lang


def _as_lang(value: object) -> Lang | None:
    if value == "de":
        return "de"
    return "en" if value == "en" else None


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
