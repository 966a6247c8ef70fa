"""The demo CRM page: a Dynamics 365-like opportunity list and form, fed by the Dataverse simulator,
hosting the real web resources from ``crm/webresources`` and the cockpit in the Cockpit tab.

Served on ``http://127.0.0.1:<port>`` so that it is a different *site* from the cockpit on
``localhost``, as Dynamics (``*.dynamics.com``) is from the cockpit in production.

``DemoPage`` holds the page's state and request handlers; ``create_app`` maps them to routes.
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


class DemoPage:
    """The page's state (settings, templates, the simulator client) and its request handlers.

    ``create_app`` registers the handlers; the simulator client lives from startup to shutdown.
    """

    def __init__(self, config: DemoConfig) -> None:
        self.config = config
        self.templates = Environment(
            loader=FileSystemLoader(PACKAGE_DIR / "templates"),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.extra_fields = (config.target_field,) if config.target_field else ()
        self._simulator: SimulatorClient | None = None

    @asynccontextmanager
    async def lifespan(self, _: FastAPI) -> AsyncIterator[None]:
        config = self.config
        self._simulator = SimulatorClient(base_url=config.dataverse_url, ca_file=config.ca_file)
        try:
            yield
        finally:
            await self._simulator.close()

    @property
    def simulator(self) -> SimulatorClient:
        if self._simulator is None:
            raise RuntimeError("the simulator client exists only while the app is running")
        return self._simulator

    # --- shared by the handlers -------------------------------------------------------------------
    def user_lcid(self, request: Request) -> int:
        # The user's language is a per-user Dynamics setting; here a cookie set by the selector.
        raw = request.cookies.get(LANGUAGE_COOKIE, "")
        if raw.isdigit() and int(raw) in dynamics.LANGUAGES:
            return int(raw)
        org_lcid = self.config.org_lcid
        return org_lcid if org_lcid in dynamics.LANGUAGES else dynamics.ENGLISH

    def render(
        self, request: Request, template: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        lcid = self.user_lcid(request)
        page = self.templates.get_template(template).render(
            t=ui_text(lcid),
            lcid=lcid,
            languages=dynamics.LANGUAGES,
            org_name=self.config.org_name,
            current_path=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            **context,
        )
        return HTMLResponse(page, status_code=status)

    async def extra_columns(self, lcid: int) -> tuple[tuple[str, ...], dict[str, str]]:
        return await _extra_columns(self.simulator, lcid, self.extra_fields)

    async def form_layout(self, lcid: int) -> FormLayout:
        if not self.config.from_solution:
            return legacy_layout(self.config.cockpit_url, lcid)
        columns = await self.simulator.numeric_columns()
        return await solution_layout(self.simulator, lcid, columns)

    # --- pages ------------------------------------------------------------------------------------
    async def healthz(self) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def favicon(self) -> Response:
        # No icon; answering keeps browser tests' consoles free of 404 noise.
        return Response(status_code=204)

    async def opportunity_list(self, request: Request) -> HTMLResponse:
        lcid = self.user_lcid(request)
        records = await self.simulator.list_opportunities()
        views = sorted(
            (record_view(r, lcid) for r in records),
            key=lambda v: str(v.values.get("name") or "").lower(),
        )
        rows = [(view, dynamics.form_path(view.id)) for view in views if _is_guid(view.id)]
        return self.render(request, "list.html", rows=rows, new_form=dynamics.form_path(None))

    async def record_form(
        self,
        request: Request,
        etn: str | None = None,
        # Dynamics' own parameter name is `id`.
        record_param: Annotated[str | None, Query(alias="id")] = None,
        pagetype: str | None = None,
    ) -> HTMLResponse:
        lcid = self.user_lcid(request)
        record_id = _form_record_id(etn, record_param, pagetype)
        columns, column_labels = await self.extra_columns(lcid)
        layout = await self.form_layout(lcid)
        columns = tuple(c for c in columns if c not in layout.hidden_columns)
        view = await _load_view(self.simulator, record_id, lcid, columns)
        frame_src = (
            dynamics.iframe_src(
                layout.frame.url,
                pass_parameters=layout.frame.pass_parameters,
                record_id=record_id,
                org_name=self.config.org_name,
                org_lcid=self.config.org_lcid,
                user_lcid=lcid,
            )
            if layout.frame
            else ""
        )
        page_config = _page_config(request, self.config, record_id, lcid)
        page_config["cockpitUrl"] = layout.cockpit_url
        return self.render(
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

    async def set_language(self, request: Request) -> Response:
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
    async def record_list_json(self, request: Request) -> JSONResponse:
        lcid = self.user_lcid(request)
        records = await self.simulator.list_opportunities()
        return JSONResponse({"value": [record_view(r, lcid).as_json() for r in records]})

    async def record_json(self, request: Request, record_id: str) -> JSONResponse:
        """What ``formContext.data.refresh`` re-reads: the record from the simulator, formatted."""
        try:
            normalised = dynamics.normalise_id(record_id)
        except dynamics.InvalidRecordId as exc:
            raise PageError(400, "bad_request", str(exc)) from exc
        try:
            record = await self.simulator.get_opportunity(normalised)
        except RecordNotFound as exc:
            raise PageError(
                404, "not_found", f"No opportunity with id {normalised} exists."
            ) from exc
        lcid = self.user_lcid(request)
        columns, _ = await self.extra_columns(lcid)
        view = record_view(record, lcid, extra_fields=columns)
        return JSONResponse(view.as_json(), headers={"Cache-Control": "no-store"})

    # --- the slice of the org's Web API a form script calls with the user's Dynamics session -----
    async def environment_variable(self, name: str) -> JSONResponse:
        """Scripts on a Dynamics form call the org's Web API on the same origin with the user's
        session (Xrm.Utility.getGlobalContext().getClientUrl()); the page answers this one
        function from the imported solutions' environment variables (RetrieveEnvironmentVariableValue)."""
        variables = (await self.simulator.solution_ui()).get("environment_variables") or {}
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
    async def webresource(self, name: str) -> Response:
        """Serves a web resource: from the imported solutions (``--from-solution``), else
        crm/webresources/<name>.js exactly as an admin would upload it."""
        if self.config.from_solution:
            content = (
                await self.simulator.web_resource(name) if _WEBRESOURCE_NAME.match(name) else None
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
        path = self.config.webresources_dir / name
        if not _WEBRESOURCE_NAME.match(name) or not path.is_file():
            raise PageError(404, "not_found", f"There is no web resource named {name!r}.")
        return FileResponse(
            path,
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "no-store"},  # always the file as it is on disk now
        )

    # --- errors -----------------------------------------------------------------------------------
    def error_response(
        self, request: Request, status: int, title_key: str, detail: str
    ) -> Response:
        title = ui_text(self.user_lcid(request))[title_key]
        if request.url.path.startswith("/api/"):
            return JSONResponse(
                {"type": "about:blank", "title": title, "status": status, "detail": detail},
                status_code=status,
                media_type="application/problem+json",
            )
        return self.render(request, "error.html", status=status, title=title, detail=detail)

    async def page_error(self, request: Request, exc: PageError) -> Response:
        return self.error_response(request, exc.status, exc.title_key, exc.detail)

    async def simulator_unavailable(self, request: Request, exc: SimulatorUnavailable) -> Response:
        return self.error_response(request, 502, "unavailable", str(exc))

    async def http_error(self, request: Request, exc: StarletteHTTPException) -> Response:
        key = "not_found" if exc.status_code == 404 else "bad_request"
        detail = exc.detail if isinstance(exc.detail, str) else "This request cannot be served."
        if exc.status_code == 404:
            detail = f"There is no page at {request.url.path}."
        return self.error_response(request, exc.status_code, key, detail)


