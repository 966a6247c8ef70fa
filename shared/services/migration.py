"""Moving projects to a newer version of their solution (docs/architecture.md, "Admin console").

Projects keep the version they were scored with until an administrator moves them. Moving is a
change to each project, so the access rule decides it project by project: Dynamics must let the
administrator change the opportunity (``AccessPolicy.require_write``); a refusal is counted, never
bypassed. A moved project keeps the answers whose criterion and option exist in the new version;
they are scored again with production's function and stored as the project's newest evaluation,
which is written to Dynamics like any other (so the CRM field converges to it). The rep then sees
the new version with those answers and the new probability in the history.

The page shows how many projects sit on each older version, never which ones (names of
opportunities are Dynamics' to reveal).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from shared.domain.admin_log import LogEvent, LogOutcome, entry
from shared.domain.errors import (
    Conflict,
    CrmBusy,
    CrmRecordNotFound,
    CrmUnavailable,
    Forbidden,
    IdentityUnavailable,
    NotFound,
    ReauthRequired,
)
from shared.domain.evaluations import Evaluation, WritebackOutcome, WritebackStatus
from shared.domain.identity import Principal
from shared.domain.orgs import CrmOrg
from shared.domain.projects import Project
from shared.domain.scoring import evaluate
from shared.domain.solutions import Solution
from shared.domain.versions import carry_answers
from shared.ports import (
    Clock,
    EvaluationStore,
    ProjectDirectory,
    ProjectStore,
    SolutionStore,
    WritebackLogStore,
)
from shared.services.access import AccessPolicy
from shared.services.admin_common import append_quietly, require_admin
from shared.services.writeback import WritebackService, new_evaluation_id

# Dynamics or Entra cannot be asked right now: stop, the rest can be moved later.
_STOP = (CrmBusy, CrmUnavailable, ReauthRequired, IdentityUnavailable)


@dataclass(frozen=True)
class MoveResult:
    moved: int = 0
    not_allowed: int = 0  # Dynamics does not let the administrator change the opportunity
    changed: int = 0  # someone changed the project meanwhile; nothing done
    stopped: str | None = None  # the error code that stopped the run (the rest is left)
    left: int = 0


class MoveService:
    def __init__(
        self,
        *,
        access: AccessPolicy,
        projects: ProjectStore,
        directory: ProjectDirectory,
        evaluations: EvaluationStore,
        solutions: SolutionStore,
        writeback: WritebackService,
        log: WritebackLogStore | None,
        clock: Clock,
        admin_role: str,
    ) -> None:
        self._access = access
        self._projects = projects
        self._directory = directory
        self._evaluations = evaluations
        self._solutions = solutions
        self._writeback = writeback
        self._log = log
        self._clock = clock
        self._role = admin_role

    async def counts(
        self, *, principal: Principal, org: CrmOrg, solution_id: str
    ) -> dict[int, int]:
        """How many of the org's projects use each version of the solution."""
        require_admin(principal, self._role)
        projects = await self._directory.projects(tenant_id=principal.tenant_id, org=org.name)
        return dict(
            Counter(
                p.solution.version
                for p in projects
                if p.solution is not None and p.solution.id == solution_id
            )
        )

    async def move(
        self, *, principal: Principal, org: CrmOrg, solution_id: str, to_version: int
    ) -> MoveResult:
        """Move every project of the org on an older version of the solution to ``to_version``."""
        require_admin(principal, self._role)
        target = await self._solutions.get(
            tenant_id=principal.tenant_id, solution_id=solution_id, version=to_version
        )
        projects = [
            p
            for p in await self._directory.projects(tenant_id=principal.tenant_id, org=org.name)
            if p.solution is not None
            and p.solution.id == solution_id
            and p.solution.version < to_version
        ]
        tally: Counter[str] = Counter()
        for index, project in enumerate(sorted(projects, key=lambda p: p.key.opportunity_id)):
            try:
                tally[await self._move_one(principal, org, project, target)] += 1
            except _STOP as err:
                return MoveResult(
                    moved=tally["moved"],
                    not_allowed=tally["not_allowed"],
                    changed=tally["changed"],
                    stopped=err.code,
                    left=len(projects) - index,
                )
        return MoveResult(
            moved=tally["moved"], not_allowed=tally["not_allowed"], changed=tally["changed"]
        )

    async def _move_one(
        self, principal: Principal, org: CrmOrg, project: Project, target: Solution
    ) -> str:
        key = project.key
        try:
            await self._access.require_write(
                principal=principal, org=org, opportunity_id=key.opportunity_id
            )
        except (Forbidden, CrmRecordNotFound):  # Dynamics says no, or the opportunity is gone
            return "not_allowed"
        current = await self._projects.get(key)
        if current is None or current.solution != project.solution:
            return "changed"
        assert current.solution is not None
        try:
            await self._projects.update(current.with_solution(target.ref))
        except (Conflict, NotFound):
            return "changed"
        await self._carry_over(principal, org, current, target)
        await append_quietly(
            self._log,
            entry(
                tenant_id=key.tenant_id,
                org=key.org,
                at=self._clock.now(),
                event=LogEvent.SOLUTION,
                outcome=LogOutcome.PROJECT_MOVED,
                user=principal.object_id,
                opportunity_id=key.opportunity_id,
                params={
                    "solution": target.id,
                    "from": current.solution.version,
                    "to": target.version,
                },
            ),
        )
        return "moved"

    async def _carry_over(
        self, principal: Principal, org: CrmOrg, project: Project, target: Solution
    ) -> None:
        """The kept answers become the newest evaluation on the new version, written like any."""
        history = await self._evaluations.latest(project.key, limit=1)
        if not history:
            return
        kept = carry_answers(target, history[0].answers)
        if not kept:
            return
        now = self._clock.now()
        evaluation = Evaluation(
            evaluation_id=new_evaluation_id(),
            solution=target.ref,
            answers=kept,
            probability=evaluate(target, kept).probability,
            evaluated_at=now,
            evaluator=principal.object_id,
            writeback=WritebackOutcome(status=WritebackStatus.PENDING, at=now),
        )
        item = await self._writeback.remember_intent(project.key, evaluation.evaluation_id)
        stored = await self._evaluations.append(project.key, evaluation)
        await self._writeback.deliver(
            principal=principal, org=org, key=project.key, evaluation=stored, item=item
        )
