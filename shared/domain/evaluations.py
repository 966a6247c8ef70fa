"""Evaluations: each time a rep answers the criteria, the answers, the probability they produce, who
and when, the exact solution version — and what happened when it was written to the CRM.

Solution versions are immutable, so the explanation (each criterion's contribution) is recomputed
from ``answers`` + ``solution`` whenever it is shown; only the headline probability is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from shared.domain.solutions import SolutionRef


class WritebackStatus(StrEnum):
    PENDING = "pending"  # stored, CRM write not attempted yet (or outcome not recorded)
    WRITTEN = "written"
    UNCHANGED = "unchanged"  # CRM already holds this value: nothing written
    SKIPPED_CLOSED = "skipped_closed"  # won/lost and the policy says do not write
    FAILED = "failed"  # CRM refused; ``code`` says why (no privilege, secured field, deleted…)
    RETRYING = "retrying"  # CRM busy/unavailable: queued for the background retry


@dataclass(frozen=True)
class WritebackOutcome:
    status: WritebackStatus
    field: str | None = None
    value: str | None = None  # the value as written/attempted, as text (exact decimals)
    code: str | None = None  # the domain error code when it failed
    at: datetime | None = None


@dataclass(frozen=True)
class Evaluation:
    evaluation_id: str
    solution: SolutionRef
    answers: dict[str, str]
    probability: Decimal
    evaluated_at: datetime
    evaluator: str  # Entra object id
    writeback: WritebackOutcome

    def with_writeback(self, outcome: WritebackOutcome) -> Evaluation:
        return replace(self, writeback=outcome)


@dataclass(frozen=True)
class OutboxItem:
    """A write-back to retry in the background (Dynamics was busy or unavailable). One per
    project: a newer evaluation replaces an older pending one, since only the newest value matters.
    The retry is made by the app itself *on behalf of* the rep (``CallerObjectId``), so Dynamics
    still applies the rep's own privileges."""

    tenant_id: str
    org: str
    opportunity_id: str
    evaluation_id: str
    evaluator: str
    probability: Decimal
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    etag: str | None = None
