"""CRM-neutral views of what the cockpit reads from and writes to a CRM. The Dataverse adapter maps
Web API payloads into these; nothing outside ``shared/adapters`` sees an OData annotation."""

from __future__ import annotations

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
    """Who a CRM call is made as.

    ``key`` identifies the principal for per-user concurrency limits and logs (``tid:oid``, never a
    name or e-mail). ``token`` returns a bearer token for a resource (the org URL). For app-only calls
    made on a rep's behalf (timer retries), ``impersonate_object_id`` is sent as ``CallerObjectId``.
    """

    key: str
    token: Callable[[str], Awaitable[str]]
    impersonate_object_id: str | None = None


@dataclass(frozen=True)
class FieldUpdate:
    """One column write, as used by bulk writes."""

    opportunity_id: str
    field: str
    value: int | float | Decimal
    etag: str | None = None


@dataclass(frozen=True)
class BulkResult:
    """Per-record outcome of a bulk write: ``error`` is None on success."""

    opportunity_id: str
    status: int
    error: Exception | None
