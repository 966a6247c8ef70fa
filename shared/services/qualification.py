"""Qualification: the solutions a project is scored with, and evaluating it.

Changes need write access to the opportunity in Dynamics (``shared/services/access.py``), asked
before the project is read. An evaluation is stored with the intent to write it (outbox first),
then written as the user; the outcome never loses the evaluation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from shared.domain.crm import FieldInfo
from shared.domain.errors import (
    CockpitError,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    StateConflict,
)
from shared.domain.evaluations import Evaluation, WritebackOutcome, WritebackStatus
from shared.domain.identity import Principal
from shared.domain.my_projects import MyProject
from shared.domain.orgs import CrmOrg
from shared.domain.projects import Project, ProjectKey
from shared.domain.scoring import Score, Trend, evaluate, trend
from shared.domain.solutions import Solution
from shared.ports import (
    Clock,
    CrmCallers,
    CrmGateway,
    EvaluationStore,
    MyProjectsStore,
    OrgSettingsStore,
    ProjectStore,
    SolutionStore,
)
from shared.services.access import AccessPolicy
from shared.services.predictive import PredictiveScoreService, PublishOutcome
from shared.services.projects import project_key
from shared.services.writeback import WritebackService, new_evaluation_id


@dataclass(frozen=True)
class EvaluationResult:
    evaluation: Evaluation
    score: Score
    solution: Solution  # the version it was scored against (for the explanation)
    previous: Decimal | None
    trend: Trend = "new"  # against the previous evaluation
    # Dynamics' score widget: None when the org does not publish there.
    predictive: PublishOutcome | None = None


class QualificationService:
    def __init__(
        self,
        *,
        access: AccessPolicy,
        projects: ProjectStore,
        evaluations: EvaluationStore,
        solutions: SolutionStore,
        writeback: WritebackService,
        clock: Clock,
        admin_role: str,
        org_settings: OrgSettingsStore,
        my_projects: MyProjectsStore,
        predictive: PredictiveScoreService,
        crm: CrmGateway,
        callers: CrmCallers,
    ) -> None:
        self._crm = crm
        self._callers = callers
        self._access = access
        self._projects = projects
        self._evaluations = evaluations
        self._solutions = solutions
        self._writeback = writeback
        self._clock = clock
        self._admin_role = admin_role
        self._org_settings = org_settings
        self._my_projects = my_projects
        self._predictive = predictive

    # --- solutions -------------------------------------------------------------------------------
    async def available_solutions(self, *, principal: Principal) -> list[Solution]:
        return await self._solutions.available(tenant_id=principal.tenant_id)

    async def assign_solution(
        self, *, principal: Principal, org: CrmOrg, opportunity_id: str, solution_id: str
    ) -> Project:
        """The first choice is any writer's; changing an assigned solution is also an admin's
        (history keeps the version each evaluation used)."""
        key, project = await self._writable_project(principal, org, opportunity_id)
        if project.solution is not None and not principal.has_role(self._admin_role):
            raise Forbidden(
                "a solution is already assigned; only admins may change it", code="admin_only"
            )
        available = {s.id: s for s in await self._solutions.available(tenant_id=key.tenant_id)}
        solution = available.get(solution_id)
        if solution is None:
            raise NotFound(f"no solution {solution_id!r}", code="solution_not_found")
        if project.solution == solution.ref:
            return project
        return await self._projects.update(project.with_solution(solution.ref))

    async def publish_solution(self, *, principal: Principal, solution: Solution) -> Solution:
        """A new version; versions only go up, and a published one never changes."""
        newest = {
            s.id: s for s in await self._solutions.available(tenant_id=principal.tenant_id)
        }.get(solution.id)
        if newest is not None and solution.version <= newest.version:
            raise Conflict(
                f"version must be greater than {newest.version}",
                code="version_not_newer",
                params={"version": newest.version},
            )
        await self._solutions.publish(
            tenant_id=principal.tenant_id,
            solution=solution,
            by=principal.object_id,
            at=self._clock.now(),
        )
        return solution

    # --- evaluate --------------------------------------------------------------------------------
    async def evaluate(
        self,
        *,
        principal: Principal,
        org: CrmOrg,
        opportunity_id: str,
        answers: Mapping[str, str],
        solution_version: int | None = None,
    ) -> EvaluationResult:
        """Validate the answers, compute the probability, keep the evaluation, then write it to the
        configured CRM field as the user."""
        key, project = await self._writable_project(principal, org, opportunity_id)
        if project.solution is None:
            raise StateConflict("choose a solution first", code="no_solution")
        if solution_version is not None and solution_version != project.solution.version:
            raise Conflict("the project's solution changed", code="solution_changed")
        solution = await self._solutions.get(
            tenant_id=key.tenant_id,
            solution_id=project.solution.id,
            version=project.solution.version,
        )
        try:
            score = evaluate(solution, answers)  # refused before anything is written
        except InvalidInput as err:
            # Well-formed answers that name no criterion or option of the project's solution do not
            # fit what is stored now (that solution may have changed since the page was loaded).
            raise StateConflict(err.detail, code=err.code, params=err.params) from err
        previous = await self._evaluations.latest(key, limit=1)
        evaluation = Evaluation(
            evaluation_id=new_evaluation_id(),
            solution=solution.ref,
            answers={k: answers[k] for k in sorted(answers)},
            probability=score.probability,
            evaluated_at=self._clock.now(),
            evaluator=principal.object_id,
            writeback=WritebackOutcome(status=WritebackStatus.PENDING, at=self._clock.now()),
        )
        item = await self._writeback.remember_intent(key, evaluation.evaluation_id)
        stored = await self._evaluations.append(key, evaluation)
        delivered = await self._writeback.deliver(
            principal=principal, org=org, key=key, evaluation=stored, item=item
        )
        before = previous[0].probability if previous else None
        direction = trend(before, score.probability)
        published = await self._after_evaluation(
            principal, org, project=project, evaluation=stored, solution=solution, trend=direction
        )
        return EvaluationResult(
            evaluation=delivered,
            solution=solution,
            score=score,
            previous=before,
            trend=direction,
            predictive=published,
        )

    async def _after_evaluation(
        self,
        principal: Principal,
        org: CrmOrg,
        *,
        project: Project,
        evaluation: Evaluation,
        solution: Solution,
        trend: Trend,
    ) -> PublishOutcome | None:
        """The evaluator's "My cockpit" entry, and Dynamics' score widget when the org wants it."""
        key = project.key
        await self._my_projects.record(
            MyProject(
                key=key,
                user=principal.object_id,
                name=project.name,
                created=False,
                evaluated=True,
                last_activity=evaluation.evaluated_at,
            )
        )
        if not (
            await self._org_settings.get(tenant_id=key.tenant_id, org=key.org)
        ).predictive_score:
            return None
        return await self._predictive.publish(
            org=org,
            opportunity_id=key.opportunity_id,
            probability=evaluation.probability,
            trend=trend,
            solution=solution,
        )

    async def write_again(
        self, *, principal: Principal, org: CrmOrg, opportunity_id: str
    ) -> Evaluation:
        """Write the newest evaluation's probability again, as this user."""
        key, _ = await self._writable_project(principal, org, opportunity_id)
        history = await self._evaluations.latest(key, limit=1)
        if not history:
            raise NotFound("nothing to write yet", code="nothing_to_write")
        item = await self._writeback.remember_intent(key, history[0].evaluation_id)
        return await self._writeback.deliver(
            principal=principal, org=org, key=key, evaluation=history[0], item=item
        )

    async def target_info(self, *, principal: Principal, org: CrmOrg) -> FieldInfo | None:
        """The target column's metadata for naming it (the gateway's cache, warm after a
        write-back: no request then); None when Dynamics cannot say."""
        settings = await self._org_settings.get(tenant_id=principal.tenant_id, org=org.name)
        try:
            return await self._crm.field_info(
                org=org, field=settings.target_field, caller=self._callers.caller(principal, org)
            )
        except CockpitError:
            return None

    async def _writable_project(
        self, principal: Principal, org: CrmOrg, opportunity_id: str
    ) -> tuple[ProjectKey, Project]:
        key = project_key(principal, org, opportunity_id)
        await self._access.require_write(
            principal=principal, org=org, opportunity_id=key.opportunity_id
        )
        project = await self._projects.get(key)
        if project is None:
            raise NotFound("no project for this opportunity", code="project_not_found")
        return key, project
