"""What the admin console reads from a CRM beyond single opportunities: the installed cockpit
solution, the application user behind background work, and opportunities page by page (state,
close date and a few numeric columns). CRM-neutral; the Dataverse adapter maps Web API rows into
these."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from shared.domain.crm import OpportunityState

# The unique name of the cockpit's Dynamics solution (the package the Dynamics-side build makes).
COCKPIT_SOLUTION = "OpportunityCockpit"


@dataclass(frozen=True)
class InstalledSolution:
    unique_name: str
    version: str  # major.minor.build.revision
    managed: bool | None


@dataclass(frozen=True)
class ApplicationUser:
    """The Dataverse application user of an app registration (background work runs as it)."""

    systemuser_id: str
    disabled: bool


@dataclass(frozen=True)
class OpportunityRow:
    """One opportunity of a page: its id, state, close date and the numeric columns asked for."""

    id: str
    state: OpportunityState
    close_date: date | None = None
    values: dict[str, Decimal | None] = field(default_factory=dict)
