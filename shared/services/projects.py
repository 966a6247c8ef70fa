"""Projects: open (creating on the first launch), the project page's data, history, delete.

Every method asks the access rule first (``shared/services/access.py``) and only then touches the
project, so a refusal never depends on whether a project exists. The page's one opportunity read is
both the data it shows and the read check.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from shared.domain.access import Access
from shared.domain.crm import FieldInfo, Opportunity
from shared.domain.errors import CockpitError, CrmBusy, CrmUnavailable, NotFound
from shared.domain.evaluations import Evaluation
from shared.domain.identity import Principal
from shared.domain.my_projects import MyProject
from shared.domain.org_settings import DEFAULT_TARGET_FIELD, OrgSettings
from shared.domain.orgs import CrmOrg
from shared.domain.projects import Project, ProjectKey, project_name
from shared.domain.scoring import Score, evaluate
from shared.domain.solutions import Solution, SolutionRef
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
from shared.services.writeback import current_value

log = logging.getLogger("cockpit.projects")

HISTORY_LIMIT = 20


@dataclass(frozen=True)
class ProjectPage:
    """Everything the project page shows."""

    project: Project
    org: CrmOrg
    settings: OrgSettings
    opportunity: Opportunity | None  # None only when Dynamics could not be reached just now
    crm_error: CockpitError | None  # why the live opportunity is missing
    may_change: bool | None  # Dynamics' answer about writing from the last minute, if any
    solution: Solution | None
    choices: list[Solution]  # offered when no solution is assigned yet
    history: list[Evaluation]  # newest first
    latest_score: Score | None  # the newest evaluation, re-explained against its solution version
    latest_solution: Solution | None  # the version the newest evaluation was scored against
    current_answers: dict[str, str]
    target_value: Decimal | None  # the CRM's current value of the target field
    # Read live as the viewer for this page only, never stored (docs/architecture.md, "Storage").
    evaluator_names: dict[str, str] = field(default_factory=dict)  # Entra object id → full name
    # Every solution version the history refers to (for its name).
    solutions_seen: dict[SolutionRef, Solution] = field(default_factory=dict)
    target_info: FieldInfo | None = None  # the target column's metadata, when known (its name)


@dataclass(frozen=True)
class HistoryPage:
    evaluations: list[Evaluation]  # newest first
    names: dict[str, str]  # Entra object id → full name, as Dynamics told the caller
    solutions: dict[SolutionRef, Solution]  # the versions the evaluations used


def project_key(principal: Principal, org: CrmOrg, opportunity_id: str) -> ProjectKey:
    return ProjectKey.parse(
        tenant_id=principal.tenant_id, org=org.name, opportunity_id=opportunity_id
    )


class ProjectService:
    def __init__(
        self,
        *,
        access: AccessPolicy,
        projects: ProjectStore,
        evaluations: EvaluationStore,
        solutions: SolutionStore,
        org_settings: OrgSettingsStore,
        clock: Clock,
        crm: CrmGateway,
        callers: CrmCallers,
        my_projects: MyProjectsStore,
        interactive_budget_seconds: float | None = None,
    ) -> None:
        self._access = access
        self._projects = projects
        self._evaluations = evaluations
        self._solutions = solutions
        self._settings = org_settings
        self._clock = clock
        self._crm = crm
        self._callers = callers
        self._my_projects = my_projects
        self._budget = interactive_budget_seconds

    async def open(
        self, *, principal: Principal, org: CrmOrg, opportunity_id: str, create: bool
    ) -> ProjectPage:
        """The project page. One CRM read (the opportunity, with the admin's target field), which
        is also the read check. ``create``: make the project when it does not exist yet (a
        navigation from Dynamics); otherwise a missing project is NotFound."""
        key = project_key(principal, org, opportunity_id)
        settings = await self._settings.get(tenant_id=principal.tenant_id, org=org.name)
        extra = [] if settings.target_field == DEFAULT_TARGET_FIELD else [settings.target_field]
        opportunity: Opportunity | None = None
        crm_error: CockpitError | None = None
        try:
            opportunity = await self._access.read_opportunity(
                principal=principal, org=org, opportunity_id=key.opportunity_id, extra_fields=extra
            )
        except (CrmBusy, CrmUnavailable) as err:
            # Dynamics cannot be asked right now: go on only with an answer from the last minute.
            if self._access.remembered(
                principal=principal, org=org, opportunity_id=opportunity_id
            ) < (Access.READ):
                raise
            crm_error = err
        project = await self._projects.get(key)
        if project is None:
            if not create:
                raise NotFound("no project for this opportunity", code="project_not_found")
            if opportunity is None:  # cannot name it without Dynamics: say why
                assert crm_error is not None
                raise crm_error
            project = await self._create(principal, key, opportunity)
        return await self._page(principal, org, project, settings, opportunity, crm_error)

    async def launch(self, *, principal: Principal, org: CrmOrg, opportunity_id: str) -> Project:
        """Create the project on the first launch, or open it (the JSON API's launch)."""
        key = project_key(principal, org, opportunity_id)
        opportunity = await self._access.read_opportunity(
            principal=principal, org=org, opportunity_id=key.opportunity_id
        )
        return await self._projects.get(key) or await self._create(principal, key, opportunity)

    async def _create(
        self, principal: Principal, key: ProjectKey, opportunity: Opportunity
    ) -> Project:
        project = Project(
            key=key,
            project_id=uuid.uuid4().hex,
            name=project_name(opportunity.name),
            created_at=self._clock.now(),
            created_by=principal.object_id,
        )
        stored, created = await self._projects.create_or_open(project)
        if created:
            log.info("project created", extra={"fields": {"project_id": stored.project_id}})
            await self._my_projects.record(
                MyProject(
                    key=key,
                    user=principal.object_id,
                    name=stored.name,
                    created=True,
                    evaluated=False,
                    last_activity=stored.created_at,
                )
            )
        return stored

    async def _page(
        self,
        principal: Principal,
        org: CrmOrg,
        project: Project,
        settings: OrgSettings,
        opportunity: Opportunity | None,
        crm_error: CockpitError | None,
    ) -> ProjectPage:
        tenant = principal.tenant_id
        solution: Solution | None = None
        choices: list[Solution] = []
        if project.solution is not None:
            solution = await self._solutions.get(
                tenant_id=tenant, solution_id=project.solution.id, version=project.solution.version
            )
        else:
            choices = await self._solutions.available(tenant_id=tenant)
        history = await self._evaluations.latest(project.key, limit=HISTORY_LIMIT)
        latest_score = latest_solution = None
        answers: dict[str, str] = {}
        if history:
            newest = history[0]
            latest_solution = solution
            if latest_solution is None or latest_solution.ref != newest.solution:
                latest_solution = await self._solutions.get(
                    tenant_id=tenant,
                    solution_id=newest.solution.id,
                    version=newest.solution.version,
                )
            latest_score = evaluate(latest_solution, newest.answers)
            if solution is not None and newest.solution == solution.ref:
                answers = dict(newest.answers)
        seen = await self._solutions_of(tenant, history, solution, latest_solution)
        names, target = await self._live_details(principal, org, history, settings, opportunity)
        return ProjectPage(
            project=project,
            org=org,
            settings=settings,
            opportunity=opportunity,
            crm_error=crm_error,
            may_change=self._access.may_change(
                principal=principal, org=org, opportunity_id=project.key.opportunity_id
            ),
            solution=solution,
            choices=choices,
            history=history,
            latest_score=latest_score,
            latest_solution=latest_solution,
            current_answers=answers,
            target_value=current_value(opportunity, settings.target_field),
            evaluator_names=names,
            solutions_seen=seen,
            target_info=target,
        )

    async def _solutions_of(
        self,
        tenant: str,
        history: Iterable[Evaluation],
        *known: Solution | None,
    ) -> dict[SolutionRef, Solution]:
        """Each solution version the history names (versions never change, so reading them is
        safe; usually they are the ones already loaded)."""
        seen = {s.ref: s for s in known if s is not None}
        for ref in {e.solution for e in history} - set(seen):
            try:
                seen[ref] = await self._solutions.get(
                    tenant_id=tenant, solution_id=ref.id, version=ref.version
                )
            except NotFound:
                continue  # shown by its id
        return seen

    async def _live_details(
        self,
        principal: Principal,
        org: CrmOrg,
        history: list[Evaluation],
        settings: OrgSettings,
        opportunity: Opportunity | None,
    ) -> tuple[dict[str, str], FieldInfo | None]:
        """Colleagues' names (ONE query as the viewer, only when colleagues evaluated) and the
        target column's metadata (from the per-org cache; 2 requests only when it is cold). Both
        are decoration: a failure leaves the page as it is, never fails it."""
        if opportunity is None:  # Dynamics could not be reached just now: do not ask again
            return {}, None
        caller = self._callers.caller(principal, org, budget_seconds=self._budget)
        others = sorted({e.evaluator for e in history} - {principal.object_id})

        async def names() -> dict[str, str]:
            if not others:
                return {}
            try:
                return await self._crm.user_names(org=org, object_ids=others, caller=caller)
            except CockpitError as err:
                log.info("evaluator names unavailable", extra={"fields": {"code": err.code}})
                return {}

        async def target() -> FieldInfo | None:
            if not history and settings.target_field == DEFAULT_TARGET_FIELD:
                return None  # nothing on the page names the column
            try:
                return await self._crm.field_info(
                    org=org, field=settings.target_field, caller=caller
                )
            except CockpitError:
                return None

        found_names, info = await asyncio.gather(names(), target())
        return found_names, info

    async def history(
        self, *, principal: Principal, org: CrmOrg, opportunity_id: str
    ) -> HistoryPage:
        """The evaluations, newest first (the read check, remembered for a minute, first), with
        colleagues' names (read live as the caller) and the solution versions they used."""
        key = project_key(principal, org, opportunity_id)
        await self._access.require_read(
            principal=principal, org=org, opportunity_id=key.opportunity_id
        )
        if await self._projects.get(key) is None:
            raise NotFound("no project for this opportunity", code="project_not_found")
        evaluations = await self._evaluations.latest(key, limit=HISTORY_LIMIT)
        return HistoryPage(
            evaluations=evaluations,
            names=await self.evaluator_names(principal=principal, org=org, history=evaluations),
            solutions=await self._solutions_of(principal.tenant_id, evaluations),
        )

    async def evaluator_names(
        self, *, principal: Principal, org: CrmOrg, history: list[Evaluation]
    ) -> dict[str, str]:
        """Colleagues' names for a history the caller was allowed to read (one query as the
        caller, none when every evaluation is their own); empty when Dynamics cannot say."""
        others = sorted({e.evaluator for e in history} - {principal.object_id})
        if not others:
            return {}
        caller = self._callers.caller(principal, org, budget_seconds=self._budget)
        try:
            return await self._crm.user_names(org=org, object_ids=others, caller=caller)
        except CockpitError:
            return {}

    async def delete(self, *, principal: Principal, org: CrmOrg, opportunity_id: str) -> None:
        """Remove the project and its evaluations (write access required). The CRM field keeps
        whatever it holds: Dynamics owns that value."""
        key = project_key(principal, org, opportunity_id)
        await self._access.require_write(
            principal=principal, org=org, opportunity_id=key.opportunity_id
        )
        if await self._projects.get(key) is None:
            raise NotFound("no project for this opportunity", code="project_not_found")
        removed = await self._evaluations.delete_all(key)
        await self._projects.delete(key)
        log.info("project deleted", extra={"fields": {"evaluations": removed}})
