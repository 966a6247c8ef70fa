"""Follow-ups: a task in Dynamics for a weak criterion's next step, regarding the opportunity and
for its owner, created as the signed-in user (their token), so it appears in the opportunity's
timeline and Dynamics applies the user's own privileges (create task, append to the opportunity,
assign to the owner).

Creating one changes the CRM on the project's behalf, so it needs write access to the opportunity
(the access rule, ``shared/services/access.py``), asked before the project is read.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.domain.crm import FollowUpTask
from shared.domain.errors import NotFound, StateConflict
from shared.domain.identity import Principal
from shared.domain.orgs import CrmOrg
from shared.ports import CrmCallers, CrmGateway, ProjectStore, SolutionStore
from shared.services.access import AccessPolicy
from shared.services.projects import project_key


@dataclass(frozen=True)
class FollowUpWording:
    """The task's text in the user's language; ``{question}``, ``{guidance}`` and ``{project}``
    are filled in."""

    subject: str
    description: str


@dataclass(frozen=True)
class CreatedTask:
    task_id: str
    subject: str
    url: str  # the task's form in Dynamics


class FollowUpService:
    def __init__(
        self,
        *,
        access: AccessPolicy,
        projects: ProjectStore,
        solutions: SolutionStore,
        crm: CrmGateway,
        callers: CrmCallers,
        interactive_budget_seconds: float | None = None,
    ) -> None:
        self._access = access
        self._projects = projects
        self._solutions = solutions
        self._crm = crm
        self._callers = callers
        self._budget = interactive_budget_seconds

    async def create_task(
        self,
        *,
        principal: Principal,
        org: CrmOrg,
        opportunity_id: str,
        criterion_id: str,
        wording: FollowUpWording,
    ) -> CreatedTask:
        """One task for the criterion's next step. Costs: the write check (remembered for a
        minute), one read of the opportunity (its owner) and one create."""
        key = project_key(principal, org, opportunity_id)
        await self._access.require_write(
            principal=principal, org=org, opportunity_id=key.opportunity_id
        )
        project = await self._projects.get(key)
        if project is None:
            raise NotFound("no project for this opportunity", code="project_not_found")
        if project.solution is None:
            raise StateConflict("choose a solution first", code="no_solution")
        solution = await self._solutions.get(
            tenant_id=key.tenant_id,
            solution_id=project.solution.id,
            version=project.solution.version,
        )
        criterion = solution.criterion(criterion_id)
        if criterion is None:
            raise StateConflict(
                "not a criterion of this project's solution",
                code="invalid_answer",
                params={"criterion": criterion_id[:64]},
            )
        opportunity = await self._access.read_opportunity(
            principal=principal, org=org, opportunity_id=key.opportunity_id
        )
        if opportunity.owner_id is None:
            raise NotFound("the opportunity has no owner to give the task to", code="no_owner")
        values = {
            "question": criterion.question,
            "guidance": criterion.guidance or criterion.question,
            "project": project.name,
        }
        task = FollowUpTask(
            opportunity_id=key.opportunity_id,
            subject=wording.subject.format_map(values),
            description=wording.description.format_map(values),
            owner_id=opportunity.owner_id,
            owner_type=opportunity.owner_type or "systemuser",
        )
        caller = self._callers.caller(principal, org, budget_seconds=self._budget)
        task_id = await self._crm.create_task(org=org, task=task, caller=caller)
        return CreatedTask(
            task_id=task_id,
            subject=task.subject,
            # Dynamics' record URL (open-forms-views-dialogs-reports-url).
            url=f"{org.url}/main.aspx?etn=task&id={task_id}&pagetype=entityrecord",
        )
