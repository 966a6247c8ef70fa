"""The write-back log: an append-only record per CRM org of every write-back attempt and its
outcome, and of every settings, solution, bulk and health event an administrator should see
(docs/architecture.md, "Admin console").

An entry holds identifiers and codes only — the opportunity id, the Entra object id of whoever
acted, the target column's logical name, the value written, a reason code — never CRM field values
or names of people. The project's name is looked up when the log is shown (it may have changed).

Outcomes of a write-back (:func:`writeback_outcome` maps the write-back service's result):

============== ======= ==========================================================================
outcome        level   meaning
============== ======= ==========================================================================
written        info    the probability is in Dynamics (written by the rep's own request)
retried        info    written by a background retry (as the app on behalf of the rep)
unchanged      info    Dynamics already held the value: nothing written
skipped_closed info    won or lost, and the org's policy says do not write
superseded     info    a newer evaluation came first; this one is not written
queued         warning busy (throttled), unreachable, conflicting or signed out: the background
                       retries (``code`` says why, e.g. ``crm_busy``)
no_privilege   error   Dynamics refused: the user lacks a privilege or access to the record
secured        error   column security protects the target column for this user
failed         error   any other refusal a retry cannot fix (deleted record, column unusable)
============== ======= ==========================================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from shared.domain.errors import InvalidInput
from shared.domain.evaluations import WritebackStatus

DEFAULT_RETENTION_DAYS = 90
MIN_RETENTION_DAYS = 1
MAX_RETENTION_DAYS = 3650


class LogLevel(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class LogEvent(StrEnum):
    """What kind of thing happened."""

    WRITEBACK = "writeback"
    SETTINGS = "settings"
    SOLUTION = "solution"
    BULK = "bulk"
    HEALTH = "health"
    RETENTION = "retention"


class LogOutcome(StrEnum):
    # write-back
    WRITTEN = "written"
    RETRIED = "retried"
    UNCHANGED = "unchanged"
    SKIPPED_CLOSED = "skipped_closed"
    SUPERSEDED = "superseded"
    QUEUED = "queued"
    NO_PRIVILEGE = "no_privilege"
    SECURED = "secured"
    FAILED = "failed"
    # administration
    SETTINGS_SAVED = "settings_saved"
    SOLUTION_PUBLISHED = "solution_published"
    PROJECT_MOVED = "project_moved"
    BULK_STARTED = "bulk_started"
    BULK_BATCH = "bulk_batch"
    BULK_INTERRUPTED = "bulk_interrupted"
    BULK_FINISHED = "bulk_finished"
    BULK_RECORD_FAILED = "bulk_record_failed"
    HEALTH_FAILED = "health_failed"
    HEALTH_RECOVERED = "health_recovered"
    RETENTION_CHANGED = "retention_changed"


_LEVELS: dict[LogOutcome, LogLevel] = {
    LogOutcome.QUEUED: LogLevel.WARNING,
    LogOutcome.NO_PRIVILEGE: LogLevel.ERROR,
    LogOutcome.SECURED: LogLevel.ERROR,
    LogOutcome.FAILED: LogLevel.ERROR,
    LogOutcome.BULK_INTERRUPTED: LogLevel.WARNING,
    LogOutcome.BULK_RECORD_FAILED: LogLevel.ERROR,
    LogOutcome.HEALTH_FAILED: LogLevel.ERROR,
}

# The outcomes an administrator can act on with "retry now": the write is owed or failed for a
# reason someone may have fixed in Dynamics meanwhile (a privilege, a profile, the column).
RETRYABLE_OUTCOMES = frozenset(
    {LogOutcome.QUEUED, LogOutcome.NO_PRIVILEGE, LogOutcome.SECURED, LogOutcome.FAILED}
)


def level_of(outcome: LogOutcome) -> LogLevel:
    return _LEVELS.get(outcome, LogLevel.INFO)


def writeback_outcome(status: WritebackStatus, code: str | None, *, background: bool) -> LogOutcome:
    """The log outcome of one write-back attempt (see the module table)."""
    if status is WritebackStatus.WRITTEN:
        return LogOutcome.RETRIED if background else LogOutcome.WRITTEN
    if status is WritebackStatus.UNCHANGED:
        return LogOutcome.UNCHANGED
    if status is WritebackStatus.SKIPPED_CLOSED:
        return LogOutcome.SKIPPED_CLOSED
    if status is WritebackStatus.SUPERSEDED:
        return LogOutcome.SUPERSEDED
    if status in (WritebackStatus.RETRYING, WritebackStatus.PENDING):
        return LogOutcome.QUEUED
    if code == "crm_field_secured":
        return LogOutcome.SECURED
    if code == "crm_access_denied":
        return LogOutcome.NO_PRIVILEGE
    return LogOutcome.FAILED


@dataclass(frozen=True)
class LogEntry:
    """One line of the log. ``user`` is an Entra object id (the evaluator, or the administrator);
    ``params`` carry codes and numbers for the message (never personal data)."""

    tenant_id: str
    org: str
    at: datetime
    event: LogEvent
    outcome: LogOutcome
    level: LogLevel
    user: str | None = None
    opportunity_id: str | None = None
    code: str | None = None
    column: str | None = None  # the target column's logical name
    value: str | None = None
    attempt: int | None = None
    params: Mapping[str, str | int] = field(default_factory=dict)
    entry_id: str | None = None  # assigned by the store (sorts newest first)

    @property
    def retryable(self) -> bool:
        return (
            self.event is LogEvent.WRITEBACK
            and self.opportunity_id is not None
            and self.outcome in RETRYABLE_OUTCOMES
        )


def entry(
    *,
    tenant_id: str,
    org: str,
    at: datetime,
    event: LogEvent,
    outcome: LogOutcome,
    **values: object,
) -> LogEntry:
    """An entry whose level follows from its outcome."""
    return LogEntry(
        tenant_id=tenant_id,
        org=org,
        at=at,
        event=event,
        outcome=outcome,
        level=level_of(outcome),
        **values,  # type: ignore[arg-type]
    )


@dataclass(frozen=True)
class LogFilter:
    """What the log page asks for; every part optional. ``since``/``until`` are inclusive."""

    levels: frozenset[LogLevel] = frozenset()
    since: datetime | None = None
    until: datetime | None = None
    user: str | None = None
    opportunity_id: str | None = None

    def matches(self, item: LogEntry) -> bool:
        """The same rule the store applies, for stores that cannot filter server-side."""
        return (
            (not self.levels or item.level in self.levels)
            and (self.since is None or item.at >= self.since)
            and (self.until is None or item.at <= self.until)
            and (self.user is None or item.user == self.user)
            and (self.opportunity_id is None or item.opportunity_id == self.opportunity_id)
        )


@dataclass(frozen=True)
class LogPage:
    entries: list[LogEntry]
    next_cursor: str | None  # pass back to get the next (older) page


def retention_cutoff(now: datetime, days: int) -> datetime:
    """Entries older than this are removed by the clean-up timer."""
    return now - timedelta(days=days)


def check_retention(days: int) -> int:
    """A retention period an administrator may choose, in days."""
    if not MIN_RETENTION_DAYS <= days <= MAX_RETENTION_DAYS:
        raise InvalidInput(
            f"retention must be between {MIN_RETENTION_DAYS} and {MAX_RETENTION_DAYS} days",
            code="retention_invalid",
            params={"min": MIN_RETENTION_DAYS, "max": MAX_RETENTION_DAYS},
        )
    return days


CSV_UNSAFE_LEADS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(text: str) -> str:
    """A cell a spreadsheet will not execute: text starting with a formula character gets a
    leading apostrophe (OWASP, "CSV Injection")."""
    return "'" + text if text.startswith(CSV_UNSAFE_LEADS) else text
