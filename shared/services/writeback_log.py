"""The write-back log as administrators use it: filtered pages, CSV export, retention, counts per
level for the health page, and "retry now" (docs/architecture.md, "Admin console").

Entries are written by the services that act (``writeback.py`` for every write-back outcome, the
settings, designer, bulk and health services for theirs). Reading them needs the admin role; the
log holds ids and codes only, and project names are looked up when shown (one point read per
opportunity on a page; one range query for an export).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

from shared.domain.admin_log import (
    LogEntry,
    LogEvent,
    LogFilter,
    LogLevel,
    LogOutcome,
    check_retention,
    entry,
    retention_cutoff,
)
from shared.domain.errors import InvalidInput, NotFound
from shared.domain.identity import Principal
from shared.domain.orgs import CrmOrg
from shared.domain.projects import ProjectKey
from shared.ports import (
    AdminStateStore,
    Clock,
    ProjectDirectory,
    ProjectStore,
    WritebackLogStore,
)
from shared.services.admin_common import append_quietly, require_admin
from shared.services.orgs import OrgDirectory
from shared.services.writeback import WritebackService

PAGE_SIZE = 50
EXPORT_BATCH = 1000
MAX_EXPORT = 100_000
COUNT_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class NamedEntry:
    entry: LogEntry
    project_name: str | None  # the project's current name; None when it has none (any more)


@dataclass(frozen=True)
class LogView:
    entries: list[NamedEntry]
    next_cursor: str | None


class WritebackLogService:
    def __init__(
        self,
        *,
        store: WritebackLogStore,
        state: AdminStateStore,
        projects: ProjectStore,
        directory: ProjectDirectory,
        writeback: WritebackService,
        orgs: OrgDirectory,
        clock: Clock,
        admin_role: str,
    ) -> None:
        self._store = store
        self._state = state
        self._projects = projects
        self._directory = directory
        self._writeback = writeback
        self._orgs = orgs
        self._clock = clock
        self._role = admin_role

    async def page(
        self,
        *,
        principal: Principal,
        org: CrmOrg,
        filters: LogFilter,
        cursor: str | None = None,
        limit: int = PAGE_SIZE,
    ) -> LogView:
        """One page of matching entries, newest first, with project names."""
        require_admin(principal, self._role)
        found = await self._store.page(
            tenant_id=principal.tenant_id, org=org.name, filters=filters, cursor=cursor, limit=limit
        )
        names = await self._names(principal.tenant_id, org.name, found.entries)
        return LogView(
            entries=[NamedEntry(e, names.get(e.opportunity_id or "")) for e in found.entries],
            next_cursor=found.next_cursor,
        )

    async def export(
        self, *, principal: Principal, org: CrmOrg, filters: LogFilter
    ) -> AsyncIterator[NamedEntry]:
        """Every matching entry (at most ``MAX_EXPORT``), newest first, for the CSV download."""
        require_admin(principal, self._role)
        projects = await self._directory.projects(tenant_id=principal.tenant_id, org=org.name)
        names = {p.key.opportunity_id: p.name for p in projects}
        cursor: str | None = None
        sent = 0
        while sent < MAX_EXPORT:
            found = await self._store.page(
                tenant_id=principal.tenant_id,
                org=org.name,
                filters=filters,
                cursor=cursor,
                limit=EXPORT_BATCH,
            )
            for item in found.entries:
                yield NamedEntry(item, names.get(item.opportunity_id or ""))
                sent += 1
            if found.next_cursor is None:
                return
            cursor = found.next_cursor

    async def counts(self, *, principal: Principal, org: CrmOrg) -> dict[LogLevel, int]:
        """Entries per level over the last 24 hours (the health page shows them)."""
        require_admin(principal, self._role)
        return await self._store.counts(
            tenant_id=principal.tenant_id,
            org=org.name,
            since=self._clock.now() - COUNT_WINDOW,
        )

    async def retention(self, *, principal: Principal, org: CrmOrg) -> int:
        require_admin(principal, self._role)
        return await self._state.retention_days(tenant_id=principal.tenant_id, org=org.name)

    async def set_retention(self, *, principal: Principal, org: CrmOrg, days: int) -> int:
        """How long entries are kept (days); the clean-up timer enforces it."""
        require_admin(principal, self._role)
        check_retention(days)
        before = await self._state.retention_days(tenant_id=principal.tenant_id, org=org.name)
        await self._state.save_retention_days(
            tenant_id=principal.tenant_id, org=org.name, days=days
        )
        if before != days:
            await append_quietly(
                self._store,
                entry(
                    tenant_id=principal.tenant_id,
                    org=org.name,
                    at=self._clock.now(),
                    event=LogEvent.RETENTION,
                    outcome=LogOutcome.RETENTION_CHANGED,
                    user=principal.object_id,
                    params={"before": before, "after": days},
                ),
            )
        return days

    async def purge_expired(self, orgs: list[CrmOrg]) -> dict[str, int]:
        """The clean-up timer: remove entries past each org's retention."""
        removed: dict[str, int] = {}
        now = self._clock.now()
        for org in orgs:
            days = await self._state.retention_days(tenant_id=org.tenant_id, org=org.name)
            removed[f"{org.tenant_id}|{org.name}"] = await self._store.purge(
                tenant_id=org.tenant_id, org=org.name, before=retention_cutoff(now, days)
            )
        return removed

    async def retry_now(self, *, principal: Principal, org: CrmOrg, opportunity_id: str) -> str:
        """Write the project's newest evaluation again now, in the background's way: as the app on
        behalf of the rep who evaluated, so Dynamics decides with the rep's rights. The
        administrator learns only how it went (the log says the rest)."""
        require_admin(principal, self._role)
        key = ProjectKey.parse(
            tenant_id=principal.tenant_id, org=org.name, opportunity_id=opportunity_id
        )
        result = await self._writeback.retry_now(key)
        if result is None:
            raise NotFound("nothing to write for this opportunity", code="nothing_to_write")
        return result

    async def _names(self, tenant_id: str, org: str, entries: list[LogEntry]) -> dict[str, str]:
        ids = sorted({e.opportunity_id for e in entries if e.opportunity_id})

        async def name(opportunity_id: str) -> tuple[str, str | None]:
            try:
                key = ProjectKey.parse(tenant_id=tenant_id, org=org, opportunity_id=opportunity_id)
            except InvalidInput:
                return opportunity_id, None
            project = await self._projects.get(key)
            return opportunity_id, project.name if project is not None else None

        pairs = await asyncio.gather(*(name(i) for i in ids))
        return {i: n for i, n in pairs if n is not None}
