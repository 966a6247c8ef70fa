"""Model quality: how well each solution version predicted the deals that closed
(docs/architecture.md, "Admin console"; the statistics are in ``shared/domain/quality.py``).

Outcomes are read live from Dynamics *as the administrator* — the won and lost opportunities, one
request per page (5,000 rows) — and never stored: Dynamics decides which closed deals the
administrator may count. For each closed opportunity with a cockpit project, the deal's prediction
is the last evaluation made on or before its actual close date (the newest one when Dynamics has no
close date); deals evaluated only after closing are left out and counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shared.domain.crm import CrmCaller, OpportunityState
from shared.domain.crm_admin import OpportunityRow
from shared.domain.errors import ConfigurationInvalid, CrmRecordNotFound, NotFound
from shared.domain.evaluations import Evaluation
from shared.domain.identity import Principal
from shared.domain.orgs import CrmOrg
from shared.domain.quality import ClosedDeal, QualityReport, quality_report
from shared.domain.solutions import Solution
from shared.ports import (
    CrmAdminGateway,
    CrmCallers,
    CrmGateway,
    ProjectDirectory,
    SolutionStore,
)
from shared.services.admin_common import require_admin

CLOSE_DATE_COLUMN = "actualclosedate"


@dataclass(frozen=True)
class VersionQuality:
    solution: Solution
    report: QualityReport


@dataclass(frozen=True)
class QualityOverview:
    versions: list[VersionQuality]  # by solution id, newest version first
    closed_deals: int  # closed opportunities with a project that count
    after_close_only: int  # closed deals whose every evaluation came after closing
    close_dates_known: bool


class ModelQualityService:
    def __init__(
        self,
        *,
        crm: CrmGateway,
        crm_admin: CrmAdminGateway,
        callers: CrmCallers,
        directory: ProjectDirectory,
        solutions: SolutionStore,
        admin_role: str,
    ) -> None:
        self._crm = crm
        self._admin = crm_admin
        self._callers = callers
        self._directory = directory
        self._solutions = solutions
        self._role = admin_role

    async def overview(self, *, principal: Principal, org: CrmOrg) -> QualityOverview:
        """Every solution version with at least one closed deal in this org."""
        require_admin(principal, self._role)
        caller = self._callers.caller(principal, org)
        histories = await self._directory.histories(tenant_id=principal.tenant_id, org=org.name)
        with_dates = await self._close_dates_known(org, caller)
        deals: list[ClosedDeal] = []
        after_close = 0
        pages = self._admin.opportunity_pages(
            org=org, caller=caller, closed_only=True, close_date=with_dates
        )
        async for page in pages:
            for row in page:
                history = histories.get(row.id)
                if not history:
                    continue
                deal = closed_deal(row, history)
                if deal is None:
                    after_close += 1
                else:
                    deals.append(deal)
        versions = await self._reports(principal.tenant_id, deals)
        return QualityOverview(
            versions=versions,
            closed_deals=len(deals),
            after_close_only=after_close,
            close_dates_known=with_dates,
        )

    async def version(
        self, *, principal: Principal, org: CrmOrg, solution_id: str, version: int
    ) -> VersionQuality:
        overview = await self.overview(principal=principal, org=org)
        for item in overview.versions:
            if item.solution.id == solution_id and item.solution.version == version:
                return item
        raise NotFound("no closed deal was scored with this version", code="quality_no_deals")

    async def _close_dates_known(self, org: CrmOrg, caller: CrmCaller) -> bool:
        """Whether the org has the close-date column (every Dynamics 365 Sales org does; a
        trimmed test org may not). Cached metadata: no request when warm."""
        try:
            await self._crm.field_info(org=org, field=CLOSE_DATE_COLUMN, caller=caller)
        except (ConfigurationInvalid, CrmRecordNotFound):
            return False
        return True

    async def _reports(self, tenant_id: str, deals: list[ClosedDeal]) -> list[VersionQuality]:
        refs = sorted({d.solution for d in deals}, key=lambda r: (r.id, -r.version))
        found: list[VersionQuality] = []
        for ref in refs:
            try:
                solution = await self._solutions.get(
                    tenant_id=tenant_id, solution_id=ref.id, version=ref.version
                )
            except NotFound:
                continue  # a version that is no longer available cannot be explained
            found.append(VersionQuality(solution=solution, report=quality_report(solution, deals)))
        return found


def closed_deal(row: OpportunityRow, history: list[Evaluation]) -> ClosedDeal | None:
    """The deal's prediction: the newest evaluation on or before the close date."""
    last = _last_before(history, row.close_date)
    if last is None:
        return None
    return ClosedDeal(
        opportunity_id=row.id,
        won=row.state is OpportunityState.WON,
        probability=last.probability,
        solution=last.solution,
        answers=dict(last.answers),
    )


def _last_before(history: list[Evaluation], closed_on: date | None) -> Evaluation | None:
    for evaluation in history:  # newest first
        if closed_on is None or evaluation.evaluated_at.date() <= closed_on:
            return evaluation
    return None
