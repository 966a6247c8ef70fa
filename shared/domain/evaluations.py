"""Evaluations: each time a rep answers the criteria, the answers, the probability they produce, who
and when, the exact solution version — and what happened when it was written to the CRM.

Solution versions are immutable, so the explanation (each criterion's contribution) is recomputed
from ``answers`` + ``solution`` whenever it is shown; only the headline probability is stored.

Order is decided in storage, not by clocks: each evaluation of a project gets the next sequence
number (``seq``) by a conditional insert, so of two concurrent evaluations exactly one is the newer.
Only the newest evaluation of a project is ever written to the CRM (docs/architecture.md,
"Write-back converges").
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from shared.domain.projects import ProjectKey
from shared.domain.solutions import SolutionRef


class WritebackStatus(StrEnum):
    PENDING = "pending"  # stored with the intent to write; the write has not finished yet
    WRITTEN = "written"
    UNCHANGED = "unchanged"  # CRM already holds this value: nothing written
    SKIPPED_CLOSED = "skipped_closed"  # won/lost and the policy says do not write
    SUPERSEDED = "superseded"  # a newer evaluation came before this one was written
    FAILED = "failed"  # CRM refused for a reason a retry cannot fix; ``code`` says why
    RETRYING = "retrying"  # busy, unreachable, conflicting or signed out: the background retries

    @property
    def settled(self) -> bool:
        """Nothing more will happen to this write unless someone acts."""
        return self not in (WritebackStatus.PENDING, WritebackStatus.RETRYING)


@dataclass(frozen=True)
class WritebackOutcome:
    status: WritebackStatus
    field: str | None = None
    value: str | None = None  # the value as written/attempted, as text (exact decimals)
    code: str | None = None  # the domain error code when it failed or is retried
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
    seq: int = 0  # the project's sequence number; 0 until the store assigned one

    def with_writeback(self, outcome: WritebackOutcome) -> Evaluation:
        return replace(self, writeback=outcome)


@dataclass(frozen=True)
class OutboxItem:
    """The intent to bring one evaluation into the CRM, stored *before* the evaluation itself, so a
    crash at any later point leaves work the background timer finishes. One item per evaluation:
    an item whose evaluation is no longer the project's newest is dropped (and the evaluation marked
    superseded); the newest evaluation's item is written as the app on behalf of the rep
    (``CallerObjectId``), so Dynamics still applies the rep's own privileges."""

    key: ProjectKey
    evaluation_id: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    etag: str | None = None
