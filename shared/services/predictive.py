"""Dynamics' own score widget: publish each evaluation to ``msdyn_predictivescore`` (optional, per
org), so the built-in predictive scoring widget and the "scored" views show the cockpit's score,
grade and trend (https://learn.microsoft.com/dynamics365/sales/populate-predictive-scores).

Written as the cockpit's application user, not as the rep: Microsoft's table grants ordinary users
read access only ("For admin: Create, retrieve, retrieve multiple, update, and delete; for other
users: Retrieve", msdyn_predictivescore table reference). The rep's right to change the opportunity
was checked by the evaluation itself (docs/architecture.md, "The access rule"), and the score only
repeats what that evaluation stored. Orgs without the table (no Sales Insights) are skipped with a
reason, and the admin page warns about it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from shared.domain.crm import PredictiveScore
from shared.domain.errors import CockpitError, CrmRecordNotFound
from shared.domain.identity import Principal
from shared.domain.org_settings import OrgSettings
from shared.domain.orgs import CrmOrg
from shared.domain.scoring import Trend
from shared.domain.solutions import Solution
from shared.ports import Clock, CrmCallers, CrmGateway, OrgSettingsStore
from shared.services.writeback import background_principal

log = logging.getLogger("cockpit.predictive")

SCORE_TABLE = "msdyn_predictivescore"
# msdyn_scoretrend: 0 improving, 1 steady, 2 declining, 3 not enough info.
_TRENDS: dict[Trend, int] = {"up": 0, "flat": 1, "down": 2, "new": 3}

PublishStatus = Literal["published", "no_table", "failed"]


@dataclass(frozen=True)
class PublishOutcome:
    status: PublishStatus
    code: str | None = None  # the domain error code when it failed


class PredictiveScoreService:
    def __init__(
        self,
        *,
        crm: CrmGateway,
        callers: CrmCallers,
        clock: Clock,
        org_settings: OrgSettingsStore,
        interactive_budget_seconds: float | None = None,
    ) -> None:
        self._settings = org_settings
        self._crm = crm
        self._callers = callers
        self._clock = clock
        self._budget = interactive_budget_seconds

    async def publish(
        self,
        *,
        org: CrmOrg,
        opportunity_id: str,
        probability: Decimal,
        trend: Trend,
        solution: Solution,
    ) -> PublishOutcome:
        """Upsert the opportunity's score row (one request). Never raises CRM errors: the outcome
        says what happened; the next evaluation publishes again."""
        score = PredictiveScore(
            opportunity_id=opportunity_id,
            score=int(probability.quantize(Decimal(1), rounding=ROUND_HALF_UP)),
            trend=_TRENDS[trend],
            grade=solution.grades.index(probability),
            scored_on=self._clock.now().date(),
        )
        caller = self._callers.caller(
            background_principal(org.tenant_id), org, budget_seconds=self._budget
        )
        try:
            await self._crm.upsert_predictive_score(org=org, score=score, caller=caller)
        except CrmRecordNotFound:
            return PublishOutcome(status="no_table", code="predictive_table_missing")
        except CockpitError as err:
            log.info("predictive score not published", extra={"fields": {"code": err.code}})
            return PublishOutcome(status="failed", code=err.code)
        return PublishOutcome(status="published")

    async def configure(self, *, admin: Principal, org: CrmOrg, enabled: bool) -> OrgSettings:
        """Turn publishing on or off for the org (the caller checked the admin role). Saved
        ETag-conditionally like the other settings."""
        current = await self._settings.get(tenant_id=admin.tenant_id, org=org.name)
        changed = current.with_predictive_score(enabled, by=admin.object_id, at=self._clock.now())
        return await self._settings.save(changed)

    async def table_present(self, *, principal: Principal, org: CrmOrg) -> bool | None:
        """Whether the org has Dynamics' score table (asked as the admin), None when Dynamics
        could not answer."""
        caller = self._callers.caller(principal, org, budget_seconds=self._budget)
        try:
            return await self._crm.table_exists(org=org, logical_name=SCORE_TABLE, caller=caller)
        except CockpitError:
            return None
