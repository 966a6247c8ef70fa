"""JSON API behind the pages: projects, evaluations, solutions, admin settings.

Every state change needs the session's CSRF token (``X-Cockpit-CSRF``) and our own ``Origin``,
or a bearer token for our API. Errors are RFC 9457 problem details with a readable ``detail``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from functions.deps import container_of
from functions.pages import request_lang
from functions.security import Admin, CurrentUser, Writer
from functions.views import (
    admin_org_view,
    history_view,
    project_view,
    score_view,
    writeback_view,
)
from shared.domain.identity import Principal
from shared.domain.keys import parse_guid
from shared.domain.solutions import parse_solution
from shared.domain.writeback import ClosedPolicy

router = APIRouter(prefix="/api", tags=["cockpit"])

OrgName = Annotated[str, Path(min_length=1, max_length=63, pattern=r"^[A-Za-z0-9][A-Za-z0-9-]*$")]
OpportunityId = Annotated[str, Path(min_length=32, max_length=38)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LaunchIn(_Strict):
    org: str = Field(min_length=1, max_length=63)
    opportunity_id: str = Field(min_length=32, max_length=38)


class ProjectOut(BaseModel):
    project_id: str
    name: str
    org: str
    opportunity_id: str
    solution_id: str | None
    solution_version: int | None
    url: str


class SolutionIn(_Strict):
    solution_id: str = Field(min_length=1, max_length=64)


class EvaluationIn(_Strict):
    answers: dict[str, str] = Field(max_length=100)
    solution_version: int | None = Field(default=None, ge=1)


class SettingsIn(_Strict):
    target_field: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9_]+$")
    closed_policy: ClosedPolicy
    etag: str | None = Field(default=None, max_length=200)


def _project_out(project: Any) -> ProjectOut:
    return ProjectOut(
        project_id=project.project_id,
        name=project.name,
        org=project.key.org,
        opportunity_id=project.key.opportunity_id,
        solution_id=project.solution.id if project.solution else None,
        solution_version=project.solution.version if project.solution else None,
        url=f"/projects/{project.key.org}/{project.key.opportunity_id}",
    )


def _is_admin(request: Request, principal: Principal) -> bool:
    return principal.has_role(container_of(request).settings.admin_role)


@router.post("/launch", response_model=ProjectOut)
async def launch(request: Request, principal: Writer, body: LaunchIn) -> ProjectOut:
    """Create the opportunity's project on first use, or open it (idempotent)."""
    cockpit = container_of(request).cockpit
    org = cockpit.org_for(principal, body.org)
    project = await cockpit.launch(
        principal=principal,
        org=org,
        opportunity_id=parse_guid(body.opportunity_id, what="opportunity id"),
    )
    return _project_out(project)


@router.get("/projects/{org}/{opportunity_id}")
async def get_project(
    request: Request, principal: CurrentUser, org: OrgName, opportunity_id: OpportunityId
) -> dict[str, Any]:
    """The project page's data: live opportunity, solution, latest score, write-back, history."""
    container = container_of(request)
    cockpit = container.cockpit
    crm_org = cockpit.org_for(principal, org)
    view = await cockpit.view(
        principal=principal,
        org=crm_org,
        opportunity_id=parse_guid(opportunity_id, what="opportunity id"),
    )
    data = project_view(
        view,
        principal=principal,
        lang=request_lang(request),
        is_admin=_is_admin(request, principal),
    )
    data["project"].update(_project_out(view.project).model_dump())
    return data


@router.put("/projects/{org}/{opportunity_id}/solution", response_model=ProjectOut)
async def assign_solution(
    request: Request,
    principal: Writer,
    org: OrgName,
    opportunity_id: OpportunityId,
    body: SolutionIn,
) -> ProjectOut:
    """Assign the project's solution (first open: any rep; afterwards: admins only)."""
    cockpit = container_of(request).cockpit
    project = await cockpit.assign_solution(
        principal=principal,
        org=cockpit.org_for(principal, org),
        opportunity_id=parse_guid(opportunity_id, what="opportunity id"),
        solution_id=body.solution_id,
        is_admin=_is_admin(request, principal),
    )
    return _project_out(project)


