"""What the services need from the outside world, as Protocols. Adapters in ``shared/adapters``
implement them against Azure Tables, Dataverse and Entra ID; unit tests use in-memory fakes.

Every method raises only errors from ``shared.domain.errors``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from shared.domain.admin_log import LogEntry, LogFilter, LogLevel, LogPage
from shared.domain.bulk import BulkJob
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
from shared.domain.evaluations import Evaluation, OutboxItem
from shared.domain.identity import LoginResult, Principal, Session, TokenResult
from shared.domain.my_projects import MyProject
from shared.domain.org_settings import OrgSettings
from shared.domain.orgs import CrmOrg
from shared.domain.projects import Project, ProjectKey
from shared.domain.solutions import Solution
from shared.domain.versions import PublishedVersion, StoredDraft, VersionExtras


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


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


class ProjectStore(Protocol):
    async def get(self, key: ProjectKey) -> Project | None:
        """Point read; None when the opportunity has no project yet."""
        ...

    async def create_or_open(self, project: Project) -> tuple[Project, bool]:
        """Atomically insert unless the key exists; returns (stored project, created?)."""
        ...

    async def update(self, project: Project) -> Project:
        """ETag-conditional replace; raises Conflict when someone changed it meanwhile."""
        ...

    async def delete(self, key: ProjectKey) -> None:
        """Remove the project row (absent is fine)."""
        ...


class HealthProbe(Protocol):
    async def ping(self) -> None:
        """Raise StorageUnavailable unless storage answers."""
        ...


class SessionStore(Protocol):
    async def get(self, id_hash: str) -> Session | None: ...

    async def purge_expired(self, *, now: datetime) -> int:
        """Delete sessions past their absolute expiry; returns how many."""
        ...

    async def create(self, session: Session) -> None: ...

    async def touch(self, session: Session) -> None:
        """Persist a newer ``last_seen_at`` (best effort)."""
        ...

    async def delete(self, id_hash: str) -> None: ...


class LoginFlowStore(Protocol):
    async def put(self, *, state: str, flow: Mapping[str, Any], expires_at: datetime) -> None: ...

    async def purge_expired(self, *, now: datetime) -> int: ...

    async def take(self, *, state: str, now: datetime) -> dict[str, Any] | None:
        """Return and consume the flow (single use); None if unknown, used or expired."""
        ...


class TokenCacheStore(Protocol):
    async def get(self, *, tenant_id: str, object_id: str) -> tuple[str, str] | None:
        """(serialised MSAL cache, etag) or None."""
        ...

    async def put(self, *, tenant_id: str, object_id: str, cache: str, etag: str | None) -> str:
        """Store; ``etag`` None creates. Raises Conflict on a concurrent write. Returns the etag."""
        ...


class IdentityProvider(Protocol):
    """Entra ID as the services need it (MSAL in production)."""

    async def start_login(
        self,
        *,
        scopes: Sequence[str],
        redirect_uri: str,
        login_hint: str | None = None,
        prompt: str | None = None,
    ) -> dict[str, Any]:
        """An auth-code flow dict (with ``state`` and ``auth_uri``) to store until the callback."""
        ...

    async def finish_login(
        self, *, flow: Mapping[str, Any], response: Mapping[str, str], cache: str | None
    ) -> LoginResult:
        """Redeem the code. Raises SignInFailed."""
        ...

    async def acquire_silent(
        self,
        *,
        cache: str,
        home_account_id: str,
        tenant_id: str,
        scopes: Sequence[str],
        force_refresh: bool = False,
    ) -> TokenResult:
        """Raises ReauthRequired when only an interactive sign-in can help; ``force_refresh``
        skips cached access tokens (the resource refused one)."""
        ...

    async def acquire_on_behalf_of(
        self, *, assertion: str, tenant_id: str, scopes: Sequence[str]
    ) -> TokenResult: ...

    async def acquire_for_app(self, *, tenant_id: str, scopes: Sequence[str]) -> TokenResult: ...


class BearerTokenVerifier(Protocol):
    async def verify(self, token: str) -> Principal:
        """Raises NotSignedIn (invalid token) or Forbidden (missing scope)."""
        ...


class EvaluationStore(Protocol):
    async def append(self, key: ProjectKey, evaluation: Evaluation) -> Evaluation:
        """Store ``evaluation`` as the project's newest, with the next sequence number (decided by
        a conditional insert, so concurrent appends get distinct numbers); returns it with ``seq``."""
        ...

    async def record_writeback(self, key: ProjectKey, evaluation: Evaluation) -> None:
        """Replace the stored outcome with ``evaluation.writeback`` (every field, none kept)."""
        ...

    async def latest(self, key: ProjectKey, *, limit: int = 20) -> list[Evaluation]:
        """Newest first."""
        ...

    async def delete_all(self, key: ProjectKey) -> int:
        """Remove every evaluation of the project; returns how many."""
        ...


class OrgSettingsStore(Protocol):
    async def get(self, *, tenant_id: str, org: str) -> OrgSettings:
        """Saved settings, or the defaults."""
        ...

    async def save(self, settings: OrgSettings) -> OrgSettings:
        """ETag-conditional; raises Conflict when another admin saved meanwhile."""
        ...


class SolutionStore(Protocol):
    async def get(self, *, tenant_id: str, solution_id: str, version: int) -> Solution: ...

    async def available(self, *, tenant_id: str) -> list[Solution]:
        """Newest version of each assignable solution."""
        ...

    async def publish(
        self, *, tenant_id: str, solution: Solution, by: str, at: datetime
    ) -> None: ...


class OutboxStore(Protocol):
    async def put(self, item: OutboxItem) -> OutboxItem:
        """Store (or replace) the item for its evaluation; returns it with its ETag."""
        ...

    async def due(self, *, now: datetime, limit: int = 50) -> list[OutboxItem]: ...

    async def reschedule(self, item: OutboxItem, *, next_attempt_at: datetime) -> None:
        """Count an attempt and move the item; a no-op when it changed or vanished meanwhile."""
        ...

    async def remove(self, item: OutboxItem) -> None:
        """Delete unless it changed meanwhile (ETag)."""
        ...


class MyProjectsStore(Protocol):
    """Which projects each person created or evaluated ("My cockpit")."""

    async def record(self, entry: MyProject) -> None:
        """Upsert the person's entry; ``created``/``evaluated`` only ever become true."""
        ...

    async def of_user(self, *, tenant_id: str, user: str) -> list[MyProject]:
        """The person's entries (one partition query), in no particular order."""
        ...

    async def forget(self, *, user: str, key: ProjectKey) -> None:
        """Remove the person's entry for a project (absent is fine)."""
        ...


