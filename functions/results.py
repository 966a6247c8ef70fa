"""The result as a rep reads it: the summary that stays in view, grade and trend, the reasons in
plain sentences, a next step per weak criterion, the dated chart and the history with unchanged
saves folded. Builds response models of ``functions/schemas.py``; pages render the same models."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from functions.i18n import fmt_date, fmt_datetime, fmt_number, fmt_percent, t
from functions.messages import Lang
from functions.schemas import (
    ChartOut,
    ChartPointOut,
    ChartTickOut,
    HistoryRowOut,
    NextStepOut,
    SummaryOut,
)
from shared.domain.evaluations import Evaluation
from shared.domain.scoring import Contribution, Score, Trend, trend
from shared.domain.solutions import Solution, SolutionRef

TOP_FACTORS = 3
TREND_SYMBOLS: dict[str, str] = {"up": "▲", "down": "▼", "flat": "▶", "new": "●"}
_HUNDRED = Decimal(100)


def evaluator_name(evaluator: str, *, viewer: str, names: Mapping[str, str], lang: Lang) -> str:
    """ "you", the name Dynamics gave the viewer, or "a colleague" when Dynamics would not say."""
    if evaluator == viewer:
        return t("evaluator_you", lang)
    return names.get(evaluator) or t("evaluator_unknown", lang)


def _open_points(c: Contribution) -> Decimal:
    """What the criterion could still add: its full weight share minus what it adds now."""
    return (c.weight_share * _HUNDRED - c.points).quantize(Decimal("0.01"))


def factors(score: Score, solution: Solution, *, lang: Lang) -> tuple[list[str], list[str]]:
    """The top reasons for and against, as sentences (knock-outs first among the negatives)."""
    positive: list[str] = []
    negative: list[str] = []
    for c in sorted(score.contributions, key=lambda c: c.points, reverse=True):
        if c.points > 0 and len(positive) < TOP_FACTORS:
            positive.append(_sentence("factor_adds", c, solution, c.points, lang))
    ranked = sorted(score.contributions, key=lambda c: (not c.is_active_knockout, -_open_points(c)))
    for c in ranked:
        if len(negative) >= TOP_FACTORS:
            break
        if c.is_active_knockout and score.capped:
            negative.append(_sentence("factor_knockout", c, solution, c.points, lang))
        elif _open_points(c) > 0:
            key = "factor_costs" if c.answered else "factor_unanswered"
            negative.append(_sentence(key, c, solution, _open_points(c), lang))
    return positive, negative


def _sentence(key: str, c: Contribution, solution: Solution, points: Decimal, lang: Lang) -> str:
    criterion = solution.criterion(c.criterion_id)
    assert criterion is not None
    option = criterion.option(c.option_id) if c.option_id else None
    return t(
        key,
        lang,
        {
            "question": criterion.question,
            "answer": option.label if option else "",
            "points": fmt_number(points, lang),
            "cap": c.knockout_cap,
        },
    )


def next_steps(score: Score, solution: Solution, *, lang: Lang) -> list[NextStepOut]:
    """A next step for every weak criterion (unanswered, amber or red), weakest first, from the
    solution's guidance."""
    weak = [
        c
        for c in score.contributions
        if c.option_id is None or c.colour in ("amber", "red") or c.is_active_knockout
    ]
    steps = []
    for c in sorted(weak, key=lambda c: (not c.is_active_knockout, -_open_points(c))):
        criterion = solution.criterion(c.criterion_id)
        assert criterion is not None
        option = criterion.option(c.option_id) if c.option_id else None
        steps.append(
            NextStepOut(
                criterion_id=criterion.id,
                question=criterion.question,
                answer=option.label if option else t("not_answered", lang),
                guidance=criterion.guidance or criterion.question,
            )
        )
    return steps


def summary_view(
    *,
    score: Score | None,
    solution: Solution | None,
    latest: Evaluation | None,
    previous: Decimal | None,
    last_by: str | None,
    writeback_status: str | None,
    answered: int,
    total: int,
    lang: Lang,
) -> SummaryOut:
    """The compact result. ``score``/``latest`` None: nothing evaluated yet (progress only)."""
    progress = t("progress", lang, {"answered": answered, "total": total})
    if score is None or latest is None or solution is None:
        return SummaryOut(
            evaluated=False,
            probability_display=None,
            grade=None,
            grade_label=None,
            trend=None,
            trend_label=None,
            writeback_status=None,
            writeback_state=None,
            last_by=None,
            last_at=None,
            last_at_display=None,
            answered=answered,
            total=total,
            progress_text=progress,
        )
    grade = solution.grades.grade(latest.probability)
    direction: Trend = trend(previous, latest.probability)
    return SummaryOut(
        evaluated=True,
        probability_display=fmt_percent(latest.probability, lang),
        grade=grade,
        grade_label=t("grade_value", lang, {"grade": grade}),
        trend=direction,
        trend_label=t(f"trend_{direction}", lang),
        writeback_status=writeback_status,
        writeback_state=t(f"wbs_{writeback_status}", lang) if writeback_status else None,
        last_by=last_by,
        last_at=latest.evaluated_at.isoformat(),
        last_at_display=fmt_datetime(latest.evaluated_at, lang),
        answered=answered,
        total=total,
        progress_text=progress,
    )


