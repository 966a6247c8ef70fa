"""Write-back: bring the newest evaluation's probability into the CRM field an admin chose, and keep
at it until it is there (docs/architecture.md, "Write-back converges").

The rules that make the CRM field end at the newest evaluation, whatever runs concurrently:

1. The intent is stored first: an outbox item per evaluation, *before* the evaluation itself, so a
   crash at any later point leaves work the background timer finishes without anyone clicking.
2. Only the newest evaluation is written. "Newest" is decided in storage (the project's sequence
   number), never by the clocks of different instances. Each attempt reads the opportunity (state,
   current value, ETag), *then* checks that its evaluation is still the newest, then PATCHes with
   ``If-Match``: a newer writer that got in between makes the PATCH fail with 412, and a 412 is
   re-read and retried while the evaluation is still the newest.
3. A writer that finds, after its PATCH, that a newer evaluation exists queues a check of that one
   (its own decision, e.g. "unchanged", may have been made before our PATCH landed).
4. Busy, unreachable, conflicting and signed-out are never final: the background retries them as the
   app *on behalf of* the evaluator (``CallerObjectId``), so Dynamics applies the rep's own
   privileges. Only what a retry cannot fix (no privilege, secured column, deleted record, a column
   that no longer fits) is recorded as failed, with its reason.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from decimal import Decimal

from shared.domain.admin_log import LogEvent, entry, writeback_outcome
from shared.domain.crm import CrmCaller, Opportunity
from shared.domain.errors import (
    CockpitError,
    CrmBusy,
    CrmConflict,
    CrmRecordNotFound,
    CrmUnavailable,
    IdentityUnavailable,
    ReauthRequired,
    StorageUnavailable,
)
from shared.domain.evaluations import Evaluation, OutboxItem, WritebackOutcome, WritebackStatus
from shared.domain.identity import Principal
from shared.domain.org_settings import DEFAULT_TARGET_FIELD, OrgSettings
from shared.domain.orgs import CrmOrg
from shared.domain.projects import ProjectKey
from shared.domain.writeback import WriteAction, check_target_field, decide_write, to_field_value
from shared.ports import (
    Clock,
    CrmCallers,
    CrmGateway,
    EvaluationStore,
    OrgSettingsStore,
    OutboxStore,
    WritebackLogStore,
)
from shared.services.orgs import OrgDirectory
from shared.telemetry import WritebackOutcome as MeasuredOutcome
from shared.telemetry import record_outbox_backlog, record_writeback_outcome

log = logging.getLogger("cockpit.writeback")

# The interactive attempt normally settles within seconds; the timer leaves an item alone this long
# so it does not race the request that is still writing it (a race would be harmless, see rule 2).
DEFAULT_GRACE = timedelta(minutes=2)
# The one backoff for background retries: 1, 2, 4 … minutes, at most an hour apart, never giving up
# on something a retry can fix.
BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=1)
# Re-reads after a 412 within one attempt, before the rest is left to the background.
CONFLICT_ROUNDS = 3
# What a retry can fix: the CRM was busy or unreachable, the record kept changing, or the user's
# token could not be refreshed (the background writes as the app on the rep's behalf).
_RETRYABLE: tuple[type[CockpitError], ...] = (
    CrmBusy,
    CrmUnavailable,
    CrmConflict,
    ReauthRequired,
    IdentityUnavailable,
    StorageUnavailable,
)


def backoff(attempts: int) -> timedelta:
    """Delay before the next background attempt after ``attempts`` earlier ones."""
    delay: timedelta = BACKOFF_FIRST * 2 ** min(attempts, 12)
    return min(delay, BACKOFF_MAX)


def background_principal(tenant_id: str) -> Principal:
    """The app itself; every background write names the rep it acts for."""
    return Principal(kind="app", tenant_id=tenant_id, object_id="cockpit-background")


class WritebackService:
    def __init__(
        self,
        *,
        evaluations: EvaluationStore,
        outbox: OutboxStore,
        org_settings: OrgSettingsStore,
        crm: CrmGateway,
        callers: CrmCallers,
        orgs: OrgDirectory,
        clock: Clock,
        grace: timedelta = DEFAULT_GRACE,
        interactive_budget_seconds: float | None = None,
        log: WritebackLogStore | None = None,
    ) -> None:
        self._evaluations = evaluations
        self._outbox = outbox
        self._settings = org_settings
        self._crm = crm
        self._callers = callers
        self._orgs = orgs
        self._clock = clock
        self._grace = grace
        self._budget = interactive_budget_seconds
        # Every outcome goes to the administrator's write-back log (docs/architecture.md,
        # "Admin console"); None only for tests that do not look at it.
        self._log = log

    # --- the interactive path --------------------------------------------------------------------
    async def remember_intent(self, key: ProjectKey, evaluation_id: str) -> OutboxItem:
        """Rule 1: store the intent to write before anything else can fail."""
        now = self._clock.now()
        return await self._outbox.put(
            OutboxItem(
                key=key,
                evaluation_id=evaluation_id,
                attempts=0,
                next_attempt_at=now + self._grace,
                created_at=now,
            )
        )

    async def deliver(
        self,
        *,
        principal: Principal,
        org: CrmOrg,
        key: ProjectKey,
        evaluation: Evaluation,
        item: OutboxItem,
    ) -> Evaluation:
        """Write ``evaluation`` as the signed-in user within the interactive budget, record the
        outcome and settle its outbox item. CRM problems never raise: the outcome says them."""
        caller = self._callers.caller(principal, org, budget_seconds=self._budget)
        outcome, wrote = await self._attempt(caller=caller, org=org, key=key, evaluation=evaluation)
        _measure(outcome, background=False, org=org.name)
        settled = await self._settle(
            key, evaluation.with_writeback(outcome), item=item, wrote=wrote
        )
        await self._record(key, settled, background=False)
        return settled

    # --- the background path ---------------------------------------------------------------------
    async def process_queue(self, *, limit: int = 50) -> dict[str, int]:
        """The timer's job: finish every due write-back. One broken item never stops the others."""
        counts = {"written": 0, "settled": 0, "dropped": 0, "retrying": 0, "errors": 0}
        for item in await self._outbox.due(now=self._clock.now(), limit=limit):
            try:
                counts[await self._process(item)] += 1
            except Exception as err:  # e.g. storage down mid-item: the item stays due
                counts["errors"] += 1
                log.warning(
                    "background write-back could not run",
                    extra={"fields": {"error": err.__class__.__name__, "detail": str(err)[:200]}},
                )
        await self._measure_backlog()
        return counts

    async def _measure_backlog(self) -> None:
        """What operators watch (docs/operations.md): how many wait, and since when."""
        now = self._clock.now()
        waiting = await self._outbox.due(now=now + timedelta(days=3650), limit=1000)
        oldest = min((i.created_at for i in waiting), default=now)
        record_outbox_backlog(
            pending=len(waiting), oldest_age_seconds=(now - oldest).total_seconds()
        )

    async def _process(self, item: OutboxItem) -> str:
        org = self._orgs.find(tenant_id=item.key.tenant_id, name=item.key.org)
        history = await self._evaluations.latest(item.key, limit=1)
        newest = history[0] if history else None
        if org is None or newest is None or newest.evaluation_id != item.evaluation_id:
            await self._drop(item)
            return "dropped"
        caller = self._callers.caller(
            background_principal(item.key.tenant_id), org, impersonate=newest.evaluator
        )
        outcome, wrote = await self._attempt(
            caller=caller, org=org, key=item.key, evaluation=newest
        )
        settled = await self._settle(
            item.key, newest.with_writeback(outcome), item=item, wrote=wrote
        )
        await self._record(item.key, settled, background=True, attempt=item.attempts + 1)
        if settled.writeback.status is WritebackStatus.WRITTEN:
            return "written"
        return "settled" if settled.writeback.status.settled else "retrying"

    async def _drop(self, item: OutboxItem) -> None:
        """The item's evaluation is not the newest (or was never stored: a crash between the
        intent and the evaluation). Mark it superseded if it is still waiting, then forget it."""
        for evaluation in await self._evaluations.latest(item.key, limit=20):
            if evaluation.evaluation_id == item.evaluation_id:
                if not evaluation.writeback.status.settled:
                    outcome = self._outcome(WritebackStatus.SUPERSEDED)
                    superseded = evaluation.with_writeback(outcome)
                    await self._evaluations.record_writeback(item.key, superseded)
                    await self._record(item.key, superseded, background=True)
                break
        await self._outbox.remove(item)

    async def retry_now(self, key: ProjectKey) -> str | None:
        """An administrator's "retry now": queue the project's newest evaluation as due at once
        and run it as the timer would (as the app on behalf of the rep, so Dynamics applies the
        rep's own rights). None when there is nothing to write; else the timer's category."""
        history = await self._evaluations.latest(key, limit=1)
        if not history:
            return None
        now = self._clock.now()
        item = await self._outbox.put(
            OutboxItem(
                key=key,
                evaluation_id=history[0].evaluation_id,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
        return await self._process(item)

    async def _record(
        self,
        key: ProjectKey,
        evaluation: Evaluation,
        *,
        background: bool,
        attempt: int | None = None,
    ) -> None:
        """One log entry per outcome; the log never stops or fails a write-back."""
        if self._log is None:
            return
        outcome = evaluation.writeback
        try:
            await self._log.append(
                entry(
                    tenant_id=key.tenant_id,
                    org=key.org,
                    at=self._clock.now(),
                    event=LogEvent.WRITEBACK,
                    outcome=writeback_outcome(outcome.status, outcome.code, background=background),
                    user=evaluation.evaluator,
                    opportunity_id=key.opportunity_id,
                    code=outcome.code,
                    column=outcome.field,
                    value=outcome.value,
                    attempt=attempt,
                    params={"evaluation": evaluation.evaluation_id},
                )
            )
        except Exception as err:
            log.warning(
                "write-back log entry lost",
                extra={"fields": {"error": err.__class__.__name__, "detail": str(err)[:200]}},
            )

    # --- one attempt -----------------------------------------------------------------------------
    async def _attempt(
        self, *, caller: CrmCaller, org: CrmOrg, key: ProjectKey, evaluation: Evaluation
    ) -> tuple[WritebackOutcome, bool]:
        """(outcome, whether a PATCH went out). Never raises CRM errors."""
        settings = await self._settings.get(tenant_id=key.tenant_id, org=key.org)
        field_name = settings.target_field
        value: int | float | Decimal | None = None
        try:
            field = await self._crm.field_info(org=org, field=field_name, caller=caller)
            check_target_field(field).require_ok()
            value = to_field_value(evaluation.probability, field)
            for _ in range(CONFLICT_ROUNDS):
                opportunity = await self._read(caller, org, key, settings)
                if not await self._still_newest(key, evaluation):
                    return self._outcome(WritebackStatus.SUPERSEDED, field_name, value), False
                decision = decide_write(
                    state=opportunity.state,
                    policy=settings.closed_policy,
                    current=current_value(opportunity, field_name),
                    new=value,
                    field=field,
                )
                if decision.action is WriteAction.SKIP_CLOSED:
                    status, code = WritebackStatus.SKIPPED_CLOSED, "crm_record_closed"
                    return self._outcome(status, field_name, value, code), False
                if decision.action is WriteAction.SKIP_UNCHANGED:
                    return self._outcome(WritebackStatus.UNCHANGED, field_name, value), False
                try:
                    await self._crm.write_number(
                        org=org,
                        opportunity_id=key.opportunity_id,
                        field=field_name,
                        value=value,
                        caller=caller,
                        etag=opportunity.etag,
                    )
                except CrmConflict:
                    continue  # someone saved the record between our read and write: read again
                log.info("probability written", extra={"fields": {"org": org.name}})
                return self._outcome(WritebackStatus.WRITTEN, field_name, value), True
            raise CrmConflict("the opportunity kept changing")
        except _RETRYABLE as err:
            return self._outcome(WritebackStatus.RETRYING, field_name, value, err.code), False
        except CrmRecordNotFound as err:
            # Before a value exists, a 404 is the metadata's: the column itself is gone.
            code = "target_field_refused" if value is None else err.code
            return self._outcome(WritebackStatus.FAILED, field_name, value, code), False
        except CockpitError as err:
            log.info("write-back refused", extra={"fields": {"code": err.code}})
            return self._outcome(WritebackStatus.FAILED, field_name, value, err.code), False

    async def _read(
        self, caller: CrmCaller, org: CrmOrg, key: ProjectKey, settings: OrgSettings
    ) -> Opportunity:
        extra = [] if settings.target_field == DEFAULT_TARGET_FIELD else [settings.target_field]
        return await self._crm.get_opportunity(
            org=org, opportunity_id=key.opportunity_id, caller=caller, extra_fields=extra
        )

    async def _still_newest(self, key: ProjectKey, evaluation: Evaluation) -> bool:
        newest = await self._evaluations.latest(key, limit=1)
        return not newest or newest[0].seq <= evaluation.seq

    async def _settle(
        self, key: ProjectKey, evaluation: Evaluation, *, item: OutboxItem, wrote: bool
    ) -> Evaluation:
        """Record the outcome, then decide what the queue still owes this project."""
        await self._evaluations.record_writeback(key, evaluation)
        history = await self._evaluations.latest(key, limit=1)
        newest = history[0] if history else evaluation
        if newest.seq > evaluation.seq:
            if wrote:  # rule 3: our PATCH may have landed after the newer one decided
                await self._outbox.put(
                    OutboxItem(
                        key=key,
                        evaluation_id=newest.evaluation_id,
                        attempts=0,
                        next_attempt_at=self._clock.now(),
                        created_at=self._clock.now(),
                    )
                )
            await self._outbox.remove(item)
        elif evaluation.writeback.status.settled:
            await self._outbox.remove(item)
        else:
            await self._outbox.reschedule(
                item, next_attempt_at=self._clock.now() + backoff(item.attempts)
            )
        return evaluation

    def _outcome(
        self,
        status: WritebackStatus,
        field: str | None = None,
        value: int | float | Decimal | None = None,
        code: str | None = None,
    ) -> WritebackOutcome:
        return WritebackOutcome(
            status=status,
            field=field,
            value=None if value is None else str(value),
            code=code,
            at=self._clock.now(),
        )


def _measure(outcome: WritebackOutcome, *, background: bool, org: str) -> None:
    status = outcome.status
    measured: MeasuredOutcome
    if status is WritebackStatus.WRITTEN:
        measured = "written"
    elif status is WritebackStatus.FAILED:
        measured = "failed"
    elif status is WritebackStatus.RETRYING:
        measured = "conflict" if outcome.code == "crm_conflict" else "queued"
    else:
        measured = "skipped"
    record_writeback_outcome(outcome=measured, background=background, org=org)


def current_value(opportunity: Opportunity | None, field: str) -> Decimal | None:
    """The CRM's current value of the target field, as the read returned it."""
    if opportunity is None:
        return None
    if field == DEFAULT_TARGET_FIELD:
        return None if opportunity.probability is None else Decimal(opportunity.probability)
    return opportunity.extra_values.get(field)


def new_evaluation_id() -> str:
    return uuid.uuid4().hex
