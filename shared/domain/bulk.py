"""Bulk re-write: after an administrator changed the target column, copy every project's current
probability (its newest evaluation's) into the new column (docs/architecture.md, "Admin console").

A job belongs to one org and one column, remembers how far it got (``cursor``: the last
opportunity id finished, projects are taken in id order) and what happened so far; it can stop at
any batch boundary and be resumed. The decision per record is the production write-back rule
(:func:`shared.domain.writeback.decide_write`): closed opportunities follow the org's policy, a
value the column already holds is not written again, and the value is rounded for the column by
:func:`shared.domain.writeback.to_field_value`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from shared.domain.crm import FieldInfo
from shared.domain.crm_admin import OpportunityRow
from shared.domain.writeback import ClosedPolicy, WriteAction, decide_write, to_field_value

# Targets per UpdateMultiple request. Microsoft suggests modest batches so one request stays well
# inside the 2-minute execution limit (https://learn.microsoft.com/power-apps/developer/data-platform/bulk-operations);
# 1000 keeps 10,000 projects at 10 write requests.
BATCH_SIZE = 1000
COUNT_KEYS = ("written", "unchanged", "skipped_closed", "not_visible", "failed")


class BulkStatus(StrEnum):
    RUNNING = "running"  # work is left; "continue" goes on from the cursor
    INTERRUPTED = "interrupted"  # stopped by something a retry can fix (busy, unreachable)
    FINISHED = "finished"


class RecordAction(StrEnum):
    WRITE = "write"
    UNCHANGED = "unchanged"
    SKIPPED_CLOSED = "skipped_closed"
    NOT_VISIBLE = "not_visible"  # deleted, or not readable by the administrator


@dataclass(frozen=True)
class BulkJob:
    tenant_id: str
    org: str
    job_id: str
    column: str  # the target column's logical name
    started_by: str  # Entra object id of the administrator
    started_at: datetime
    updated_at: datetime
    status: BulkStatus = BulkStatus.RUNNING
    cursor: str = ""  # the last opportunity id done ("" = none yet)
    total: int = 0  # projects with a probability when the job started
    counts: Mapping[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_KEYS, 0))
    error: str | None = None  # the error code that interrupted it
    etag: str | None = None

    @property
    def done(self) -> int:
        return sum(self.counts.values())

    def progressed(self, *, cursor: str, added: Mapping[str, int], at: datetime) -> BulkJob:
        counts = {k: self.counts.get(k, 0) + added.get(k, 0) for k in COUNT_KEYS}
        return replace(self, cursor=cursor, counts=counts, updated_at=at, error=None)

    def with_status(self, status: BulkStatus, *, at: datetime, error: str | None = None) -> BulkJob:
        return replace(self, status=status, updated_at=at, error=error)


@dataclass(frozen=True)
class ProjectScore:
    """A project's current probability: its newest evaluation's."""

    opportunity_id: str
    probability: Decimal


def plan_record(
    score: ProjectScore,
    row: OpportunityRow | None,
    *,
    info: FieldInfo,
    policy: ClosedPolicy,
) -> tuple[RecordAction, int | float | Decimal]:
    """What to do with one project, and the value for the column (rounded for it)."""
    value = to_field_value(score.probability, info)
    if row is None:
        return RecordAction.NOT_VISIBLE, value
    decision = decide_write(
        state=row.state,
        policy=policy,
        current=row.values.get(info.logical_name),
        new=value,
        field=info,
    )
    if decision.action is WriteAction.SKIP_CLOSED:
        return RecordAction.SKIPPED_CLOSED, value
    if decision.action is WriteAction.SKIP_UNCHANGED:
        return RecordAction.UNCHANGED, value
    return RecordAction.WRITE, value


def remaining(scores: list[ProjectScore], cursor: str) -> list[ProjectScore]:
    """The projects after the cursor, in opportunity-id order."""
    ordered = sorted(scores, key=lambda s: s.opportunity_id)
    return [s for s in ordered if s.opportunity_id > cursor]


def batches(scores: list[ProjectScore], size: int = BATCH_SIZE) -> list[list[ProjectScore]]:
    return [scores[i : i + size] for i in range(0, len(scores), size)]
