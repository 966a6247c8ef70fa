"""JSON API: identity and admin basics. (Projects, evaluations, solutions and settings live in
their own routers.)"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from functions.deps import container_of
from functions.security import Admin, CurrentUser

router = APIRouter(prefix="/api", tags=["identity"])


class Me(BaseModel):
    kind: str
    tenant_id: str
    object_id: str
    roles: list[str]
    is_admin: bool
    csrf_token: str | None = None


class OrgOut(BaseModel):
    name: str
    url: str


@router.get("/me", response_model=Me)
async def me(request: Request, principal: CurrentUser) -> Me:
    """Who the cockpit thinks you are. Session callers also get their CSRF token here."""
    settings = container_of(request).settings
    return Me(
        kind=principal.kind,
        tenant_id=principal.tenant_id,
        object_id=principal.object_id,
        roles=sorted(principal.roles),
        is_admin=principal.has_role(settings.admin_role),
        csrf_token=principal.csrf_token,
    )


@router.get("/admin/orgs", response_model=list[OrgOut], tags=["admin"])
async def admin_orgs(request: Request, principal: Admin) -> list[OrgOut]:
    """Admins only: the CRM organisations configured for the admin's tenant."""
    settings = container_of(request).settings
    return [
        OrgOut(name=o.name, url=o.url) for o in settings.orgs if o.tenant_id == principal.tenant_id
    ]
