"""The admin console's stores and reads: the write-back log, admin state, drafts, org-wide views.

Every method raises only errors from ``shared.domain.errors``."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from shared.domain.admin_log import LogEntry, LogFilter, LogLevel, LogPage
from shared.domain.bulk import BulkJob
from shared.domain.evaluations import Evaluation
from shared.domain.projects import Project
from shared.domain.versions import PublishedVersion, StoredDraft, VersionExtras


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