def create_app(config: DemoConfig) -> FastAPI:
    """The demo page as an ASGI app (served by uvicorn from ``__main__``)."""
    page = DemoPage(config)
    app = FastAPI(title="Demo CRM page", lifespan=page.lifespan, docs_url=None, redoc_url=None)
    app.mount("/static", StaticFiles(directory=PACKAGE_DIR / "static"), name="static")
    # pages
    app.get("/healthz", include_in_schema=False)(page.healthz)
    app.get("/favicon.ico", include_in_schema=False)(page.favicon)
    app.get("/", response_class=HTMLResponse)(page.opportunity_list)
    app.get("/main.aspx", response_class=HTMLResponse)(page.record_form)
    app.post("/settings/language")(page.set_language)
    # JSON for the page's Xrm shim
    app.get("/api/records/opportunities")(page.record_list_json)
    app.get("/api/records/opportunities/{record_id}")(page.record_json)
    # the one org Web API function a form script calls on the page's origin
    app.get("/api/data/v9.2/RetrieveEnvironmentVariableValue(DefinitionSchemaName='{name}')")(
        page.environment_variable
    )
    # the real Dynamics-side scripts
    app.get("/webresources/{name}")(page.webresource)
    # errors: HTML pages, problem JSON under /api/
    app.exception_handler(PageError)(page.page_error)
    app.exception_handler(SimulatorUnavailable)(page.simulator_unavailable)
    app.exception_handler(StarletteHTTPException)(page.http_error)
    return app


def _form_record_id(etn: str | None, record_param: str | None, pagetype: str | None) -> str | None:
    """The record id a ``main.aspx`` request asks for (None: a new record); PageError if bad."""
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
    if record_param is None or record_param.strip() == "":
        return None
    try:
        return dynamics.normalise_id(record_param)
    except dynamics.InvalidRecordId as exc:
        raise PageError(400, "bad_request", str(exc)) from exc


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
