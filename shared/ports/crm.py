"""What the services need from the CRM (Dataverse in production), spoken to as a given caller.

Every method raises only errors from ``shared.domain.errors``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from typing import Any, Protocol

from shared.domain.crm import (
    CrmCaller,
    CrmIdentity,
    FieldInfo,
    FieldUpdate,
    FollowUpTask,
    Opportunity,
    PredictiveScore,
)
from shared.domain.crm_admin import ApplicationUser, InstalledSolution, OpportunityRow
from shared.domain.identity import Principal
from shared.domain.orgs import CrmOrg


class CrmGateway(Protocol):
    """A CRM, spoken to as a given caller. Dataverse is the first implementation."""

    async def get_opportunity(
        self,
        *,
        org: CrmOrg,
        opportunity_id: str,
        caller: CrmCaller,
        extra_fields: Sequence[str] = (),
    ) -> Opportunity:
        """Read one opportunity in exactly one request (columns, expanded names, formatted values)."""
        ...

    async def get_opportunities(
        self, *, org: CrmOrg, opportunity_ids: Sequence[str], caller: CrmCaller
    ) -> list[Opportunity]:
        """The opportunities among the ids that the caller may read, in exactly one request (none
        for an empty list). Unreadable and deleted ones are simply absent."""
        ...

    async def user_names(
        self, *, org: CrmOrg, object_ids: Sequence[str], caller: CrmCaller
    ) -> dict[str, str]:
        """Entra object id → the user's full name, as the caller may read users; one request."""
        ...

    async def create_task(self, *, org: CrmOrg, task: FollowUpTask, caller: CrmCaller) -> str:
        """Create a task regarding an opportunity as the caller; returns its id. One request."""
        ...

    async def upsert_predictive_score(
        self, *, org: CrmOrg, score: PredictiveScore, caller: CrmCaller
    ) -> None:
        """Create or update the opportunity's predictive score row; one request. A missing
        table raises CrmRecordNotFound."""
        ...

    async def table_exists(self, *, org: CrmOrg, logical_name: str, caller: CrmCaller) -> bool:
        """Whether the org has the table; one metadata request."""
        ...

    async def write_number(
        self,
        *,
        org: CrmOrg,
        opportunity_id: str,
        field: str,
        value: int | float | Decimal,
        caller: CrmCaller,
        etag: str | None = None,
    ) -> None:
        """Update one numeric column of an existing opportunity (never creates a record).
        ``value`` is already rounded for the column type; a ``Decimal`` is sent with its exact
        digits (Decimal/Money columns), a ``float`` for Double columns."""
        ...

    async def field_info(self, *, org: CrmOrg, field: str, caller: CrmCaller) -> FieldInfo:
        """Metadata of one opportunity column, with type-specific range; cached."""
        ...

    async def numeric_fields(self, *, org: CrmOrg, caller: CrmCaller) -> list[FieldInfo]:
        """All numeric opportunity columns that are valid for update (admin dropdown)."""
        ...

    async def who_am_i(self, *, org: CrmOrg, caller: CrmCaller) -> CrmIdentity:
        """The caller's CRM user (the impersonated rep for an impersonating caller)."""
        ...

    async def check_read(self, *, org: CrmOrg, opportunity_id: str, caller: CrmCaller) -> None:
        """Return if the caller may read the opportunity, in exactly one request; else raise
        CrmRecordNotFound (deleted), CrmAccessDenied (no privilege or record access),
        ReauthRequired, CrmBusy or CrmUnavailable."""
        ...

    async def my_access(
        self, *, org: CrmOrg, opportunity_id: str, caller: CrmCaller
    ) -> frozenset[str]:
        """The caller's rights on the opportunity, e.g. ``{"ReadAccess", "WriteAccess"}``: one
        request once the caller's CRM user id is known (two the first time per caller and org).
        Column security is not included: a secured target field still fails on the write."""
        ...

    async def update_many(
        self, *, org: CrmOrg, updates: Sequence[FieldUpdate], caller: CrmCaller
    ) -> None:
        """Write several columns of several opportunities in one all-or-nothing request."""
        ...


class CrmCallers(Protocol):
    """Makes the :class:`CrmCaller` a CRM call runs as (the sign-in service in production)."""

    def caller(
        self,
        principal: Principal,
        org: CrmOrg,
        *,
        impersonate: str | None = None,
        budget_seconds: float | None = None,
    ) -> CrmCaller: ...


class CrmAdminGateway(Protocol):
    """What the admin console reads from the CRM besides single opportunities."""

    async def installed_solution(
        self, *, org: CrmOrg, unique_name: str, caller: CrmCaller
    ) -> InstalledSolution | None:
        """The solution with this unique name, or None when it is not installed."""
        ...

    async def cockpit_url_variable(self, *, org: CrmOrg, caller: CrmCaller) -> dict[str, Any]:
        """The answer (``{"value": [...]}``) to the query for the package's Cockpit URL
        environment variable with its value (``ENVIRONMENT_VARIABLE_QUERY``)."""
        ...

    async def application_user(
        self, *, org: CrmOrg, app_id: str, caller: CrmCaller
    ) -> ApplicationUser | None:
        """The application user of an app registration (client id), or None."""
        ...

    def opportunity_pages(
        self,
        *,
        org: CrmOrg,
        caller: CrmCaller,
        fields: Sequence[str] = (),
        closed_only: bool = False,
        close_date: bool = False,
    ) -> AsyncIterator[list[OpportunityRow]]:
        """Every opportunity the caller may read (only won/lost ones with ``closed_only``), one
        request per page; ``fields`` are numeric columns to include, ``close_date`` adds the
        actual close date."""
        ...