def _same_save(a: Evaluation, b: Evaluation) -> bool:
    return a.solution == b.solution and a.answers == b.answers and a.probability == b.probability


def history_rows(
    history: list[Evaluation],
    *,
    viewer: str,
    names: Mapping[str, str],
    solutions: Mapping[SolutionRef, Solution],
    lang: Lang,
) -> list[HistoryRowOut]:
    """Newest first; a run of saves with unchanged answers shows as its newest row plus a count."""
    rows: list[HistoryRowOut] = []
    i = 0
    while i < len(history):
        evaluation = history[i]
        j = i + 1
        while j < len(history) and _same_save(history[j], evaluation):
            j += 1
        previous = history[j].probability if j < len(history) else None
        direction = trend(previous, evaluation.probability)
        known = solutions.get(evaluation.solution)
        model = (
            t("solution_version", lang, {"name": known.name, "version": known.version})
            if known is not None
            else t("solution_version", lang, {"name": "—", "version": evaluation.solution.version})
        )
        repeats = j - i - 1
        rows.append(
            HistoryRowOut(
                evaluation_id=evaluation.evaluation_id,
                when=fmt_datetime(evaluation.evaluated_at, lang),
                at=evaluation.evaluated_at.isoformat(),
                probability=str(evaluation.probability),
                probability_display=fmt_percent(evaluation.probability, lang),
                trend=direction,
                trend_label=t(f"trend_{direction}", lang),
                by=evaluator_name(evaluation.evaluator, viewer=viewer, names=names, lang=lang),
                model=model,
                writeback_status=evaluation.writeback.status.value,
                repeats=repeats,
                repeats_text=t("history_unchanged", lang, {"count": repeats + 1})
                if repeats
                else None,
            )
        )
        i = j
    return rows


def chart_view(
    history: list[Evaluation], *, lang: Lang, width: int = 480, height: int = 160
) -> ChartOut | None:
    """Probability over time with axes: y 0–100 %, x from the first to the last evaluation (by
    time; evenly spaced when all are at the same moment). Coordinates leave room for labels."""
    points = list(reversed(history))
    if not points:
        return None
    left, right, top, bottom = 44, 12, 10, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    first, last = points[0].evaluated_at, points[-1].evaluated_at
    span = (last - first).total_seconds()

    def x_of(index: int, at: datetime) -> float:
        if span <= 0:
            share = 0.5 if len(points) == 1 else index / (len(points) - 1)
        else:
            share = (at - first).total_seconds() / span
        return round(left + share * plot_w, 1)

    def y_of(value: Decimal) -> float:
        return round(top + plot_h - float(value) / 100 * plot_h, 1)

    chart_points = [
        ChartPointOut(
            x=x_of(i, e.evaluated_at),
            y=y_of(e.probability),
            at=e.evaluated_at.isoformat(),
            label=f"{fmt_date(e.evaluated_at, lang)}: {fmt_percent(e.probability, lang)}",
        )
        for i, e in enumerate(points)
    ]
    y_ticks = [
        ChartTickOut(pos=y_of(Decimal(v)), label=fmt_percent(v, lang)) for v in (0, 25, 50, 75, 100)
    ]
    x_ticks = [
        ChartTickOut(pos=chart_points[0].x, label=fmt_date(first, lang), at=first.isoformat())
    ]
    if len(points) > 1 and chart_points[-1].x - chart_points[0].x > 60:
        x_ticks.append(
            ChartTickOut(pos=chart_points[-1].x, label=fmt_date(last, lang), at=last.isoformat())
        )
    return ChartOut(
        width=width,
        height=height,
        polyline=" ".join(f"{p.x},{p.y}" for p in chart_points),
        points=chart_points,
        x_ticks=_x_ticks(chart_points, first, last, lang),
        y_ticks=y_ticks,
        summary=t(
            "chart_summary",
            lang,
            {
                "count": len(points),
                "first": fmt_date(first, lang),
                "last": fmt_date(last, lang),
                "value": fmt_percent(points[-1].probability, lang),
            },
        ),
    )


def _x_ticks(
    points: list[ChartPointOut], first: datetime, last: datetime, lang: Lang
) -> list[ChartTickOut]:
    """The first and the last day (the last only when there is room between them)."""
    ticks = [ChartTickOut(pos=points[0].x, label=fmt_date(first, lang), at=first.isoformat())]
    if len(points) > 1 and points[-1].x - points[0].x > 60:
        ticks.append(
            ChartTickOut(pos=points[-1].x, label=fmt_date(last, lang), at=last.isoformat())
        )
    return ticks
