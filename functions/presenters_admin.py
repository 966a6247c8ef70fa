"""Turns the admin console's service results into the response models of ``schemas_admin.py``, in
the reader's language. Pages render the same models as the JSON API returns."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from functions.i18n import fmt_datetime, fmt_number, fmt_percent, t
from functions.messages import MESSAGES, Lang
from functions.schemas import AdminOrgOut, FieldCheckOut
from functions.schemas_admin import (
    BulkJobOut,
    CheckOut,
    DraftOut,
    GradeBandOut,
    HealthReportOut,
    LevelCountsOut,
    LogEntryOut,
    MoveOut,
    PreviewContributionOut,
    PreviewOut,
    ProblemOut,
    SolutionFamilyOut,
    SolutionVersionOut,
    VersionOut,
)
from shared.domain.admin_log import LogEntry, LogLevel
from shared.domain.bulk import BulkJob
from shared.domain.designer import Problem, blocking
from shared.domain.health import Check, HealthReport
from shared.domain.versions import PublishedVersion, StoredDraft, VersionExtras
from shared.domain.writeback import FieldCheck, effective_range
from shared.services.admin import AdminOrgView
from shared.services.designer import Preview, SolutionFamily
from shared.services.migration import MoveResult
from shared.services.writeback_log import NamedEntry


def iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def when(at: datetime | None, lang: Lang) -> str:
    return fmt_datetime(at, lang) if at is not None else "—"


def reason(code: str | None, lang: Lang) -> str:
    """A domain error code as a sentence, when the catalogue has one."""
    return t(code, lang) if code and code in MESSAGES else (code or "")


# --- designer ---------------------------------------------------------------------------------------
def problem_out(problem: Problem, lang: Lang) -> ProblemOut:
    return ProblemOut(
        path=problem.path,
        code=problem.code,
        severity=problem.severity,
        message=t(f"problem_{problem.code}", lang, problem.params),
    )


def draft_out(stored: StoredDraft, problems: list[Problem], lang: Lang) -> DraftOut:
    return DraftOut(
        solution_id=stored.draft.id,
        draft=stored.draft,
        etag=stored.etag,
        updated_at=stored.updated_at.isoformat(),
        updated_by=stored.updated_by,
        problems=[problem_out(p, lang) for p in problems],
        publishable=not blocking(problems),
    )


def version_out(version: PublishedVersion, lang: Lang) -> VersionOut:
    s = version.solution
    return VersionOut(
        version=s.version,
        name=s.name,
        language=s.language,
        criteria=len(s.criteria),
        builtin=version.builtin,
        published_by=version.published_by,
        published_at=iso(version.published_at),
        published_display=when(version.published_at, lang) if version.published_at else None,
    )


def family_out(family: SolutionFamily, lang: Lang) -> SolutionFamilyOut:
    draft = family.draft
    return SolutionFamilyOut(
        solution_id=family.solution_id,
        versions=[version_out(v, lang) for v in family.versions],
        draft_updated_at=iso(draft.updated_at) if draft else None,
        draft_etag=draft.etag if draft else None,
    )


def solution_version_out(
    version: PublishedVersion, extras: VersionExtras | None, lang: Lang
) -> SolutionVersionOut:
    bands = sorted(extras.grade_bands if extras else (), key=lambda b: b.min_probability)
    language = extras.other_texts.get("language") if extras else None
    return SolutionVersionOut(
        solution=version.solution,
        other_texts_language=language if isinstance(language, str) else None,
        grade_bands=[
            GradeBandOut(
                min_probability=b.min_probability,
                label=b.label.get(lang) or b.label.get(version.solution.language),
                colour=b.colour,
            )
            for b in bands
        ],
        published_by=version.published_by,
        published_at=iso(version.published_at),
        published_display=when(version.published_at, lang) if version.published_at else None,
        builtin=version.builtin,
    )


def preview_out(preview: Preview, lang: Lang) -> PreviewOut:
    score = preview.score
    knockout = None
    if score is not None and score.capped and score.knockout_cap is not None:
        knockout = t("designer_knockout_active", lang, {"cap": score.knockout_cap})
    grade = preview.grade
    return PreviewOut(
        probability=str(score.probability) if score else None,
        probability_display=fmt_percent(score.probability, lang) if score else None,
        grade=(grade.label.get(lang) or grade.label.en or grade.label.de) if grade else None,
        contributions=[
            PreviewContributionOut(
                criterion_id=c.criterion_id,
                option_id=c.option_id,
                points=fmt_number(c.points, lang),
                active_knockout=c.is_active_knockout,
            )
            for c in (score.contributions if score else ())
        ],
        knockout_text=knockout,
        problems=[problem_out(p, lang) for p in preview.problems],
    )


def move_out(result: MoveResult, lang: Lang) -> MoveOut:
    params = {
        "moved": result.moved,
        "not_allowed": result.not_allowed,
        "changed": result.changed,
        "left": result.left,
        "reason": reason(result.stopped, lang),
    }
    key = "move_stopped" if result.stopped else "move_done"
    return MoveOut(
        moved=result.moved,
        not_allowed=result.not_allowed,
        changed=result.changed,
        stopped=result.stopped,
        left=result.left,
        message=t(key, lang, params),
    )


# --- health -----------------------------------------------------------------------------------------
def check_out(check: Check, lang: Lang) -> CheckOut:
    params: dict[str, object] = dict(check.params)
    if "because" in params:
        params["because"] = t(f"skip_{params['because']}", lang)
    if "error" in params:
        params["error"] = reason(str(params["error"]), lang)
    return CheckOut(
        id=check.id,
        status=check.status.value,
        title=t(f"check_{check.id}", lang),
        finding=t(check.code, lang, params),
        fix=t(check.fix, lang, params) if check.fix else None,
        code=check.code,
    )


def health_out(
    report: HealthReport, counts: Mapping[LogLevel, int] | None, lang: Lang
) -> HealthReportOut:
    return HealthReportOut(
        org=report.org,
        ok=report.ok,
        checked_at=report.at.isoformat(),
        checks=[check_out(c, lang) for c in report.checks],
        log_last_24h=(
            LevelCountsOut(
                info=counts.get(LogLevel.INFO, 0),
                warning=counts.get(LogLevel.WARNING, 0),
                error=counts.get(LogLevel.ERROR, 0),
            )
            if counts is not None
            else None
        ),
    )


# --- log --------------------------------------------------------------------------------------------
def log_text(item: LogEntry, lang: Lang) -> str:
    params: dict[str, object] = {k: v for k, v in item.params.items()}
    params.update(
        value=(
            fmt_number(Decimal(item.value), lang)
            if item.value is not None and _is_number(item.value)
            else item.value or ""
        ),
        column=item.column or "",
        reason=reason(item.code, lang),
        attempt=item.attempt or "",
    )
    if "check" in params:
        params["check"] = t(f"check_{params['check']}", lang)
    return t(f"log_{item.outcome.value}", lang, params)


def _is_number(value: str) -> bool:
    try:
        return Decimal(value).is_finite()
    except ArithmeticError:
        return False


def log_entry_out(named: NamedEntry, lang: Lang) -> LogEntryOut:
    item = named.entry
    return LogEntryOut(
        id=item.entry_id,
        at=item.at.isoformat(),
        at_display=fmt_datetime(item.at, lang),
        level=item.level.value,
        event=item.event.value,
        outcome=item.outcome.value,
        text=log_text(item, lang),
        code=item.code,
        user=item.user,
        opportunity_id=item.opportunity_id,
        project_name=named.project_name,
        column=item.column,
        value=item.value,
        retryable=item.retryable,
    )


CSV_COLUMNS = (
    "csv_time",
    "csv_level",
    "csv_event",
    "csv_code",
    "csv_opportunity",
    "csv_project",
    "csv_user",
    "csv_column",
    "csv_value",
)


def csv_row(named: NamedEntry, lang: Lang) -> list[str]:
    item = named.entry
    return [
        item.at.isoformat(),
        t(f"log_level_{item.level.value}", lang),
        log_text(item, lang),
        item.code or "",
        item.opportunity_id or "",
        named.project_name or "",
        item.user or "",
        item.column or "",
        item.value or "",
    ]


# --- bulk -------------------------------------------------------------------------------------------
def bulk_job_out(job: BulkJob, lang: Lang) -> BulkJobOut:
    percent = 100 if job.total == 0 else min(100, round(100 * job.done / job.total))
    params = {
        "done": fmt_number(job.done, lang),
        "total": fmt_number(job.total, lang),
        "column": job.column,
        "reason": reason(job.error, lang),
        **{k: fmt_number(v, lang) for k, v in job.counts.items()},
    }
    return BulkJobOut(
        job_id=job.job_id,
        column=job.column,
        status=job.status.value,
        total=job.total,
        done=job.done,
        percent=percent,
        counts=dict(job.counts),
        error=job.error,
        message=t(f"bulk_status_{job.status.value}", lang, params),
        started_at=job.started_at.isoformat(),
        started_by=job.started_by,
    )


def field_check_view(check: FieldCheck, *, lang: Lang) -> FieldCheckOut:
    info = check.field
    bounds = effective_range(info)
    shown_range = info.attribute_type
    if bounds:
        shown_range = t(
            "field_type_range",
            lang,
            {
                "type": info.attribute_type,
                "min": fmt_number(bounds[0], lang),
                "max": fmt_number(bounds[1], lang),
            },
        )
    return FieldCheckOut(
        logical_name=info.logical_name,
        display_name=info.display_name,
        type=info.attribute_type,
        range=shown_range,
        min=str(bounds[0]) if bounds else None,
        max=str(bounds[1]) if bounds else None,
        secured=info.is_secured,
        ok=check.ok,
        refusals=[r.code for r in check.refusals],
        refusal_texts=[t(f"refusal_{r.code}", lang) for r in check.refusals],
        warnings=[w.code for w in check.warnings],
    )


def admin_org_view(view: AdminOrgView, *, org_name: str, org_url: str, lang: Lang) -> AdminOrgOut:
    return AdminOrgOut(
        org=org_name,
        url=org_url,
        target_field=view.settings.target_field,
        closed_policy=view.settings.closed_policy.value,
        etag=view.settings.etag,
        candidates=[field_check_view(c, lang=lang) for c in view.candidates],
        current=field_check_view(view.current, lang=lang) if view.current else None,
        crm_error=t(view.crm_error.code, lang) if view.crm_error is not None else None,
    )