# --- the admin console ------------------------------------------------------------------------------


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


class WritebackLogStore(Protocol):
    """The append-only write-back log, one partition per org, newest first."""

    async def append(self, entry: LogEntry) -> None: ...

    async def page(
        self,
        *,
        tenant_id: str,
        org: str,
        filters: LogFilter,
        cursor: str | None = None,
        limit: int = 50,
    ) -> LogPage:
        """Up to ``limit`` matching entries older than ``cursor`` (None: the newest)."""
        ...

    async def counts(self, *, tenant_id: str, org: str, since: datetime) -> dict[LogLevel, int]:
        """How many entries of each level since ``since``."""
        ...

    async def purge(self, *, tenant_id: str, org: str, before: datetime) -> int:
        """Delete entries older than ``before``; returns how many."""
        ...


class AdminStateStore(Protocol):
    """Small per-org records of the admin console: the bulk job, log retention, last health."""

    async def bulk_job(self, *, tenant_id: str, org: str) -> BulkJob | None: ...

    async def save_bulk_job(self, job: BulkJob) -> BulkJob:
        """ETag-conditional (None creates); Conflict when another run changed it meanwhile."""
        ...

    async def retention_days(self, *, tenant_id: str, org: str) -> int:
        """The log retention in days (the default when never set)."""
        ...

    async def save_retention_days(self, *, tenant_id: str, org: str, days: int) -> None: ...

    async def health_failures(self, *, tenant_id: str, org: str) -> frozenset[str] | None:
        """The check ids that failed at the last health run (None: never ran)."""
        ...

    async def save_health_failures(
        self, *, tenant_id: str, org: str, failing: frozenset[str], at: datetime
    ) -> None: ...


class ProjectDirectory(Protocol):
    """Org-wide reads of the cockpit's own data (one paged range query each)."""

    async def projects(self, *, tenant_id: str, org: str) -> list[Project]: ...

    async def histories(
        self, *, tenant_id: str, org: str, newest_only: bool = False
    ) -> dict[str, list[Evaluation]]:
        """Evaluations per opportunity id, newest first (only the newest with ``newest_only``)."""
        ...


class SolutionCatalog(Protocol):
    async def versions(self, *, tenant_id: str) -> list[PublishedVersion]:
        """Every version the tenant can see (built-in and published), with who and when."""
        ...


class DraftStore(Protocol):
    async def get(self, *, tenant_id: str, solution_id: str) -> StoredDraft | None: ...

    async def all(self, *, tenant_id: str) -> list[StoredDraft]: ...

    async def save(self, draft: StoredDraft) -> StoredDraft:
        """ETag-conditional (None creates); Conflict when someone saved meanwhile."""
        ...

    async def delete(self, *, tenant_id: str, solution_id: str) -> None: ...

    async def extras(
        self, *, tenant_id: str, solution_id: str, version: int
    ) -> VersionExtras | None: ...

    async def save_extras(self, *, tenant_id: str, extras: VersionExtras) -> None: ...
