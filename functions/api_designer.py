"""JSON API of the solution designer (``/api/admin/solutions…``, app role ``Cockpit.Admin``):
solutions and versions, drafts, the live preview, publishing, import and export, moving projects.

Moving projects changes projects, so Dynamics decides it per project as the administrator (the
access rule); everything else here is the model, which is the administrator's to change.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import JSONResponse

from functions.deps import Admin, ContainerDep, Org, RequestLang
from functions.errors import problem_responses
from functions.presenters_admin import (
    draft_out,
    family_out,
    move_out,
    preview_out,
    solution_version_out,
)
from functions.schemas_admin import (
    EXAMPLE_SOLUTION,
    DraftOut,
    DraftSaveIn,
    DraftStartIn,
    MoveCountsOut,
    MoveIn,
    MoveOut,
    PreviewIn,
    PreviewOut,
    PublishedOut,
    PublishIn,
    SolutionFamilyOut,
    SolutionVersionOut,
)
from shared.domain.designer import SolutionDraft, from_solution, validate_draft
from shared.domain.errors import StateConflict
from shared.domain.solution_rules import ID_PATTERN
from shared.domain.solutions import MAX_VERSION

router = APIRouter(prefix="/api/admin", tags=["admin: solutions"])

SolutionIdPath = Annotated[
    str, Path(min_length=1, max_length=64, pattern=ID_PATTERN, examples=["b2b-qualification"])
]
VersionPath = Annotated[int, Path(ge=1, le=MAX_VERSION, examples=[1])]
_READ = problem_responses(400, 401, 403, 404, 503)
_DRAFT_KEY = {
    "minLength": 1,
    "allOf": [{"pattern": r"\S"}, {"pattern": r"^[^/\\#?\x00-\x1f\x7f-\x9f]*$"}],
}
_ATTACHMENT = {
    "description": "attachment, with the file name to save it as",
    "required": True,
    "schema": {"type": "string"},
}
_CHANGE = problem_responses(400, 401, 403, 404, 409, 413, 503)


@router.get("/solutions", responses=_READ)
async def list_solutions(
    container: ContainerDep, principal: Admin, lang: RequestLang
) -> list[SolutionFamilyOut]:
    """Every solution with its versions (who published each, when) and its draft, if any."""
    return [family_out(f, lang) for f in await container.designer.families(principal=principal)]


@router.get("/solutions/{solution_id}/versions/{version}", responses=_READ)
async def get_version(
    container: ContainerDep,
    principal: Admin,
    solution_id: SolutionIdPath,
    version: VersionPath,
    lang: RequestLang,
) -> SolutionVersionOut:
    """One immutable version with its grade bands."""
    found, extras = await container.designer.version(
        principal=principal, solution_id=solution_id, version=version
    )
    return solution_version_out(found, extras, lang)


@router.get(
    "/solutions/{solution_id}/versions/{version}/export",
    responses={
        **_READ,
        200: {
            "description": "The version as a draft file.",
            "headers": {"Content-Disposition": _ATTACHMENT},
        },
    },
    response_model=SolutionDraft,
)
async def export_version(
    container: ContainerDep, principal: Admin, solution_id: SolutionIdPath, version: VersionPath
) -> Response:
    """The version as a draft file (both languages, grade bands): import it anywhere."""
    found, extras = await container.designer.version(
        principal=principal, solution_id=solution_id, version=version
    )
    draft = from_solution(
        found.solution,
        other=extras.other_texts if extras else None,
        bands=list(extras.grade_bands) if extras else None,
    )
    return JSONResponse(
        draft.model_dump(mode="json"),
        headers={"Content-Disposition": f'attachment; filename="{solution_id}-v{version}.json"'},
    )


@router.post("/solutions/drafts", status_code=201, responses=_CHANGE)
async def start_draft(
    container: ContainerDep, principal: Admin, body: DraftStartIn, lang: RequestLang
) -> DraftOut:
    """A draft of a new solution, or of a published version (an existing draft is returned)."""
    stored = await container.designer.start_draft(
        principal=principal,
        solution_id=body.solution_id,
        language=body.language,
        from_version=body.from_version,
    )
    return draft_out(stored, validate_draft(stored.draft), lang)


@router.get("/solutions/{solution_id}/draft", responses=_READ)
async def get_draft(
    container: ContainerDep, principal: Admin, solution_id: SolutionIdPath, lang: RequestLang
) -> DraftOut:
    stored = await container.designer.draft(principal=principal, solution_id=solution_id)
    return draft_out(stored, validate_draft(stored.draft), lang)


@router.put("/solutions/{solution_id}/draft", responses=_CHANGE)
async def save_draft(
    container: ContainerDep,
    principal: Admin,
    solution_id: SolutionIdPath,
    body: DraftSaveIn,
    lang: RequestLang,
) -> DraftOut:
    """Keep the draft as typed; the answer lists every problem with the field it belongs to."""
    if body.draft.id != solution_id:
        # A representation inconsistent with its target resource (RFC 9110, 9.3.4 PUT): 409.
        raise StateConflict("the draft's id does not match the address", code="draft_id_mismatch")
    stored, problems = await container.designer.save_draft(
        principal=principal, draft=body.draft, etag=body.etag
    )
    return draft_out(stored, problems, lang)


@router.delete("/solutions/{solution_id}/draft", status_code=204, responses=_CHANGE)
async def delete_draft(
    container: ContainerDep, principal: Admin, solution_id: SolutionIdPath
) -> Response:
    await container.designer.delete_draft(principal=principal, solution_id=solution_id)
    return Response(status_code=204)


@router.post("/designer/preview", responses=problem_responses(400, 401, 403, 413))
async def preview(
    container: ContainerDep, principal: Admin, body: PreviewIn, lang: RequestLang
) -> PreviewOut:
    """The probability these answers get on the draft as it stands (production's scoring)."""
    result = container.designer.preview(principal=principal, draft=body.draft, answers=body.answers)
    return preview_out(result, lang)


@router.post("/solutions/{solution_id}/draft/publish", status_code=201, responses=_CHANGE)
async def publish(
    container: ContainerDep, principal: Admin, solution_id: SolutionIdPath, body: PublishIn
) -> PublishedOut:
    """The draft becomes the next immutable version."""
    solution = await container.designer.publish(
        principal=principal, solution_id=solution_id, etag=body.etag
    )
    return PublishedOut(
        id=solution.id,
        version=solution.version,
        url=f"/admin/solutions/{solution.id}/versions/{solution.version}",
    )


@router.post(
    "/solutions/import",
    status_code=201,
    responses=_CHANGE,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "anyOf": [
                            {"$ref": "#/components/schemas/Solution"},
                            {
                                "allOf": [
                                    {"$ref": "#/components/schemas/SolutionDraft-Input"},
                                    # stored under its id, so an imported draft needs one
                                    # that can be a storage key (shared/domain/keys.py)
                                    {
                                        "properties": {"id": _DRAFT_KEY},
                                        "required": ["id"],
                                    },
                                ]
                            },
                        ]
                    },
                    "example": EXAMPLE_SOLUTION,
                }
            },
        }
    },
)
async def import_draft(
    request: Request, container: ContainerDep, principal: Admin, lang: RequestLang
) -> DraftOut:
    """A draft from a file: an exported draft or any solution's JSON."""
    stored = await container.designer.import_draft(principal=principal, raw=await request.body())
    return draft_out(stored, validate_draft(stored.draft), lang)


@router.get("/orgs/{org}/solutions/{solution_id}/projects", responses=_READ)
async def projects_per_version(
    container: ContainerDep, principal: Admin, org: Org, solution_id: SolutionIdPath
) -> MoveCountsOut:
    """How many of the org's projects use each version (never which)."""
    counts = await container.moves.counts(principal=principal, org=org, solution_id=solution_id)
    return MoveCountsOut(
        solution_id=solution_id,
        projects_per_version={str(v): n for v, n in sorted(counts.items())},
    )


@router.post(
    "/orgs/{org}/solutions/{solution_id}/move", responses=_CHANGE | problem_responses(422, 502)
)
async def move_projects(
    container: ContainerDep,
    principal: Admin,
    org: Org,
    solution_id: SolutionIdPath,
    body: MoveIn,
    lang: RequestLang,
) -> MoveOut:
    """Move the org's projects on older versions to ``to_version``: answers kept where criteria
    match, re-scored, written to Dynamics; Dynamics decides per project."""
    result = await container.moves.move(
        principal=principal, org=org, solution_id=solution_id, to_version=body.to_version
    )
    return move_out(result, lang)