@router.post("/projects/{org}/{opportunity_id}/evaluations", status_code=201)
async def evaluate(
    request: Request,
    principal: Writer,
    org: OrgName,
    opportunity_id: OpportunityId,
    body: EvaluationIn,
) -> dict[str, Any]:
    """Score the answers, keep the evaluation, write the probability to Dynamics as the caller."""
    cockpit = container_of(request).cockpit
    crm_org = cockpit.org_for(principal, org)
    opp = parse_guid(opportunity_id, what="opportunity id")
    result = await cockpit.evaluate(
        principal=principal,
        org=crm_org,
        opportunity_id=opp,
        answers=body.answers,
        solution_version=body.solution_version,
    )
    lang = request_lang(request)
    solution = result.solution
    embedded = request.headers.get("x-cockpit-embedded") == "1"
    return {
        "evaluation_id": result.evaluation.evaluation_id,
        "solution": {"id": solution.id, "version": solution.version},
        "answers": result.evaluation.answers,
        "previous": str(result.previous) if result.previous is not None else None,
        "score": score_view(result.score, solution, lang=lang),
        "writeback": writeback_view(result.evaluation.writeback, lang=lang, embedded=embedded),
        "opportunity_id": opp,
    }


@router.get("/projects/{org}/{opportunity_id}/evaluations")
async def history(
    request: Request, principal: CurrentUser, org: OrgName, opportunity_id: OpportunityId
) -> list[dict[str, Any]]:
    """The project's evaluations, newest first (no CRM call)."""
    cockpit = container_of(request).cockpit
    evaluations = await cockpit.history(
        principal=principal,
        org=cockpit.org_for(principal, org),
        opportunity_id=parse_guid(opportunity_id, what="opportunity id"),
    )
    return history_view(evaluations, principal=principal, lang=request_lang(request))


@router.post("/projects/{org}/{opportunity_id}/writeback")
async def write_again(
    request: Request, principal: Writer, org: OrgName, opportunity_id: OpportunityId
) -> dict[str, Any]:
    """Write the newest evaluation's probability to Dynamics again."""
    cockpit = container_of(request).cockpit
    evaluation = await cockpit.retry_writeback(
        principal=principal,
        org=cockpit.org_for(principal, org),
        opportunity_id=parse_guid(opportunity_id, what="opportunity id"),
    )
    embedded = request.headers.get("x-cockpit-embedded") == "1"
    return {
        "writeback": writeback_view(
            evaluation.writeback, lang=request_lang(request), embedded=embedded
        )
    }


@router.get("/solutions")
async def solutions(request: Request, principal: CurrentUser) -> list[dict[str, Any]]:
    """The qualification models this tenant can assign (newest version of each)."""
    available = await container_of(request).cockpit.available_solutions(principal=principal)
    return [s.model_dump(mode="json") for s in available]


@router.post("/admin/solutions", status_code=201, tags=["admin"])
async def publish_solution(
    request: Request, principal: Admin, body: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """Admins publish a solution (a new id, or a new version of an existing one)."""
    solution = parse_solution(body)
    published = await container_of(request).cockpit.publish_solution(
        principal=principal, solution=solution
    )
    return {"id": published.id, "version": published.version}


@router.get("/admin/orgs/{org}/settings", tags=["admin"])
async def get_settings(request: Request, principal: Admin, org: OrgName) -> dict[str, Any]:
    """The org's settings with every candidate target field from live metadata."""
    cockpit = container_of(request).cockpit
    crm_org = cockpit.org_for(principal, org)
    view = await cockpit.admin_view(principal=principal, org=crm_org)
    return admin_org_view(view, org=crm_org, lang=request_lang(request))


@router.put("/admin/orgs/{org}/settings", tags=["admin"])
async def put_settings(
    request: Request, principal: Admin, org: OrgName, body: SettingsIn
) -> dict[str, Any]:
    """Re-validates the field against live metadata; refuses a bad choice with the reason."""
    cockpit = container_of(request).cockpit
    saved = await cockpit.save_settings(
        principal=principal,
        org=cockpit.org_for(principal, org),
        target_field=body.target_field,
        closed_policy=body.closed_policy,
        etag=body.etag,
    )
    return {
        "org": saved.org,
        "target_field": saved.target_field,
        "closed_policy": saved.closed_policy.value,
        "etag": saved.etag,
    }
