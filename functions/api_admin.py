"""JSON API for cockpit administrators (app role ``Cockpit.Admin``): orgs, settings, solutions.

The admin role opens these routes; it never opens a project (the access rule asks Dynamics).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from functions.deps import Admin, ContainerDep, Org, RequestLang
from functions.errors import CRM_ANSWERS, problem_responses
from functions.presenters_admin import admin_org_view
from functions.schemas import (
    AdminOrgOut,
    PredictiveSettingIn,
    SettingsIn,
    SettingsOut,
    SolutionPublishedOut,
)
from functions.schemas_admin import EXAMPLE_SOLUTION
from shared.domain.solutions import Solution, parse_solution

router = APIRouter(prefix="/api/admin", tags=["admin"])


class OrgOut(BaseModel):
    name: str
    url: str


@router.get("/orgs", responses=problem_responses(401, 403))
async def admin_orgs(container: ContainerDep, principal: Admin) -> list[OrgOut]:
    """The CRM organisations configured for the admin's tenant."""
    return [OrgOut(name=o.name, url=o.url) for o in container.orgs.of_tenant(principal.tenant_id)]


@router.post(
    "/solutions",
    status_code=201,
    responses=problem_responses(400, 401, 403, 409, 413, 503),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/Solution"},
                    "example": EXAMPLE_SOLUTION,
                }
            },
        }
    },
)
async def publish_solution(
    request: Request, container: ContainerDep, principal: Admin
) -> SolutionPublishedOut:
    """Publish a solution: a new id, or a new version of an existing one (versions only go up).
    The body is validated by the domain, so every problem names its path in the solution."""
    solution = parse_solution(await request.body())
    published = await container.qualification.publish_solution(
        principal=principal, solution=solution
    )
    return SolutionPublishedOut(id=published.id, version=published.version)


@router.get("/orgs/{org}/settings", responses=problem_responses(401, 403, 503))
async def get_settings(
    container: ContainerDep, principal: Admin, org: Org, lang: RequestLang
) -> AdminOrgOut:
    """The org's settings with every candidate target field from live metadata."""
    view = await container.admin.org_view(principal=principal, org=org)
    return admin_org_view(view, org_name=org.name, org_url=org.url, lang=lang)


# Saving reads the field's live metadata from Dynamics as the administrator.
@router.put("/orgs/{org}/settings", responses=problem_responses(*CRM_ANSWERS))
async def put_settings(
    container: ContainerDep, principal: Admin, org: Org, body: SettingsIn
) -> SettingsOut:
    """Re-validates the field against live metadata; refuses a bad choice with the reason."""
    saved = await container.admin.save_settings(
        principal=principal,
        org=org,
        target_field=body.target_field,
        closed_policy=body.closed_policy,
        etag=body.etag,
    )
    return SettingsOut(
        org=saved.org,
        target_field=saved.target_field,
        closed_policy=saved.closed_policy.value,
        etag=saved.etag,
        predictive_score=saved.predictive_score,
    )


@router.put(
    "/orgs/{org}/predictive-score", responses=problem_responses(400, 401, 403, 409, 413, 503)
)
async def put_predictive_score(
    container: ContainerDep, principal: Admin, org: Org, body: PredictiveSettingIn
) -> SettingsOut:
    """Also publish every evaluation to Dynamics' predictive score table (or stop doing so)."""
    saved = await container.predictive.configure(admin=principal, org=org, enabled=body.enabled)
    return SettingsOut(
        org=saved.org,
        target_field=saved.target_field,
        closed_policy=saved.closed_policy.value,
        etag=saved.etag,
        predictive_score=saved.predictive_score,
    )


def solution_schema() -> dict[str, Any]:
    """The solution JSON schema, for the OpenAPI document (the body is parsed by the domain)."""
    return Solution.model_json_schema(ref_template="#/components/schemas/{model}")
