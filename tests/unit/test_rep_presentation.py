"""How results read: grades, trends, reasons as sentences, next steps, the summary, the chart,
history with unchanged saves folded, display names instead of logical names, one language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from functions.i18n import negotiate
from functions.presenters import field_label, score_view, writeback_view
from functions.results import chart_view, history_rows, summary_view
from shared.domain.evaluations import Evaluation, WritebackOutcome, WritebackStatus
from shared.domain.scoring import evaluate
from shared.domain.solutions import builtin_solutions
from tests.support.fakes import field_info

B2B = next(s for s in builtin_solutions() if s.language == "en")
GERMAN = next(s for s in builtin_solutions() if s.language == "de")
T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def answers(solution, level: int) -> dict[str, str]:
    chosen = {}
    for c in solution.criteria:
        options = [o for o in c.options if o.knockout_cap is None]
        chosen[c.id] = options[min(level, len(options) - 1)].id
    return chosen


def evaluation(n: int, level: int, *, by: str = "rep", minutes: int = 0) -> Evaluation:
    chosen = answers(B2B, level)
    return Evaluation(
        evaluation_id=f"e{n}",
        solution=B2B.ref,
        answers=chosen,
        probability=evaluate(B2B, chosen).probability,
        evaluated_at=T0 + timedelta(minutes=minutes),
        evaluator=by,
        writeback=WritebackOutcome(status=WritebackStatus.WRITTEN),
        seq=n,
    )


def test_score_view_has_grade_trend_reasons_and_next_steps() -> None:
    weak = answers(B2B, 2)
    score = evaluate(B2B, weak)
    view = score_view(score, B2B, lang="en", previous=Decimal(90))
    assert view.grade == B2B.grades.grade(score.probability)
    assert view.trend == "down" and view.trend_label == "declining"
    assert view.factors_positive and view.factors_negative
    assert all(f.endswith(".") for f in view.factors_positive + view.factors_negative)
    assert "points open" in view.factors_negative[0]
    assert {s.criterion_id for s in view.next_steps} <= {c.id for c in B2B.criteria}
    assert view.next_steps and all(s.guidance for s in view.next_steps)
    best = score_view(evaluate(B2B, answers(B2B, 0)), B2B, lang="en")
    assert best.grade == "A" and best.trend == "new"


def test_unanswered_criteria_are_reasons_and_next_steps_too() -> None:
    score = evaluate(B2B, {})
    view = score_view(score, B2B, lang="de")
    assert view.factors_positive == [] and "noch nicht beantwortet" in view.factors_negative[0]
    assert len(view.next_steps) == len(B2B.criteria)


def test_unchanged_saves_fold_into_one_row() -> None:
    newest_first = [evaluation(4, 0, minutes=30), evaluation(3, 0, minutes=20)]
    newest_first += [evaluation(2, 0, minutes=10), evaluation(1, 2, by="ben")]
    rows = history_rows(
        newest_first, viewer="rep", names={"ben": "Ben Becker"}, solutions={}, lang="en"
    )
    assert [r.repeats for r in rows] == [2, 0]
    assert rows[0].repeats_text == "saved 3 times without a change"
    assert rows[0].trend == "up" and rows[1].by == "Ben Becker" and rows[0].by == "you"
    assert rows[0].at == (T0 + timedelta(minutes=30)).isoformat()
    unnamed = history_rows(newest_first[-1:], viewer="rep", names={}, solutions={}, lang="de")
    assert unnamed[0].by == "einer Kollegin oder einem Kollegen"


def test_the_chart_has_axes_and_dates() -> None:
    chart = chart_view([evaluation(2, 0, minutes=60 * 24 * 3), evaluation(1, 2)], lang="de")
    assert chart is not None
    assert [t.label for t in chart.y_ticks] == [f"{v}\xa0%" for v in (0, 25, 50, 75, 100)]
    assert [t.label for t in chart.x_ticks] == ["22.11.26", "25.11.26"]
    assert chart.points[0].x < chart.points[1].x and chart.points[0].y > chart.points[1].y
    assert "2 Bewertungen" in chart.summary
    assert chart_view([], lang="en") is None


def test_the_summary_says_who_when_and_where_the_value_went() -> None:
    latest = evaluation(2, 0)
    summary = summary_view(
        score=evaluate(B2B, latest.answers),
        solution=B2B,
        latest=latest,
        previous=Decimal(10),
        last_by="Ben Becker",
        writeback_status="written",
        answered=9,
        total=9,
        lang="de",
    )
    assert summary.grade_label == "Einstufung A" and summary.trend_label == "steigend"
    assert summary.writeback_state == "In Dynamics 365 geschrieben"
    assert summary.progress_text == "9 von 9 beantwortet" and summary.last_at is not None
    empty = summary_view(
        score=None,
        solution=None,
        latest=None,
        previous=None,
        last_by=None,
        writeback_status=None,
        answered=6,
        total=9,
        lang="en",
    )
    assert not empty.evaluated and empty.progress_text == "6 of 9 answered"


def test_columns_are_named_by_their_display_name_never_the_logical_name() -> None:
    info = field_info(
        "closeprobability",
        display_name="Probability",
        labels=((1033, "Probability"), (1031, "Wahrscheinlichkeit")),
    )
    outcome = WritebackOutcome(status=WritebackStatus.WRITTEN, field="closeprobability", value="57")
    german = writeback_view(outcome, lang="de", target=info)
    assert "„Wahrscheinlichkeit“" in german.message and "closeprobability" not in german.message
    unknown = writeback_view(outcome, lang="en", target=None)
    assert "the probability field" in unknown.message and "closeprobability" not in unknown.message
    assert field_label("cockpit_winprobability", info, "en") == "the probability field"


def test_one_language_per_page_from_dynamics_then_the_browser() -> None:
    assert negotiate(userlcid="1031", orglcid="1033", accept_language="en") == "de"
    assert negotiate(orglcid="1031", accept_language="en-US,en;q=0.9") == "de"
    assert negotiate(userlcid="", orglcid="1031", accept_language="en") == "de"
    assert negotiate(accept_language="fr;q=1, de;q=0.8, en;q=0.5") == "de"
    assert negotiate() == "en"
