"""Bulk re-write: copy every project's current probability into the org's (new) target column, as
the administrator, through ``UpdateMultiple`` (docs/architecture.md, "Admin console").

Costs, for N projects: one paged read of the org's opportunities per run (id, state and the target
column — 5,000 rows per request) and one ``UpdateMultiple`` per 1,000 records to write; 10,000
projects take a dozen requests instead of 10,000 PATCHes. A record Dynamics refuses makes the whole
``UpdateMultiple`` roll back (bulk-operations, "On Error behavior with standard tables"), so a
refused batch is halved until the refusing records are found: each costs about two requests per
halving, the rest are written.

Resumable: the job's cursor (the last opportunity id finished; projects go in id order) is saved
after every batch, ETag-conditionally, so a run that stops — the administrator closed the page, a
run's time or batch budget ran out, Dynamics stayed busy past the transport's Retry-After waits,
the worker died — is continued from there by the next run and nothing is written twice. Dynamics
decides what the administrator may write: records it refuses are logged, never forced.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence

from shared.domain.admin_log import LogEvent, LogOutcome, entry
from shared.domain.bulk import (
    BATCH_SIZE,
    COUNT_KEYS,
    BulkJob,
    BulkStatus,
    ProjectScore,
    RecordAction,
    batches,
    plan_record,
    remaining,
)
from shared.domain.crm import CrmCaller, FieldInfo, FieldUpdate
from shared.domain.crm_admin import OpportunityRow
from shared.domain.errors import (
    CockpitError,
    Conflict,
    CrmBusy,
    CrmUnavailable,
    IdentityUnavailable,
    NotFound,
    ReauthRequired,
    StorageUnavailable,
)
from shared.domain.identity import Principal
from shared.domain.orgs import CrmOrg
from shared.domain.writeback import ClosedPolicy, check_target_field
from shared.ports import (
    AdminStateStore,
    Clock,
    CrmAdminGateway,
    CrmCallers,
    CrmGateway,
    OrgSettingsStore,
    ProjectDirectory,
    WritebackLogStore,
)
from shared.services.admin_common import append_quietly, require_admin

# What ends a run but not the job: the next run retries.
_RESUMABLE = (CrmBusy, CrmUnavailable, ReauthRequired, IdentityUnavailable, StorageUnavailable)
RUN_SECONDS = 20.0  # one HTTP request drives at most this long; the page asks again


class BulkService:
    def __init__(
        self,
        *,
        crm: CrmGateway,
        crm_admin: CrmAdminGateway,
        callers: CrmCallers,
        directory: ProjectDirectory,
        org_settings: OrgSettingsStore,
        state: AdminStateStore,
        log: WritebackLogStore | None,
        clock: Clock,
        admin_role: str,
        batch_size: int = BATCH_SIZE,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._crm = crm
        self._admin = crm_admin
        self._callers = callers
        self._directory = directory
        self._settings = org_settings
        self._state = state
        self._log = log
        self._clock = clock
        self._role = admin_role
        self._batch_size = batch_size
        self._monotonic = monotonic

    async def job(self, *, principal: Principal, org: CrmOrg) -> BulkJob | None:
        require_admin(principal, self._role)
        return await self._state.bulk_job(tenant_id=principal.tenant_id, org=org.name)

    async def overview(self, *, principal: Principal, org: CrmOrg) -> tuple[BulkJob | None, str]:
        """The org's job (if any) and its current target column."""
        job = await self.job(principal=principal, org=org)
        settings = await self._settings.get(tenant_id=principal.tenant_id, org=org.name)
        return job, settings.target_field

    async def start(self, *, principal: Principal, org: CrmOrg) -> BulkJob:
        """A new job for the org's current target column (one for the same column must finish
        first)."""
        require_admin(principal, self._role)
        current = await self._state.bulk_job(tenant_id=principal.tenant_id, org=org.name)
        settings = await self._settings.get(tenant_id=principal.tenant_id, org=org.name)
        if (
            current is not None
            and current.status is not BulkStatus.FINISHED
            and current.column == settings.target_field
        ):
            # Unfinished work for this very column is continued, not started over; a job for a
            # column that is no longer the target is obsolete and is replaced.
            raise Conflict("a bulk re-write is not finished yet", code="bulk_running")
        caller = self._callers.caller(principal, org)
        info = await self._crm.field_info(org=org, field=settings.target_field, caller=caller)
        check_target_field(info).require_ok()
        scores = await self._scores(principal.tenant_id, org.name)
        now = self._clock.now()
        job = BulkJob(
            tenant_id=principal.tenant_id,
            org=org.name,
            job_id=uuid.uuid4().hex,
            column=settings.target_field,
            started_by=principal.object_id,
            started_at=now,
            updated_at=now,
            total=len(scores),
            etag=current.etag if current is not None else None,
        )
        saved = await self._state.save_bulk_job(job)
        await self._event(saved, LogOutcome.BULK_STARTED, principal, counts={"total": len(scores)})
        return saved

    async def run(
        self,
        *,
        principal: Principal,
        org: CrmOrg,
        max_batches: int | None = None,
        seconds: float = RUN_SECONDS,
    ) -> BulkJob:
        """Continue the job from its cursor, batch by batch, until it is done, ``max_batches``
        are written or ``seconds`` have passed; returns the job as saved."""
        require_admin(principal, self._role)
        job = await self._state.bulk_job(tenant_id=principal.tenant_id, org=org.name)
        if job is None or job.status is BulkStatus.FINISHED:
            raise NotFound("no bulk re-write to continue", code="bulk_not_found")
        settings = await self._settings.get(tenant_id=principal.tenant_id, org=org.name)
        if settings.target_field != job.column:
            raise Conflict("the target column changed; start again", code="bulk_column_changed")
        if job.status is BulkStatus.INTERRUPTED:
            job = await self._state.save_bulk_job(
                job.with_status(BulkStatus.RUNNING, at=self._clock.now())
            )
        caller = self._callers.caller(principal, org)
        try:
            return await self._run(job, org, caller, settings.closed_policy, max_batches, seconds)
        except _RESUMABLE as err:
            latest = await self._state.bulk_job(tenant_id=job.tenant_id, org=job.org) or job
            stopped = await self._state.save_bulk_job(
                latest.with_status(BulkStatus.INTERRUPTED, at=self._clock.now(), error=err.code)
            )
            await self._event(stopped, LogOutcome.BULK_INTERRUPTED, principal, code=err.code)
            return stopped

    async def _run(
        self,
        job: BulkJob,
        org: CrmOrg,
        caller: CrmCaller,
        policy: ClosedPolicy,
        max_batches: int | None,
        seconds: float,
    ) -> BulkJob:
        began = self._monotonic()
        info = await self._crm.field_info(org=org, field=job.column, caller=caller)
        check_target_field(info).require_ok()
        todo = remaining(await self._scores(job.tenant_id, job.org), job.cursor)
        rows = await self._rows(org, caller, job.column, {s.opportunity_id for s in todo})
        done = 0
        for batch in batches(todo, self._batch_size):
            if (max_batches is not None and done >= max_batches) or (
                self._monotonic() - began > seconds
            ):
                return job
            job = await self._batch(job, org, caller, batch, rows, info, policy)
            done += 1
        finished = await self._state.save_bulk_job(
            job.with_status(BulkStatus.FINISHED, at=self._clock.now())
        )
        await self._event(finished, LogOutcome.BULK_FINISHED, None, counts=finished.counts)
        return finished

    async def _batch(
        self,
        job: BulkJob,
        org: CrmOrg,
        caller: CrmCaller,
        batch: list[ProjectScore],
        rows: dict[str, OpportunityRow],
        info: FieldInfo,
        policy: ClosedPolicy,
    ) -> BulkJob:
        added = dict.fromkeys(COUNT_KEYS, 0)
        updates: list[FieldUpdate] = []
        for score in batch:
            action, value = plan_record(
                score, rows.get(score.opportunity_id), info=info, policy=policy
            )
            if action is RecordAction.WRITE:
                updates.append(FieldUpdate(score.opportunity_id, info.logical_name, value))
            else:
                added[action.value] += 1
        written, refused = await self._write(org, caller, updates)
        added["written"] += written
        added["failed"] += len(refused)
        for update, err in refused:
            await append_quietly(
                self._log,
                entry(
                    tenant_id=job.tenant_id,
                    org=job.org,
                    at=self._clock.now(),
                    event=LogEvent.BULK,
                    outcome=LogOutcome.BULK_RECORD_FAILED,
                    user=job.started_by,
                    opportunity_id=update.opportunity_id,
                    code=err.code,
                    column=update.field,
                    value=str(update.value),
                ),
            )
        saved = await self._state.save_bulk_job(
            job.progressed(cursor=batch[-1].opportunity_id, added=added, at=self._clock.now())
        )
        await self._event(saved, LogOutcome.BULK_BATCH, None, counts=added)
        return saved

    async def _write(
        self, org: CrmOrg, caller: CrmCaller, updates: Sequence[FieldUpdate]
    ) -> tuple[int, list[tuple[FieldUpdate, CockpitError]]]:
        """Write all; when Dynamics refuses the batch, halve it to find the refused records."""
        if not updates:
            return 0, []
        try:
            await self._crm.update_many(org=org, updates=updates, caller=caller)
            return len(updates), []
        except _RESUMABLE:
            raise
        except CockpitError as err:
            if len(updates) == 1:
                return 0, [(updates[0], err)]
        middle = len(updates) // 2
        first = await self._write(org, caller, updates[:middle])
        second = await self._write(org, caller, updates[middle:])
        return first[0] + second[0], first[1] + second[1]

    async def _scores(self, tenant_id: str, org: str) -> list[ProjectScore]:
        newest = await self._directory.histories(tenant_id=tenant_id, org=org, newest_only=True)
        return [
            ProjectScore(opportunity_id=opportunity_id, probability=history[0].probability)
            for opportunity_id, history in newest.items()
            if history
        ]

    async def _rows(
        self, org: CrmOrg, caller: CrmCaller, column: str, wanted: set[str]
    ) -> dict[str, OpportunityRow]:
        """State and current value of the wanted opportunities, as the administrator may read
        them (one request per page of the org's opportunities)."""
        rows: dict[str, OpportunityRow] = {}
        async for page in self._admin.opportunity_pages(org=org, caller=caller, fields=[column]):
            rows.update((r.id, r) for r in page if r.id in wanted)
        return rows

    async def _event(
        self,
        job: BulkJob,
        outcome: LogOutcome,
        principal: Principal | None,
        *,
        code: str | None = None,
        counts: Mapping[str, int] | None = None,
    ) -> None:
        await append_quietly(
            self._log,
            entry(
                tenant_id=job.tenant_id,
                org=job.org,
                at=self._clock.now(),
                event=LogEvent.BULK,
                outcome=outcome,
                user=principal.object_id if principal is not None else job.started_by,
                column=job.column,
                code=code,
                params={"job": job.job_id, **(counts or {})},
            ),
        )
