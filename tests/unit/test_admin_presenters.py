"""What admins read: chart geometry and axis labels per language, log lines and bulk progress."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from functions.charts import LEFT, PLOT_H, PLOT_W, TOP, calibration_chart
from functions.presenters_admin import bulk_job_out, log_text
from shared.domain.admin_log import LogEvent, LogOutcome, entry
from shared.domain.bulk import BulkJob, BulkStatus
from shared.domain.quality import CalibrationBand

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def test_the_calibration_chart_places_each_band_and_speaks_the_language() -> None:
    bands = [
        CalibrationBand(60, 70, 2, 1, Decimal("62.5"), Decimal("0.5")),
        CalibrationBand(70, 80, 0, 0, None, None),
    ]
    chart = calibration_chart(bands, lang="de", title="{deals}: {predicted} → {won}")
    [point] = chart.points  # empty bands draw nothing
    assert point.x == round(LEFT + PLOT_W * 0.625, 1)
    assert point.y == round(TOP + PLOT_H * 0.5, 1)
    nbsp = "\u00a0"  # German puts a non-breaking space before the percent sign
    assert point.title == f"2: 62,5{nbsp}% → 50{nbsp}%"
    assert [t.label for t in chart.x_ticks][:2] == [f"0{nbsp}%", f"20{nbsp}%"]
    english = calibration_chart(bands, lang="en", title="{predicted}")
    assert english.x_ticks[1].label == "20%" and english.points[0].title == "62.5%"


def test_log_lines_and_bulk_progress_in_both_languages() -> None:
    item = entry(
        tenant_id="t",
        org="o",
        at=T0,
        event=LogEvent.WRITEBACK,
        outcome=LogOutcome.QUEUED,
        code="crm_busy",
        column="closeprobability",
        value="56.5",
    )
    assert log_text(item, "en").startswith("Not written yet, queued for a background retry: ")
    assert "ausgelastet" in log_text(item, "de")
    job = BulkJob(
        tenant_id="t",
        org="o",
        job_id="j",
        column="cockpit_score",
        started_by="admin",
        started_at=T0,
        updated_at=T0,
        status=BulkStatus.INTERRUPTED,
        total=10_000,
        counts={
            "written": 2500,
            "unchanged": 0,
            "skipped_closed": 0,
            "not_visible": 0,
            "failed": 0,
        },
        error="crm_busy",
    )
    shown = bulk_job_out(job, "de")
    assert shown.percent == 25
    assert shown.message.startswith("Unterbrochen nach 2.500 von 10.000 Projekten")
