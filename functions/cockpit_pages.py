"""The pages a rep and an admin see.

- ``GET /launch`` (the command-bar button, a new tab) and ``GET /embed`` (the IFRAME tab) take
  exactly the parameters Dynamics passes, create or open the project, and redirect to it.
- ``GET /projects/{org}/{id}`` and ``GET /embed/projects/{org}/{id}``: the project page (the embed
  variant may be framed by the configured CRM origins and never sends anyone to Entra inside the
  frame: it renders the embedded sign-in instead).
- ``GET /admin``: the per-org settings (admins only).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from functions.deps import container_of
from functions.i18n import Lang, lang_from
from functions.pages import render, request_lang
from functions.security import Admin, CurrentUser, optional_principal
from functions.views import admin_org_view, project_view
from shared.domain.errors import InvalidInput, NotSignedIn
from shared.domain.keys import parse_guid

router = APIRouter(include_in_schema=False)


def _lang_for_launch(request: Request, userlcid: str | None) -> Lang:
    return lang_from(userlcid=userlcid, accept_language=request.headers.get("accept-language"))


def _check_launch(
    *, id: str | None, typename: str | None, userlcid: str | None, orglcid: str | None
) -> str:
    """Validate what Dynamics passes; returns the normalised opportunity id."""
    if id is None or id.strip() == "":
        # Dynamics passes an empty id for a record that was never saved.
        raise InvalidInput(
            "id is missing (save the opportunity first)",
            code="record_not_saved",
            params={"what": "opportunity id"},
        )
    opportunity_id = parse_guid(id, what="opportunity id")
    if typename is not None and typename.strip().lower() != "opportunity":
        raise InvalidInput(
            "not an opportunity", code="not_an_opportunity", params={"typename": typename[:40]}
        )
    for name, value in (("userlcid", userlcid), ("orglcid", orglcid)):
        if value is not None and value != "" and not (value.isdigit() and 0 < int(value) < 65536):
            raise InvalidInput(
                f"{name} must be a language code id such as 1033",
                params={"detail": f"{name} must be a number such as 1033"},
            )
    return opportunity_id


async def _open_project(request: Request, params: LaunchParams, *, page_prefix: str) -> Response:
    """Create or open the project for what Dynamics passed, then redirect to its page."""
    opportunity_id = _check_launch(
        id=params.id, typename=params.typename, userlcid=params.userlcid, orglcid=params.orglcid
    )
    principal = await optional_principal(request)
    if principal is None:
        raise NotSignedIn("sign-in required")
    cockpit = container_of(request).cockpit
    org = cockpit.org_for(principal, params.orgname)
    project = await cockpit.launch(principal=principal, org=org, opportunity_id=opportunity_id)
    lang = request.state.lang
    target = f"{page_prefix}/projects/{org.name}/{project.key.opportunity_id}?{urlencode({'lang': lang})}"
    return RedirectResponse(target, status_code=303)


class LaunchParams(BaseModel):
    """Exactly what Dynamics passes: the button's web resource, or the IFRAME control with "pass
    record object-type code and unique identifier as parameters" (``type`` varies per org and is
    ignored; ``typename`` is what counts)."""

    id: str | None = Field(default=None, max_length=64)
    typename: str | None = Field(default=None, max_length=128)
    orgname: str | None = Field(default=None, max_length=128)
    userlcid: str | None = Field(default=None, max_length=16)
    orglcid: str | None = Field(default=None, max_length=16)
    type: str | None = Field(default=None, max_length=16)


@router.get("/launch", response_class=HTMLResponse)
async def launch(request: Request, params: Annotated[LaunchParams, Query()]) -> Response:
    """The "Open Cockpit" button (a new tab): create or open the project, then show it."""
    request.state.lang = _lang_for_launch(request, params.userlcid)
    return await _open_project(request, params, page_prefix="")


@router.get("/embed", response_class=HTMLResponse)
async def embed(request: Request, params: Annotated[LaunchParams, Query()]) -> Response:
    """The Cockpit tab inside the Dynamics form (a cross-site iframe). Not signed in here means
    the embedded sign-in page (see functions/errors.py), never a redirect to Entra in the frame."""
    request.state.lang = _lang_for_launch(request, params.userlcid)
    return await _open_project(request, params, page_prefix="/embed")


async def _project_page(
    request: Request, principal_org: str, opportunity_id: str, *, embedded: bool
) -> Response:
    principal = await optional_principal(request)
    if principal is None:
        raise NotSignedIn("sign-in required")
    container = container_of(request)
    cockpit = container.cockpit
    org = cockpit.org_for(principal, principal_org)
    view = await cockpit.view(
        principal=principal,
        org=org,
        opportunity_id=parse_guid(opportunity_id, what="opportunity id"),
    )
    lang = request_lang(request)
    context = project_view(
        view,
        principal=principal,
        lang=lang,
        is_admin=principal.has_role(container.settings.admin_role),
    )
    context.update(
        embedded=embedded,
        frame_ancestors=container.settings.frame_ancestors,
        new_tab_url=f"/projects/{org.name}/{view.project.key.opportunity_id}?{urlencode({'lang': lang})}",
    )
    return render(request, "project.html", context)


@router.get("/projects/{org}/{opportunity_id}", response_class=HTMLResponse)
async def project_page(request: Request, org: str, opportunity_id: str) -> Response:
    return await _project_page(request, org, opportunity_id, embedded=False)


@router.get("/embed/projects/{org}/{opportunity_id}", response_class=HTMLResponse)
async def embedded_project_page(request: Request, org: str, opportunity_id: str) -> Response:
    return await _project_page(request, org, opportunity_id, embedded=True)


@router.get("/admin", response_class=HTMLResponse)
async def admin_page(request: Request, principal: Admin) -> Response:
    cockpit = container_of(request).cockpit
    lang = request_lang(request)
    orgs = []
    for org in cockpit.orgs_of(principal):
        orgs.append(
            admin_org_view(
                await cockpit.admin_view(principal=principal, org=org), org=org, lang=lang
            )
        )
    solutions = await cockpit.available_solutions(principal=principal)
    return render(request, "admin.html", {"orgs": orgs, "solutions": solutions})


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> Response:
    principal = await optional_principal(request)
    container = container_of(request)
    is_admin = principal is not None and principal.has_role(container.settings.admin_role)
    return render(request, "home.html", {"signed_in": principal is not None, "is_admin": is_admin})


__all__ = ["CurrentUser", "router"]
