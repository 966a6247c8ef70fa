"""Model quality for the admin console: per solution version, in the reader's language."""

from __future__ import annotations

from decimal import Decimal

from functions.i18n import fmt_number, fmt_percent, t
from functions.messages import Lang
from functions.schemas_admin import (
    AnswerStatOut,
    CalibrationBandOut,
    CriterionQualityOut,
    QualityOut,
    VersionQualityOut,
)
from shared.domain.quality import CriterionStat, QualityReport
from shared.domain.solutions import Solution
from shared.services.model_quality import QualityOverview


# --- model quality ----------------------------------------------------------------------------------
def _rate(value: Decimal | None, lang: Lang) -> str:
    return "—" if value is None else fmt_percent((value * 100).quantize(Decimal("0.1")), lang)


def _criterion_quality(solution: Solution, stat: CriterionStat, lang: Lang) -> CriterionQualityOut:
    criterion = solution.criterion(stat.criterion_id)
    assert criterion is not None
    answers = []
    for a in stat.answers:
        option = criterion.option(a.option_id) if a.option_id else None
        answers.append(
            AnswerStatOut(
                option_id=a.option_id,
                label=option.label if option else t("not_answered", lang),
                deals=a.deals,
                won=a.won,
                win_rate=str(a.win_rate) if a.win_rate is not None else None,
                win_rate_display=_rate(a.win_rate, lang),
                signal=a.signal,
            )
        )
    separation = stat.separation
    return CriterionQualityOut(
        criterion_id=stat.criterion_id,
        question=criterion.question,
        answers=answers,
        separation=str(separation) if separation is not None else None,
        separation_display=(
            t("quality_separation_points", lang, {"points": _points(separation, lang)})
            if separation is not None
            else t("quality_separation_unknown", lang)
        ),
        weight=str(stat.weight),
        suggested_weight=str(stat.suggested_weight),
    )


def version_quality_out(solution: Solution, report: QualityReport, lang: Lang) -> VersionQualityOut:
    criteria = [_criterion_quality(solution, stat, lang) for stat in report.criteria]
    return VersionQualityOut(
        solution_id=solution.id,
        version=solution.version,
        name=solution.name,
        deals=report.deals,
        won=report.won,
        lost=report.lost,
        brier=str(report.brier),
        brier_display=fmt_number(report.brier.quantize(Decimal("0.001")), lang),
        calibration=[
            CalibrationBandOut(
                low=b.low,
                high=b.high,
                deals=b.deals,
                won=b.won,
                mean_predicted=str(b.mean_predicted) if b.mean_predicted is not None else None,
                win_rate=str(b.win_rate) if b.win_rate is not None else None,
            )
            for b in report.calibration
        ],
        criteria=criteria,
        separating=[c.criterion_id for c in report.separating],
        rests_on=t(
            "quality_rests_on",
            lang,
            {"deals": report.deals, "won": report.won, "lost": report.lost},
        ),
    )


def _points(value: Decimal, lang: Lang) -> str:
    shown = fmt_number(value.quantize(Decimal("0.1")), lang)
    return f"+{shown}" if value > 0 else shown


def quality_out(org: str, overview: QualityOverview, lang: Lang) -> QualityOut:
    return QualityOut(
        org=org,
        closed_deals=overview.closed_deals,
        after_close_only=overview.after_close_only,
        close_dates_known=overview.close_dates_known,
        versions=[version_quality_out(v.solution, v.report, lang) for v in overview.versions],
        summary=t(
            "quality_summary",
            lang,
            {"deals": overview.closed_deals, "after": overview.after_close_only},
        ),
    )
