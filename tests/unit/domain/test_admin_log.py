"""The write-back log's vocabulary: outcomes, levels, filters, retention and safe CSV cells."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.admin_log import (
    LogEvent,
    LogFilter,
    LogLevel,
    LogOutcome,
    check_retention,
    csv_safe,
    entry,
    writeback_outcome,
)
from shared.domain.errors import InvalidInput
from shared.domain.evaluations import WritebackStatus as S

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "code", "background", "outcome", "level"),
    [
        (S.WRITTEN, None, False, LogOutcome.WRITTEN, LogLevel.INFO),
        (S.WRITTEN, None, True, LogOutcome.RETRIED, LogLevel.INFO),
        (S.UNCHANGED, None, False, LogOutcome.UNCHANGED, LogLevel.INFO),
        (S.SKIPPED_CLOSED, "crm_record_closed", False, LogOutcome.SKIPPED_CLOSED, LogLevel.INFO),
        (S.SUPERSEDED, None, True, LogOutcome.SUPERSEDED, LogLevel.INFO),
        (S.RETRYING, "crm_busy", False, LogOutcome.QUEUED, LogLevel.WARNING),
        (S.FAILED, "crm_access_denied", False, LogOutcome.NO_PRIVILEGE, LogLevel.ERROR),
        (S.FAILED, "crm_field_secured", False, LogOutcome.SECURED, LogLevel.ERROR),
        (S.FAILED, "crm_not_found", True, LogOutcome.FAILED, LogLevel.ERROR),
    ],
)
def test_every_write_back_outcome_has_its_level(status, code, background, outcome, level) -> None:
    found = writeback_outcome(status, code, background=background)
    assert found is outcome
    made = entry(tenant_id="t", org="o", at=T0, event=LogEvent.WRITEBACK, outcome=found)
    assert made.level is level


def test_filters_match_level_period_user_and_opportunity() -> None:
    item = entry(
        tenant_id="t",
        org="o",
        at=T0,
        event=LogEvent.WRITEBACK,
        outcome=LogOutcome.QUEUED,
        user="u1",
        opportunity_id="opp",
    )
    assert LogFilter().matches(item)
    assert LogFilter(levels=frozenset({LogLevel.WARNING}), user="u1").matches(item)
    assert not LogFilter(levels=frozenset({LogLevel.ERROR})).matches(item)
    assert not LogFilter(since=T0 + timedelta(seconds=1)).matches(item)
    assert LogFilter(since=T0, until=T0).matches(item)
    assert not LogFilter(opportunity_id="other").matches(item)
    assert item.retryable


def test_retention_and_csv_cells() -> None:
    assert check_retention(90) == 90
    with pytest.raises(InvalidInput):
        check_retention(0)
    assert csv_safe("=HYPERLINK(1)") == "'=HYPERLINK(1)" and csv_safe("Deal") == "Deal"
