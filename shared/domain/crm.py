"""CRM-neutral views of what the cockpit reads from and writes to a CRM. The Dataverse adapter maps
Web API payloads into these; nothing outside ``shared/adapters`` sees an OData annotation."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum


class OpportunityState(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"

    @property
    def closed(self) -> bool:
        return self is not OpportunityState.OPEN


@dataclass(frozen=True)
class Opportunity:
    """An opportunity as the signed-in user may see it, read live. Display strings are formatted by
    the CRM in the user's own settings (currency, date format, language)."""

    id: str
    name: str
    state: OpportunityState
    status_display: str | None
    account_name: str | None
    customer_name: str | None
    owner_name: str | None
    estimated_value: Decimal | None
    estimated_value_display: str | None
    estimated_close_date: date | None
    estimated_close_date_display: str | None
    sales_stage_display: str | None
    pipeline_phase: str | None
    probability: int | None
    # Raw values of any extra numeric columns asked for (e.g. the admin's target field).
    extra_values: dict[str, Decimal | None]
    etag: str | None
    # The org's schema version as the read reported it; a change invalidates cached metadata.
    metadata_version: str | None = None
    # The owner (a systemuser or a team), for work created on the owner's behalf (follow-ups).
    owner_id: str | None = None
    owner_type: str | None = None  # "systemuser" or "team"


class NumericKind(StrEnum):
    """Numeric column types a probability may be written to."""

    INTEGER = "Integer"
    BIGINT = "BigInt"
    DECIMAL = "Decimal"
    DOUBLE = "Double"
    MONEY = "Money"


@dataclass(frozen=True)
class FieldInfo:
    """Metadata of one opportunity column (from ``EntityDefinitions/Attributes`` + type cast)."""

    logical_name: str
    display_name: str
    attribute_type: str  # Dataverse AttributeType, e.g. "Integer", "String"
    is_valid_for_update: bool
    is_secured: bool
    is_custom: bool
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    precision: int | None = None
    # The display name in every language the org has (LCID → label): the cache is shared by users
    # of different languages, so each page picks its own instead of the first reader's.
    labels: tuple[tuple[int, str], ...] = ()

    def label(self, lcid: int) -> str:
        """The display name in the language ``lcid``, else the one Dataverse gave the reader."""
        return next((text for code, text in self.labels if code == lcid), self.display_name)

    @property
    def numeric_kind(self) -> NumericKind | None:
        try:
            return NumericKind(self.attribute_type)
        except ValueError:
            return None


@dataclass(frozen=True)
class CrmIdentity:
    """``WhoAmI`` for the calling user in one org."""

    user_id: str
    business_unit_id: str
    organization_id: str


@dataclass(frozen=True)
class CrmCaller:
    """Who a CRM call is made as, and how hard the gateway may try for this one operation.

    ``key`` identifies the principal for per-user concurrency limits and logs (``tid:oid``, never a
    name or e-mail). ``token`` returns a bearer token for a resource (the org URL). For app-only calls
    made on a rep's behalf (timer retries), ``impersonate_object_id`` is sent as ``CallerObjectId``.

    ``refresh`` returns a *new* token for a resource, bypassing any cache: when the CRM answers 401
    the gateway calls it once and repeats the request once; without it, or on a second 401, the
    call fails with ``ReauthRequired``. ``budget_seconds`` bounds the whole operation (retries and
    waits included) when it is shorter than the gateway's own deadline: a few seconds for a request
    a person is waiting for, None (the full deadline) for background work.
    """

    key: str
    token: Callable[[str], Awaitable[str]]
    impersonate_object_id: str | None = None
    # A token that bypasses caches, asked for once after Dataverse answered 401.
    refresh: Callable[[str], Awaitable[str]] | None = None
    # An overall time budget for one operation (retries included), when shorter than the policy's.
    budget_seconds: float | None = None

    def __post_init__(self) -> None:
        budget = self.budget_seconds
        if budget is not None and not (math.isfinite(budget) and budget > 0):
            raise ValueError("budget_seconds must be a positive number of seconds")


@dataclass(frozen=True)
class FieldUpdate:
    """One column write of a bulk update (no etag: ``UpdateMultiple`` has no per-row concurrency)."""

    opportunity_id: str
    field: str
    value: int | float | Decimal


@dataclass(frozen=True)
class FollowUpTask:
    """A Dynamics task regarding an opportunity, for its owner (``owner_type`` systemuser/team)."""

    opportunity_id: str
    subject: str
    description: str
    owner_id: str
    owner_type: str


@dataclass(frozen=True)
class PredictiveScore:
    """One row of Dynamics' score table for an opportunity
    (https://learn.microsoft.com/dynamics365/sales/populate-predictive-scores): ``score`` 0–100,
    ``trend`` 0 improving / 1 steady / 2 declining / 3 not enough info, ``grade`` 0 A … 3 D."""

    opportunity_id: str
    score: int
    trend: int
    grade: int
    scored_on: date
