"""JSON API for reps: projects, evaluations, solutions (``/api/...``, in ``/api/openapi.json``).

Every state change needs the session's CSRF token (``X-Cockpit-CSRF``) and our own ``Origin``, or a
bearer token for our API. Every route that reveals or changes a project asks Dynamics first (the
access rule, ``shared/services/access.py``). Errors are RFC 9457 problem details
(``functions/errors.py``).
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from functions.deps import (
    ContainerDep,
    CurrentUser,
    Embedded,
    OpportunityId,
    Org,
    RequestLang,
    Writer,
)
from functions.errors import CRM_ANSWERS, problem_responses
from functions.i18n import t, template
from functions.messages import Lang
from functions.presenters import (
    history_view,
    project_out,
    project_page_view,
    score_view,
    writeback_view,
)
from functions.results import summary_view
from functions.schemas import (
    EvaluationIn,
    EvaluationOut,
    FollowUpIn,
    HistoryRowOut,
    LaunchIn,
    ProjectOut,
    ProjectPageOut,
    SolutionChoiceIn,
    SolutionRefOut,
    TaskOut,
    WriteAgainOut,
)
from shared.domain.keys import parse_guid
from shared.domain.solutions import Solution
from shared.services.followups import FollowUpWording
from shared.services.predictive import PublishOutcome

router = APIRouter(prefix="/api", tags=["projects"])

# What a project route may answer besides success and the edge's own answers (problem+json):
# Dynamics decides access and may refuse; no project is a 404.
_READ = problem_responses(403, 404, 422, 502)
_CHANGE = problem_responses(*CRM_ANSWERS)


@router.post("/launch", responses=_CHANGE)
async def launch(container: ContainerDep, principal: Writer, body: LaunchIn) -> ProjectOut:
    """Create the opportunity's project on first use, or open it (needs read access in Dynamics)."""
    project = await container.projects_service.launch(
        principal=principal,
        org=container.orgs.resolve(principal, body.org),
        opportunity_id=parse_guid(body.opportunity_id, what="opportunity id"),
    )
    return project_out(project)


@router.get("/projects/{org}/{opportunity_id}", responses=_READ)
async def get_project(
    container: ContainerDep,
    principal: CurrentUser,
    org: Org,
    opportunity_id: OpportunityId,
    lang: RequestLang,
) -> ProjectPageOut:
    """The project page's data: live opportunity, solution, latest score, write-back, history."""
    page = await container.projects_service.open(
        principal=principal, org=org, opportunity_id=opportunity_id, create=False
    )
    return project_page_view(
        page, principal=principal, lang=lang, is_admin=container.admin.is_admin(principal)
    )


@router.delete("/projects/{org}/{opportunity_id}", status_code=204, responses=_CHANGE)
async def delete_project(
    container: ContainerDep, principal: Writer, org: Org, opportunity_id: OpportunityId
) -> Response:
    """Remove the cockpit project and its history (needs write access in Dynamics)."""
    await container.projects_service.delete(
        principal=principal, org=org, opportunity_id=opportunity_id
    )
    return Response(status_code=204)


@router.put("/projects/{org}/{opportunity_id}/solution", responses=_CHANGE)
async def assign_solution(
    container: ContainerDep,
    principal: Writer,
    org: Org,
    opportunity_id: OpportunityId,
    body: SolutionChoiceIn,
) -> ProjectOut:
    """Assign the project's solution (first choice: any writer; afterwards: admins who may write)."""
    project = await container.qualification.assign_solution(
        principal=principal, org=org, opportunity_id=opportunity_id, solution_id=body.solution_id
    )
    return project_out(project)


