"""Per-CRM-org settings an admin chooses: which opportunity column receives the probability, and
what to do when the opportunity is closed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from shared.domain.writeback import DEFAULT_CLOSED_POLICY, ClosedPolicy

# Dynamics' own "Probability" column (Integer 0-100) on the opportunity.
DEFAULT_TARGET_FIELD = "closeprobability"


@dataclass(frozen=True)
class OrgSettings:
    tenant_id: str
    org: str
    target_field: str = DEFAULT_TARGET_FIELD
    closed_policy: ClosedPolicy = DEFAULT_CLOSED_POLICY
    # Also publish each evaluation to Dynamics' own score table (msdyn_predictivescore), so the
    # built-in predictive scoring widget and "scored" views show it. Off unless an admin turns it on.
    predictive_score: bool = False
    updated_at: datetime | None = None
    updated_by: str | None = None  # Entra object id of the admin
    etag: str | None = None

    def changed(
        self, *, target_field: str, closed_policy: ClosedPolicy, by: str, at: datetime
    ) -> OrgSettings:
        return replace(
            self,
            target_field=target_field,
            closed_policy=closed_policy,
            updated_by=by,
            updated_at=at,
        )

    def with_predictive_score(self, enabled: bool, *, by: str, at: datetime) -> OrgSettings:
        return replace(self, predictive_score=enabled, updated_by=by, updated_at=at)
