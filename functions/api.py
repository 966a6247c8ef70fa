"""JSON API: who you are."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from functions.deps import ContainerDep, CurrentUser
from functions.errors import problem_responses

router = APIRouter(prefix="/api", tags=["identity"])


class Me(BaseModel):
    kind: str
    tenant_id: str
    object_id: str
    roles: list[str]
    is_admin: bool
    csrf_token: str | None = None


@router.get("/me", responses=problem_responses(401, 503))
async def me(container: ContainerDep, principal: CurrentUser) -> Me:
    """Who the cockpit thinks you are. Session callers also get their CSRF token here."""
    return Me(
        kind=principal.kind,
        tenant_id=principal.tenant_id,
        object_id=principal.object_id,
        roles=sorted(principal.roles),
        is_admin=container.admin.is_admin(principal),
        csrf_token=principal.csrf_token,
    )