@router.post("/projects/{org}/{opportunity_id}/evaluations", status_code=201, responses=_CHANGE)
async def evaluate(
    container: ContainerDep,
    principal: Writer,
    org: Org,
    opportunity_id: OpportunityId,
    body: EvaluationIn,
    lang: RequestLang,
    embedded: Embedded,
) -> EvaluationOut:
    """Score the answers, keep the evaluation, write the probability to Dynamics as the caller."""
    result = await container.qualification.evaluate(
        principal=principal,
        org=org,
        opportunity_id=opportunity_id,
        answers=body.answers,
        solution_version=body.solution_version,
    )
    solution = result.solution
    target = await container.qualification.target_info(principal=principal, org=org)
    writeback = writeback_view(
        result.evaluation.writeback, lang=lang, embedded=embedded, target=target
    )
    return EvaluationOut(
        evaluation_id=result.evaluation.evaluation_id,
        opportunity_id=opportunity_id,
        solution=SolutionRefOut(id=solution.id, version=solution.version),
        answers=result.evaluation.answers,
        previous=str(result.previous) if result.previous is not None else None,
        score=score_view(result.score, solution, lang=lang, previous=result.previous),
        writeback=writeback,
        summary=summary_view(
            score=result.score,
            solution=solution,
            latest=result.evaluation,
            previous=result.previous,
            last_by=t("evaluator_you", lang),
            writeback_status=writeback.status,
            answered=result.score.answered,
            total=result.score.total,
            lang=lang,
        ),
        predictive=_predictive_text(
            result.predictive, solution.grades.grade(result.score.probability), lang
        ),
    )


def _predictive_text(outcome: PublishOutcome | None, grade: str, lang: Lang) -> str | None:
    if outcome is None:
        return None
    if outcome.status == "published":
        return t("ps_published", lang, {"grade": grade})
    if outcome.status == "no_table":
        return t("ps_no_table", lang)
    return t("ps_failed", lang, {"reason": t(outcome.code or "crm_error", lang)})


@router.get("/projects/{org}/{opportunity_id}/evaluations", responses=_READ)
async def history(
    container: ContainerDep,
    principal: CurrentUser,
    org: Org,
    opportunity_id: OpportunityId,
    lang: RequestLang,
) -> list[HistoryRowOut]:
    """The project's evaluations, newest first (needs read access in Dynamics)."""
    page = await container.projects_service.history(
        principal=principal, org=org, opportunity_id=opportunity_id
    )
    return history_view(
        page.evaluations,
        principal=principal,
        lang=lang,
        names=page.names,
        solutions=page.solutions,
    )


@router.post("/projects/{org}/{opportunity_id}/writeback", responses=_CHANGE)
async def write_again(
    container: ContainerDep,
    principal: Writer,
    org: Org,
    opportunity_id: OpportunityId,
    lang: RequestLang,
    embedded: Embedded,
) -> WriteAgainOut:
    """Write the newest evaluation's probability to Dynamics again, as the caller."""
    evaluation = await container.qualification.write_again(
        principal=principal, org=org, opportunity_id=opportunity_id
    )
    target = await container.qualification.target_info(principal=principal, org=org)
    return WriteAgainOut(
        writeback=writeback_view(evaluation.writeback, lang=lang, embedded=embedded, target=target)
    )


@router.post("/projects/{org}/{opportunity_id}/tasks", status_code=201, responses=_CHANGE)
async def create_follow_up(
    container: ContainerDep,
    principal: Writer,
    org: Org,
    opportunity_id: OpportunityId,
    body: FollowUpIn,
    lang: RequestLang,
) -> TaskOut:
    """Create a task in Dynamics for a criterion's next step: regarding the opportunity, for its
    owner, as the caller (needs write access in Dynamics)."""
    created = await container.followups.create_task(
        principal=principal,
        org=org,
        opportunity_id=opportunity_id,
        criterion_id=body.criterion_id,
        wording=FollowUpWording(
            subject=template("task_subject", lang),
            description=template("task_description", lang),
        ),
    )
    return TaskOut(
        task_id=created.task_id,
        subject=created.subject,
        url=created.url,
        message=t("task_created", lang, {"subject": created.subject}),
    )


@router.get("/solutions", responses=problem_responses(401, 503))
async def solutions(container: ContainerDep, principal: CurrentUser) -> list[Solution]:
    """The qualification models this tenant can assign (newest version of each)."""
    return await container.qualification.available_solutions(principal=principal)
