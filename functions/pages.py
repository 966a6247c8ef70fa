"""The pages a rep and an admin see.

- ``GET /launch`` (the command-bar button, a new tab) and ``GET /embed`` (the IFRAME tab) take
  exactly the parameters Dynamics passes and redirect to the project page. They reveal nothing and
  read nothing but the session: the page itself asks Dynamics (the access rule) and creates the
  project on the first visit.
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

from functions.cookies import EMBED_COOKIE, SESSION_COOKIE, set_cookie
from functions.deps import (
    Admin,
    ContainerDep,
    CurrentUser,
    OpportunityId,
    Org,
    RequestLang,
    optional_principal,
)
from functions.i18n import negotiate
from functions.presenters import project_page_view
from functions.presenters_admin import admin_org_view
from functions.rendering import render
from functions.storage_access import keep_access, storage_access_active
from shared.domain.errors import InvalidInput, NotSignedIn
from shared.domain.keys import parse_guid

router = APIRouter(include_in_schema=False)

# Fetch metadata a browser sends with a navigation (https://www.w3.org/TR/fetch-metadata/): only a
# top-level or frame navigation may create a project, never an <img>, a script or a fetch() that a
# foreign page fires with the rep's SameSite=None cookie.
_NAVIGATION_DESTS = {"document", "iframe", "frame"}


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

    def opportunity_id(self) -> str:
        """Validate what Dynamics passed; returns the normalised opportunity id."""
        if self.id is None or self.id.strip() == "":
            # Dynamics passes an empty id for a record that was never saved.
            raise InvalidInput(
                "id is missing (save the opportunity first)", code="record_not_saved"
            )
        opportunity_id = parse_guid(self.id, what="opportunity id")
        if self.typename is not None and self.typename.strip().lower() != "opportunity":
            raise InvalidInput(
                "not an opportunity",
                code="not_an_opportunity",
                params={"typename": self.typename[:40]},
            )
        for name, value in (("userlcid", self.userlcid), ("orglcid", self.orglcid)):
            if value and not (value.isdigit() and 0 < int(value) < 65536):
                raise InvalidInput(
                    f"{name} must be a language code id such as 1033", code="invalid_lcid"
                )
        return opportunity_id


def is_navigation(request: Request) -> bool:
    """A page navigation (or a client that sends no fetch metadata at all)."""
    mode = request.headers.get("sec-fetch-mode")
    dest = request.headers.get("sec-fetch-dest")
    if mode is not None and mode != "navigate":
        return False
    return dest is None or dest in _NAVIGATION_DESTS


async def _open(request: Request, params: LaunchParams, *, page_prefix: str) -> Response:
    request.state.lang = negotiate(
        userlcid=params.userlcid,
        orglcid=params.orglcid,
        accept_language=request.headers.get("accept-language"),
    )
    opportunity_id = params.opportunity_id()
    principal = await optional_principal(request)
    if principal is None:
        raise NotSignedIn("sign-in required")
    org = request.app.state.container.orgs.resolve(principal, params.orgname)
    query = urlencode({"lang": request.state.lang})
    return RedirectResponse(
        f"{page_prefix}/projects/{org.name}/{opportunity_id}?{query}", status_code=303
    )


@router.get("/launch", response_class=HTMLResponse)
async def launch(request: Request, params: Annotated[LaunchParams, Query()]) -> Response:
    """The "Open Cockpit" button (a new tab): to the project page."""
    return await _open(request, params, page_prefix="")


@router.get("/embed", response_class=HTMLResponse)
async def embed(request: Request, params: Annotated[LaunchParams, Query()]) -> Response:
    """The Cockpit tab inside the Dynamics form (a cross-site iframe). Not signed in here means
    the embedded sign-in page (see functions/errors.py), never a redirect to Entra in the frame."""
    return await _open(request, params, page_prefix="/embed")


async def _project_page(
    request: Request,
    container: ContainerDep,
    principal: CurrentUser,
    org: Org,
    opportunity_id: OpportunityId,
    lang: RequestLang,
    *,
    embedded: bool,
) -> Response:
    page = await container.projects_service.open(
        principal=principal, org=org, opportunity_id=opportunity_id, create=is_navigation(request)
    )
    view = project_page_view(
        page,
        principal=principal,
        lang=lang,
        is_admin=container.admin.is_admin(principal),
        embedded=embedded,
    )
    context = dict(view)
    context.update(
        embedded=embedded,
        frame_ancestors=container.settings.frame_ancestors,
        new_tab_url=f"/projects/{org.name}/{opportunity_id}?{urlencode({'lang': lang})}",
    )
    response = render(request, "project.html", context)
    if embedded and storage_access_active(request):
        # Signed in through the first-party cookie the browser sent on the person's grant: keep
        # access for this document and copy the session into the partitioned cookie, as the
        # Storage Access API path does (functions/auth.py, embed_session).
        keep_access(response)
        session_id = request.cookies.get(SESSION_COOKIE)
        if session_id and principal.kind == "session":
            max_age = container.auth.embed_copy_max_age(principal)
            set_cookie(response, EMBED_COOKIE, session_id, max_age=max_age, partitioned=True)
    return response


@router.get("/projects/{org}/{opportunity_id}", response_class=HTMLResponse)
async def project_page(
    request: Request,
    container: ContainerDep,
    principal: CurrentUser,
    org: Org,
    opportunity_id: OpportunityId,
    lang: RequestLang,
) -> Response:
    return await _project_page(
        request, container, principal, org, opportunity_id, lang, embedded=False
    )


@router.get("/embed/projects/{org}/{opportunity_id}", response_class=HTMLResponse)
async def embedded_project_page(
    request: Request,
    container: ContainerDep,
    principal: CurrentUser,
    org: Org,
    opportunity_id: OpportunityId,
    lang: RequestLang,
) -> Response:
    return await _project_page(
        request, container, principal, org, opportunity_id, lang, embedded=True
    )


@router.get("/admin", response_class=HTMLResponse)
async def admin_page(
    request: Request, container: ContainerDep, principal: Admin, lang: RequestLang
) -> Response:
    orgs = []
    predictive: dict[str, tuple[bool, bool | None]] = {}
    for org in container.orgs.of_tenant(principal.tenant_id):
        view = await container.admin.org_view(principal=principal, org=org)
        orgs.append(admin_org_view(view, org_name=org.name, org_url=org.url, lang=lang))
        # The health warning: asked only when the option is on (one metadata request).
        present = (
            await container.predictive.table_present(principal=principal, org=org)
            if view.settings.predictive_score
            else None
        )
        predictive[org.name] = (view.settings.predictive_score, present)
    solutions = await container.qualification.available_solutions(principal=principal)
    return render(
        request,
        "admin.html",
        {"orgs": orgs, "solutions": solutions, "predictive": predictive},
    )


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, container: ContainerDep) -> Response:
    principal = await optional_principal(request)
    is_admin = principal is not None and container.admin.is_admin(principal)
    return render(request, "home.html", {"signed_in": principal is not None, "is_admin": is_admin})
