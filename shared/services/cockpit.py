"""The cockpit journey: launch → create-or-open → live opportunity → qualification → probability →
write-back; plus the admin's choice of target field.

Every CRM call is made *as the signed-in user* (their own Dataverse token), so Dynamics' security
decides what they may read and write. The cockpit stores IDs, the project name, solutions and its
own evaluations — never CRM field values.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from shared.domain.crm import Opportunity
from shared.domain.errors import (
    CockpitError,
    ConfigurationInvalid,
    Conflict,
    CrmBusy,
    CrmConflict,
    CrmError,
    CrmRecordNotFound,
    CrmUnavailable,
    Forbidden,
    InvalidInput,
    NotFound,
)
from shared.domain.evaluations import Evaluation, OutboxItem, WritebackOutcome, WritebackStatus
from shared.domain.identity import Principal
from shared.domain.org_settings import DEFAULT_TARGET_FIELD, OrgSettings
from shared.domain.orgs import CrmOrg
from shared.domain.projects import Project, ProjectKey, project_name
from shared.domain.scoring import Score, evaluate
from shared.domain.solutions import Solution
from shared.domain.writeback import (
    ClosedPolicy,
    FieldCheck,
    WriteAction,
    check_target_field,
    decide_write,
    to_field_value,
)
from shared.ports import (
    Clock,
    CrmGateway,
    EvaluationStore,
    OrgSettingsStore,
    OutboxStore,
    ProjectStore,
    SolutionStore,
)
from shared.services.auth import AuthService

log = logging.getLogger("cockpit.journey")

HISTORY_LIMIT = 20
# Background write-back retries: 2, 4, 8 … minutes, at most an hour apart, then give up (the
# evaluation says so and the rep can "Write again").
OUTBOX_FIRST_DELAY = timedelta(minutes=2)
OUTBOX_MAX_DELAY = timedelta(hours=1)
OUTBOX_MAX_ATTEMPTS = 10


@dataclass(frozen=True)
class CockpitView:
    """Everything the project page shows."""

    project: Project
    org: CrmOrg
    settings: OrgSettings
    opportunity: Opportunity | None
    crm_error: CockpitError | None  # why the live opportunity could not be shown
    solution: Solution | None
    choices: list[Solution]  # offered when no solution is assigned yet
    history: list[Evaluation]  # newest first
    latest_score: Score | None  # the newest evaluation, re-explained against its solution version
    current_answers: dict[str, str]
    target_value: Decimal | None  # the CRM's current value of the target field


@dataclass(frozen=True)
class EvaluationResult:
    evaluation: Evaluation
    score: Score
    solution: Solution  # the version it was scored against (for the explanation)
    previous: Decimal | None


@dataclass(frozen=True)
class AdminOrgView:
    settings: OrgSettings
    candidates: list[FieldCheck]  # numeric, updatable columns and whether each may be chosen
    current: FieldCheck | None  # the configured field, checked against live metadata
    crm_error: CockpitError | None


class CockpitService:
    def __init__(
        self,
        *,
        orgs: Sequence[CrmOrg],
        projects: ProjectStore,
        evaluations: EvaluationStore,
        solutions: SolutionStore,
        org_settings: OrgSettingsStore,
        crm: CrmGateway,
        auth: AuthService,
        clock: Clock,
        outbox: OutboxStore | None = None,
    ) -> None:
        self._orgs = tuple(orgs)
        self._projects = projects
        self._evaluations = evaluations
        self._solutions = solutions
        self._settings = org_settings
        self._crm = crm
        self._auth = auth
        self._clock = clock
        self._outbox = outbox

    # --- orgs ---------------------------------------------------------------------------------------
    def org_for(self, principal: Principal, org_name: str | None) -> CrmOrg:
        """The configured org of the caller's tenant that ``orgname`` names. Org URLs only ever come
        from configuration; the request merely selects (no SSRF)."""
        mine = [o for o in self._orgs if o.tenant_id == principal.tenant_id]
        if org_name is None:
            if len(mine) == 1:
                return mine[0]
            raise InvalidInput("orgname is required", code="invalid_org")
        for org in mine:
            if org.name == org_name.strip().lower():
                return org
        raise Forbidden(
            f"org {org_name!r} is not configured for this tenant", code="org_not_allowed"
        )

    def orgs_of(self, principal: Principal) -> list[CrmOrg]:
        return [o for o in self._orgs if o.tenant_id == principal.tenant_id]

    def _key(self, principal: Principal, org: CrmOrg, opportunity_id: str) -> ProjectKey:
        return ProjectKey.parse(
            tenant_id=principal.tenant_id, org=org.name, opportunity_id=opportunity_id
        )

    # --- launch -------------------------------------------------------------------------------------
    async def launch(self, *, principal: Principal, org: CrmOrg, opportunity_id: str) -> Project:
        """Open the opportunity's project, creating it on the first launch.

        Opening costs one storage point read and no CRM call. Creating first reads the opportunity
        as the user (proving they may see it, and naming the project after it), then inserts
        atomically: concurrent first launches all end up with the same project.
        """
        key = self._key(principal, org, opportunity_id)
        existing = await self._projects.get(key)
        if existing is not None:
            return existing
        opportunity = await self._crm.get_opportunity(
            org=org, opportunity_id=key.opportunity_id, caller=self._auth.caller(principal, org)
        )
        project = Project(
            key=key,
            project_id=uuid.uuid4().hex,
            name=project_name(opportunity.name),
            created_at=self._clock.now(),
            created_by=principal.object_id,
        )
        stored, created = await self._projects.create_or_open(project)
        if created:
            log.info(
                "project created",
                extra={"fields": {"project_id": stored.project_id, "org": org.name}},
            )
        return stored

    async def _project(self, principal: Principal, org: CrmOrg, opportunity_id: str) -> Project:
        project = await self._projects.get(self._key(principal, org, opportunity_id))
        if project is None:
            raise NotFound("no project for this opportunity", code="project_not_found")
        return project

    # --- view ---------------------------------------------------------------------------------------
    async def view(self, *, principal: Principal, org: CrmOrg, opportunity_id: str) -> CockpitView:
        """The project page: one CRM read (the opportunity, with the target field if it is not the
        standard probability), the solution, the history."""
        project = await self._project(principal, org, opportunity_id)
        settings = await self._settings.get(tenant_id=principal.tenant_id, org=org.name)
        extra = [] if settings.target_field == DEFAULT_TARGET_FIELD else [settings.target_field]
        opportunity: Opportunity | None = None
        crm_error: CockpitError | None = None
        try:
            opportunity = await self._crm.get_opportunity(
                org=org,
                opportunity_id=project.key.opportunity_id,
                caller=self._auth.caller(principal, org),
                extra_fields=extra,
            )
        except CrmError as err:
            crm_error = err
        solution = choices = None
        if project.solution is not None:
            solution = await self._solutions.get(
                tenant_id=principal.tenant_id,
                solution_id=project.solution.id,
                version=project.solution.version,
            )
        else:
            choices = await self._solutions.available(tenant_id=principal.tenant_id)
        history = await self._evaluations.latest(project.key, limit=HISTORY_LIMIT)
        latest_score: Score | None = None
        answers: dict[str, str] = {}
        if history:
            newest = history[0]
            scored_with = solution if solution and solution.ref == newest.solution else None
            if scored_with is None:
                scored_with = await self._solutions.get(
                    tenant_id=principal.tenant_id,
                    solution_id=newest.solution.id,
                    version=newest.solution.version,
                )
            latest_score = evaluate(scored_with, newest.answers)
            if solution is not None and newest.solution == solution.ref:
                answers = dict(newest.answers)
        return CockpitView(
            project=project,
            org=org,
            settings=settings,
            opportunity=opportunity,
            crm_error=crm_error,
            solution=solution,
            choices=choices or [],
            history=history,
            latest_score=latest_score,
            current_answers=answers,
            target_value=_current_value(opportunity, settings.target_field)
            if opportunity
            else None,
        )

    async def history(
        self, *, principal: Principal, org: CrmOrg, opportunity_id: str
    ) -> list[Evaluation]:
        """The evaluations, newest first; no CRM call."""
        project = await self._project(principal, org, opportunity_id)
        return await self._evaluations.latest(project.key, limit=HISTORY_LIMIT)

    # --- solutions ----------------------------------------------------------------------------------
    async def assign_solution(
        self,
        *,
        principal: Principal,
        org: CrmOrg,
        opportunity_id: str,
        solution_id: str,
        is_admin: bool,
    ) -> Project:
        """First open: the rep picks a solution. Later only admins may reassign (history keeps the
        version each evaluation used)."""
        project = await self._project(principal, org, opportunity_id)
        if project.solution is not None and not is_admin:
            raise Forbidden(
                "a solution is already assigned; only admins may change it", code="admin_only"
            )
        available = {
            s.id: s for s in await self._solutions.available(tenant_id=principal.tenant_id)
        }
        solution = available.get(solution_id)
        if solution is None:
            raise NotFound(f"no solution {solution_id!r}", code="solution_not_found")
        if project.solution == solution.ref:
            return project
        return await self._projects.update(project.with_solution(solution.ref))

    async def available_solutions(self, *, principal: Principal) -> list[Solution]:
        return await self._solutions.available(tenant_id=principal.tenant_id)

    async def publish_solution(self, *, principal: Principal, solution: Solution) -> Solution:
        """Admins publish a new version; versions only go up, and a published one never changes."""
        newest = {
            s.id: s for s in await self._solutions.available(tenant_id=principal.tenant_id)
        }.get(solution.id)
        if newest is not None and solution.version <= newest.version:
            raise Conflict(
                f"version must be greater than {newest.version}",
                params={"detail": f"version must be greater than {newest.version}"},
            )
        await self._solutions.publish(
            tenant_id=principal.tenant_id,
            solution=solution,
            by=principal.object_id,
            at=self._clock.now(),
        )
        return solution

    # --- evaluate -----------------------------------------------------------------------------------
    async def evaluate(
        self,
        *,
        principal: Principal,
        org: CrmOrg,
        opportunity_id: str,
        answers: Mapping[str, str],
        solution_version: int | None = None,
    ) -> EvaluationResult:
        """Validate the answers, compute the probability, keep the evaluation, then write the value
        to the configured CRM field as the user. CRM problems never lose the evaluation: the outcome
        records what happened."""
        project = await self._project(principal, org, opportunity_id)
        if project.solution is None:
            raise InvalidInput("choose a solution first", code="no_solution")
        if solution_version is not None and solution_version != project.solution.version:
            raise Conflict("the project's solution changed; reload the page")
        solution = await self._solutions.get(
            tenant_id=principal.tenant_id,
            solution_id=project.solution.id,
            version=project.solution.version,
        )
        score = evaluate(solution, answers)  # InvalidInput before anything is written
        history = await self._evaluations.latest(project.key, limit=1)
        evaluation = Evaluation(
            evaluation_id=uuid.uuid4().hex,
            solution=solution.ref,
            answers={k: answers[k] for k in sorted(answers)},
            probability=score.probability,
            evaluated_at=self._clock.now(),
            evaluator=principal.object_id,
            writeback=WritebackOutcome(status=WritebackStatus.PENDING),
        )
        await self._evaluations.add(project.key, evaluation)
        evaluation = await self._write_and_record(principal, org, project.key, evaluation)
        return EvaluationResult(
            evaluation=evaluation,
            solution=solution,
            score=score,
            previous=history[0].probability if history else None,
        )

    async def retry_writeback(
        self, *, principal: Principal, org: CrmOrg, opportunity_id: str
    ) -> Evaluation:
        """Write the newest evaluation's probability again (after throttling, a privilege fix…)."""
        project = await self._project(principal, org, opportunity_id)
        history = await self._evaluations.latest(project.key, limit=1)
        if not history:
            raise NotFound("nothing to write yet", code="not_found")
        return await self._write_and_record(principal, org, project.key, history[0])

    async def _write_and_record(
        self, principal: Principal, org: CrmOrg, key: ProjectKey, evaluation: Evaluation
    ) -> Evaluation:
        """Write the evaluation's probability as the user, record the outcome on the evaluation,
        and queue a background retry when Dynamics was busy."""
        settings = await self._settings.get(tenant_id=principal.tenant_id, org=org.name)
        outcome = await self.write_back(
            principal=principal,
            org=org,
            key=key,
            probability=evaluation.probability,
            settings=settings,
        )
        updated = evaluation.with_writeback(outcome)
        await self._evaluations.record_writeback(key, updated)
        await self._queue_if_busy(key, updated)
        return updated

    # --- background retries ------------------------------------------------------------------------
    async def _queue_if_busy(self, key: ProjectKey, evaluation: Evaluation) -> None:
        if self._outbox is None or evaluation.writeback.status is not WritebackStatus.RETRYING:
            return
        now = self._clock.now()
        await self._outbox.put(
            OutboxItem(
                tenant_id=key.tenant_id,
                org=key.org,
                opportunity_id=key.opportunity_id,
                evaluation_id=evaluation.evaluation_id,
                evaluator=evaluation.evaluator,
                probability=evaluation.probability,
                attempts=0,
                next_attempt_at=now + OUTBOX_FIRST_DELAY,
                created_at=now,
            )
        )

    async def process_outbox(self) -> dict[str, int]:
        """The timer's job: retry queued write-backs as the app, on behalf of each rep
        (``CallerObjectId``), so Dynamics still applies the rep's privileges. Only the project's
        newest evaluation is ever written; older queued values are dropped."""
        assert self._outbox is not None
        now = self._clock.now()
        counts = {"written": 0, "rescheduled": 0, "dropped": 0, "finished": 0}
        for item in await self._outbox.due(now=now):
            org = next(
                (o for o in self._orgs if o.tenant_id == item.tenant_id and o.name == item.org),
                None,
            )
            key = ProjectKey.parse(
                tenant_id=item.tenant_id, org=item.org, opportunity_id=item.opportunity_id
            )
            newest = await self._evaluations.latest(key, limit=1)
            current = newest[0] if newest else None
            if (
                org is None
                or current is None
                or current.evaluation_id != item.evaluation_id
                or current.writeback.status
                not in (WritebackStatus.RETRYING, WritebackStatus.PENDING)
            ):
                await self._outbox.remove(item)
                counts["dropped"] += 1
                continue
            settings = await self._settings.get(tenant_id=item.tenant_id, org=item.org)
            app = Principal(kind="app", tenant_id=item.tenant_id, object_id="cockpit-background")
            try:
                outcome = await self.write_back(
                    principal=app,
                    org=org,
                    key=key,
                    probability=item.probability,
                    settings=settings,
                    impersonate=item.evaluator,
                )
            except Exception as err:  # e.g. the app's own credential failed: retry later
                log.warning(
                    "background write-back failed",
                    extra={"fields": {"error": err.__class__.__name__}},
                )
                outcome = self._outcome(
                    WritebackStatus.RETRYING,
                    settings.target_field,
                    item.probability,
                    "crm_unavailable",
                )
            if (
                outcome.status is WritebackStatus.RETRYING
                and item.attempts + 1 < OUTBOX_MAX_ATTEMPTS
            ):
                delay = min(OUTBOX_FIRST_DELAY * 2 ** (item.attempts + 1), OUTBOX_MAX_DELAY)
                await self._outbox.reschedule(item, next_attempt_at=now + delay)
                counts["rescheduled"] += 1
                continue
            if outcome.status is WritebackStatus.RETRYING:
                outcome = self._outcome(
                    WritebackStatus.FAILED, settings.target_field, item.probability, outcome.code
                )
            await self._evaluations.record_writeback(key, current.with_writeback(outcome))
            await self._outbox.remove(item)
            counts["written" if outcome.status is WritebackStatus.WRITTEN else "finished"] += 1
        return counts

    async def write_back(
        self,
        *,
        principal: Principal,
        org: CrmOrg,
        key: ProjectKey,
        probability: Decimal,
        settings: OrgSettings,
        impersonate: str | None = None,
    ) -> WritebackOutcome:
        """Write ``probability`` to the configured field, type-aware; never raises CRM errors."""
        caller = self._auth.caller(principal, org, impersonate=impersonate)
        field_name = settings.target_field
        value: int | float | Decimal | None = None
        try:
            field = await self._crm.field_info(org=org, field=field_name, caller=caller)
            check_target_field(field).require_ok()
            value = to_field_value(probability, field)
            for attempt in (1, 2):
                opportunity = await self._crm.get_opportunity(
                    org=org,
                    opportunity_id=key.opportunity_id,
                    caller=caller,
                    extra_fields=[] if field_name == DEFAULT_TARGET_FIELD else [field_name],
                )
                decision = decide_write(
                    state=opportunity.state,
                    policy=settings.closed_policy,
                    current=_current_value(opportunity, field_name),
                    new=value,
                    field=field,
                )
                if decision.action is WriteAction.SKIP_CLOSED:
                    return self._outcome(
                        WritebackStatus.SKIPPED_CLOSED, field_name, value, "crm_record_closed"
                    )
                if decision.action is WriteAction.SKIP_UNCHANGED:
                    return self._outcome(WritebackStatus.UNCHANGED, field_name, value)
                try:
                    await self._crm.write_number(
                        org=org,
                        opportunity_id=key.opportunity_id,
                        field=field_name,
                        value=value,
                        caller=caller,
                        etag=opportunity.etag,
                    )
                except CrmConflict:
                    # Someone saved the opportunity between our read and write: re-read once (it
                    # may have been closed meanwhile), then decide again.
                    if attempt == 2:
                        raise
                    continue
                log.info(
                    "probability written", extra={"fields": {"org": org.name, "field": field_name}}
                )
                return self._outcome(WritebackStatus.WRITTEN, field_name, value)
            raise CrmConflict("the opportunity kept changing")  # pragma: no cover - loop returns
        except (CrmBusy, CrmUnavailable) as err:
            return self._outcome(WritebackStatus.RETRYING, field_name, value, err.code)
        except CrmRecordNotFound as err:
            if value is None:  # the *field* does not exist (metadata 404), not the opportunity
                return self._outcome(
                    WritebackStatus.FAILED, field_name, None, "target_field_refused"
                )
            return self._outcome(WritebackStatus.FAILED, field_name, value, err.code)
        except CockpitError as err:
            log.info(
                "write-back failed", extra={"fields": {"code": err.code, "detail": err.detail}}
            )
            return self._outcome(WritebackStatus.FAILED, field_name, value, err.code)

    def _outcome(
        self,
        status: WritebackStatus,
        field: str,
        value: int | float | Decimal | None,
        code: str | None = None,
    ) -> WritebackOutcome:
        return WritebackOutcome(
            status=status,
            field=field,
            value=None if value is None else str(value),
            code=code,
            at=self._clock.now(),
        )

    # --- admin --------------------------------------------------------------------------------------
    async def admin_view(self, *, principal: Principal, org: CrmOrg) -> AdminOrgView:
        """The settings page: the current choice and every candidate column from live metadata."""
        settings = await self._settings.get(tenant_id=principal.tenant_id, org=org.name)
        caller = self._auth.caller(principal, org)
        try:
            fields = await self._crm.numeric_fields(org=org, caller=caller)
        except CrmError as err:
            return AdminOrgView(settings=settings, candidates=[], current=None, crm_error=err)
        checks = [
            check_target_field(f) for f in sorted(fields, key=lambda f: f.display_name.lower())
        ]
        current = next((c for c in checks if c.field.logical_name == settings.target_field), None)
        if current is None:
            current = await self._check_field(
                org=org, field=settings.target_field, caller_principal=principal
            )
        return AdminOrgView(settings=settings, candidates=checks, current=current, crm_error=None)

    async def _check_field(
        self, *, org: CrmOrg, field: str, caller_principal: Principal
    ) -> FieldCheck | None:
        try:
            info = await self._crm.field_info(
                org=org, field=field, caller=self._auth.caller(caller_principal, org)
            )
        except (CrmRecordNotFound, ConfigurationInvalid):  # no such column
            return None
        return check_target_field(info)

    async def save_settings(
        self,
        *,
        principal: Principal,
        org: CrmOrg,
        target_field: str,
        closed_policy: ClosedPolicy,
        etag: str | None,
    ) -> OrgSettings:
        """Re-validate the chosen field against live metadata, then save (ETag-conditional)."""
        check = await self._check_field(org=org, field=target_field, caller_principal=principal)
        if check is None:
            raise ConfigurationInvalid(
                f"no opportunity column {target_field!r}",
                code="target_field_refused",
                params={"detail": f"the opportunity has no column named {target_field!r}."},
            )
        if not check.ok:
            reasons = ", ".join(r.code for r in check.refusals)
            raise ConfigurationInvalid(
                f"{target_field}: {reasons}",
                code="target_field_refused",
                params={
                    "detail": _refusal_text(check),
                    "reasons": [r.code for r in check.refusals],
                },
            )
        current = await self._settings.get(tenant_id=principal.tenant_id, org=org.name)
        if etag is not None and current.etag is not None and etag != current.etag:
            raise Conflict("another administrator changed these settings meanwhile")
        changed = current.changed(
            target_field=target_field,
            closed_policy=closed_policy,
            by=principal.object_id,
            at=self._clock.now(),
        )
        return await self._settings.save(changed)


def _current_value(opportunity: Opportunity | None, field: str) -> Decimal | None:
    if opportunity is None:
        return None
    if field == DEFAULT_TARGET_FIELD:
        return None if opportunity.probability is None else Decimal(opportunity.probability)
    return opportunity.extra_values.get(field)


def _refusal_text(check: FieldCheck) -> str:
    texts = {
        "not_numeric": "it is not a number column",
        "money_not_allowed": "it is a currency column",
        "not_updatable": "Dynamics 365 does not allow updating it",
        "range_excludes_probability": "its range cannot hold 0–100",
        "precision_invalid": "its precision is not supported",
    }
    return "; ".join(texts.get(r.code, r.code) for r in check.refusals) + "."
