"""The demo CRM page: a Dynamics 365-like opportunity list and form, fed by the Dataverse simulator,
hosting the real web resources from ``crm/webresources`` and the cockpit in the Cockpit tab.

Served on ``http://127.0.0.1:<port>`` so that it is a different *site* from the cockpit on
``localhost``, as Dynamics (``*.dynamics.com``) is from the cockpit in production.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.exceptions import HTTPException as StarletteHTTPException

from devstack.crm_demo import dynamics
from devstack.crm_demo.layout import FormLayout, legacy_layout, solution_layout
from devstack.crm_demo.presentation import (
    SUMMARY_FIELDS,
    RecordView,
    column_label,
    empty_view,
    record_view,
    stage_names,
    ui_text,
)
from devstack.crm_demo.simulator import RecordNotFound, SimulatorClient, SimulatorUnavailable

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent.parent
WEBRESOURCES_DIR = REPO_ROOT / "crm" / "webresources"
LANGUAGE_COOKIE = "crm_demo_userlcid"

_WEBRESOURCE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*\.js$")


@dataclass(frozen=True)
class DemoConfig:
    """Everything the page needs; built by the CLI (``python -m devstack.crm_demo``)."""

    dataverse_url: str
    ca_file: Path | None
    cockpit_url: str  # already checked by dynamics.check_cockpit_url
    org_name: str
    org_lcid: int
    # An extra numeric column to show on the Summary tab, e.g. the admin's write-back target when it
    # is not closeprobability.
    target_field: str | None = None
    webresources_dir: Path = WEBRESOURCES_DIR
    # Show the command, the Cockpit tab and custom columns only from imported solutions.
    from_solution: bool = False


class PageError(Exception):
    """A request the page cannot serve: rendered as an HTML page (or problem JSON under /api)."""

    def __init__(self, status: int, title_key: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.title_key = title_key
        self.detail = detail


def _json_for_script(value: object) -> Markup:
    """JSON that is safe inside <script type="application/json"> (no '</script>' breakout)."""
    text = json.dumps(value, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def create_app(config: DemoConfig) -> FastAPI:
    """The demo page as an ASGI app (served by uvicorn from ``__main__``)."""
    templates = Environment(
        loader=FileSystemLoader(PACKAGE_DIR / "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    extra_fields = (config.target_field,) if config.target_field else ()
    state: dict[str, SimulatorClient] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state["simulator"] = SimulatorClient(base_url=config.dataverse_url, ca_file=config.ca_file)
        try:
            yield
        finally:
            await state["simulator"].close()

    app = FastAPI(title="Demo CRM page", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.mount("/static", StaticFiles(directory=PACKAGE_DIR / "static"), name="static")

    def user_lcid(request: Request) -> int:
        # The user's language is a per-user Dynamics setting; here a cookie set by the selector.
        raw = request.cookies.get(LANGUAGE_COOKIE, "")
        if raw.isdigit() and int(raw) in dynamics.LANGUAGES:
            return int(raw)
        return config.org_lcid if config.org_lcid in dynamics.LANGUAGES else dynamics.ENGLISH

    def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        lcid = user_lcid(request)
        page = templates.get_template(template).render(
            t=ui_text(lcid),
            lcid=lcid,
            languages=dynamics.LANGUAGES,
            org_name=config.org_name,
            current_path=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            **context,
        )
        return HTMLResponse(page, status_code=status)

    def simulator() -> SimulatorClient:
        return state["simulator"]

    async def extra_columns(lcid: int) -> tuple[tuple[str, ...], dict[str, str]]:
        return await _extra_columns(simulator(), lcid, extra_fields)

    async def form_layout(lcid: int) -> FormLayout:
        if not config.from_solution:
            return legacy_layout(config.cockpit_url, lcid)
        columns = await simulator().numeric_columns()
        return await solution_layout(simulator(), lcid, columns)

    # --- pages ------------------------------------------------------------------------------------
    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        # No icon; answering keeps browser tests' consoles free of 404 noise.
        return Response(status_code=204)

    @app.get("/", response_class=HTMLResponse)
    async def opportunity_list(request: Request) -> HTMLResponse:
        lcid = user_lcid(request)
        records = await simulator().list_opportunities()
        views = sorted(
            (record_view(r, lcid) for r in records),
            key=lambda v: str(v.values.get("name") or "").lower(),
        )
        rows = [(view, dynamics.form_path(view.id)) for view in views if _is_guid(view.id)]
        return render(request, "list.html", rows=rows, new_form=dynamics.form_path(None))

    @app.get("/main.aspx", response_class=HTMLResponse)
    async def record_form(
        request: Request,
        etn: str | None = None,
        # Dynamics' own parameter name is `id`.
        record_param: Annotated[str | None, Query(alias="id")] = None,
        pagetype: str | None = None,
    ) -> HTMLResponse:
        lcid = user_lcid(request)
        if pagetype not in (None, "entityrecord"):
            raise PageError(
                400, "bad_request", f"pagetype={pagetype!r}: only 'entityrecord' pages exist here."
            )
        if etn != dynamics.OPPORTUNITY:
            raise PageError(
                404,
                "not_found",
                f"etn={etn!r}: this demo has opportunity forms only (etn=opportunity).",
            )
        record_id: str | None = None
        if record_param is not None and record_param.strip() != "":
            try:
                record_id = dynamics.normalise_id(record_param)
            except dynamics.InvalidRecordId as exc:
                raise PageError(400, "bad_request", str(exc)) from exc
        columns, column_labels = await extra_columns(lcid)
        layout = await form_layout(lcid)
        columns = tuple(c for c in columns if c not in layout.hidden_columns)
        view = await _load_view(simulator(), record_id, lcid, columns)
        frame_src = (
            dynamics.iframe_src(
                layout.frame.url,
                pass_parameters=layout.frame.pass_parameters,
                record_id=record_id,
                org_name=config.org_name,
                org_lcid=config.org_lcid,
                user_lcid=lcid,
            )
            if layout.frame
            else ""
        )
        page_config = _page_config(request, config, record_id, lcid)
        page_config["cockpitUrl"] = layout.cockpit_url
        return render(
            request,
            "form.html",
            view=view,
            record_id=record_id,
            summary_fields=(*SUMMARY_FIELDS, *(c for c in columns if c in view.formatted)),
            column_labels=column_labels,
            stages=stage_names(lcid),
            frame_src=frame_src,
            page_config=_json_for_script(page_config),
            new_form=dynamics.form_path(None),
            layout=layout,
        )

    @app.post("/settings/language")
    async def set_language(request: Request) -> Response:
        form = parse_qs((await request.body()).decode("utf-8", errors="replace"))
        raw = (form.get("lcid") or [""])[0]
        if not raw.isdigit() or int(raw) not in dynamics.LANGUAGES:
            choices = ", ".join(f"{k} ({v})" for k, v in dynamics.LANGUAGES.items())
            raise PageError(400, "bad_request", f"lcid={raw!r}: choose one of {choices}.")
        target = (form.get("next") or ["/"])[0]
        # Only local paths: an absolute or scheme-relative URL here would be an open redirect.
        if not target.startswith("/") or target.startswith("//") or "\\" in target:
            target = "/"
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            LANGUAGE_COOKIE, raw, max_age=365 * 24 * 3600, samesite="lax", httponly=True
        )
        return response

    # --- JSON for the page's Xrm shim ------------------------------------------------------------
    @app.get("/api/records/opportunities")
    async def record_list_json(request: Request) -> JSONResponse:
        lcid = user_lcid(request)
        records = await simulator().list_opportunities()
        return JSONResponse({"value": [record_view(r, lcid).as_json() for r in records]})

    @app.get("/api/records/opportunities/{record_id}")
    async def record_json(request: Request, record_id: str) -> JSONResponse:
        """What ``formContext.data.refresh`` re-reads: the record from the simulator, formatted."""
        try:
            normalised = dynamics.normalise_id(record_id)
        except dynamics.InvalidRecordId as exc:
            raise PageError(400, "bad_request", str(exc)) from exc
        try:
            record = await simulator().get_opportunity(normalised)
        except RecordNotFound as exc:
            raise PageError(
                404, "not_found", f"No opportunity with id {normalised} exists."
            ) from exc
        lcid = user_lcid(request)
        columns, _ = await extra_columns(lcid)
        view = record_view(record, lcid, extra_fields=columns)
        return JSONResponse(view.as_json(), headers={"Cache-Control": "no-store"})

    # --- the slice of the org's Web API a form script calls with the user's Dynamics session -----
    @app.get("/api/data/v9.2/RetrieveEnvironmentVariableValue(DefinitionSchemaName='{name}')")
    async def environment_variable(name: str) -> JSONResponse:
        """Scripts on a Dynamics form call the org's Web API on the same origin with the user's
        session (Xrm.Utility.getGlobalContext().getClientUrl()); the page answers this one
        function from the imported solutions' environment variables (RetrieveEnvironmentVariableValue)."""
        variables = (await simulator().solution_ui()).get("environment_variables") or {}
        match = next((v for k, v in variables.items() if k.lower() == name.lower()), None)
        if match is None:
            return JSONResponse(
                {
                    "error": {
                        "code": "0x80040217",
                        "message": f"environmentvariabledefinition With Id = {name} Does Not Exist",
                    }
                },
                status_code=404,
            )
        return JSONResponse({"Value": match})

    # --- the real Dynamics-side scripts -----------------------------------------------------------
    @app.get("/webresources/{name}")
    async def webresource(name: str) -> Response:
        """Serves a web resource: from the imported solutions (``--from-solution``), else
        crm/webresources/<name>.js exactly as an admin would upload it."""
        if config.from_solution:
            content = (
                await simulator().web_resource(name) if _WEBRESOURCE_NAME.match(name) else None
            )
            if content is None:
                raise PageError(
                    404, "not_found", f"No imported solution has a web resource {name!r}."
                )
            return Response(
                content,
                media_type="text/javascript; charset=utf-8",
                headers={"Cache-Control": "no-store"},
            )
        path = config.webresources_dir / name
        if not _WEBRESOURCE_NAME.match(name) or not path.is_file():
            raise PageError(404, "not_found", f"There is no web resource named {name!r}.")
        return FileResponse(
            path,
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "no-store"},  # always the file as it is on disk now
        )

    # --- errors -----------------------------------------------------------------------------------
    def error_response(request: Request, status: int, title_key: str, detail: str) -> Response:
        title = ui_text(user_lcid(request))[title_key]
        if request.url.path.startswith("/api/"):
            return JSONResponse(
                {"type": "about:blank", "title": title, "status": status, "detail": detail},
                status_code=status,
                media_type="application/problem+json",
            )
        return render(request, "error.html", status=status, title=title, detail=detail)

    @app.exception_handler(PageError)
    async def page_error(request: Request, exc: PageError) -> Response:
        return error_response(request, exc.status, exc.title_key, exc.detail)

    @app.exception_handler(SimulatorUnavailable)
    async def simulator_unavailable(request: Request, exc: SimulatorUnavailable) -> Response:
        return error_response(request, 502, "unavailable", str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        key = "not_found" if exc.status_code == 404 else "bad_request"
        detail = exc.detail if isinstance(exc.detail, str) else "This request cannot be served."
        if exc.status_code == 404:
            detail = f"There is no page at {request.url.path}."
        return error_response(request, exc.status_code, key, detail)

    return app


async def _load_view(
    simulator: SimulatorClient, record_id: str | None, lcid: int, columns: tuple[str, ...]
) -> RecordView:
    if record_id is None:
        return empty_view(lcid)
    try:
        return record_view(await simulator.get_opportunity(record_id), lcid, extra_fields=columns)
    except RecordNotFound as exc:
        raise PageError(
            404,
            "not_found",
            f"No opportunity with id {record_id} exists (it may have been deleted).",
        ) from exc


async def _extra_columns(
    simulator: SimulatorClient, lcid: int, extra_fields: tuple[str, ...]
) -> tuple[tuple[str, ...], dict[str, str]]:
    """Every numeric opportunity column the Summary tab does not show yet, with its label in
    the user's language (the admin's write-back target among them)."""
    columns = await simulator.numeric_columns()
    names = [c["LogicalName"] for c in columns if c["LogicalName"] not in SUMMARY_FIELDS]
    for name in extra_fields:
        if name not in names and name not in SUMMARY_FIELDS:
            names.append(name)
    labels = {c["LogicalName"]: column_label(c, lcid) for c in columns}
    return tuple(names), labels


def _page_config(
    request: Request, config: DemoConfig, record_id: str | None, lcid: int
) -> dict[str, Any]:
    """What the page's Xrm shim needs (record, org, languages, cockpit URL, labels)."""
    return {
        "recordId": dynamics.braced_upper(record_id) if record_id else "",
        "entityName": dynamics.OPPORTUNITY,
        "recordUrl": f"/api/records/opportunities/{record_id}" if record_id else None,
        "orgUniqueName": config.org_name,
        "orgLcid": config.org_lcid,
        "userLcid": lcid,
        "cockpitUrl": config.cockpit_url,
        "clientUrl": str(request.base_url).rstrip("/"),
        "labels": {"ok": ui_text(lcid)["ok"], "saved": ui_text(lcid)["saved"]},
    }


def _is_guid(value: str) -> bool:
    try:
        dynamics.normalise_id(value)
    except dynamics.InvalidRecordId:
        return False
    return True
