"""Model quality statistics against hand computations."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shared.domain.quality import (
    ClosedDeal,
    brier_score,
    calibration,
    correlation,
    quality_report,
    suggested_weights,
)
from shared.domain.solutions import builtin_solutions

B2B = next(s for s in builtin_solutions() if s.language == "en")
_BUDGET = B2B.criterion("budget")
assert _BUDGET is not None
BUDGET = _BUDGET


def deal(p: str, won: bool, **answers: str) -> ClosedDeal:
    return ClosedDeal(
        opportunity_id=f"o-{p}-{won}-{len(answers)}",
        won=won,
        probability=Decimal(p),
        solution=B2B.ref,
        answers=answers,
    )


def test_brier_score_by_hand() -> None:
    # (0.8-1)² + (0.6-0)² + (0.3-0)² + (0.9-1)² = 0.04 + 0.36 + 0.09 + 0.01 = 0.50; / 4 = 0.125
    deals = [deal("80", True), deal("60", False), deal("30", False), deal("90", True)]
    assert brier_score(deals) == Decimal("0.125")
    assert brier_score([deal("50", True)]) == Decimal("0.25")  # one deal is enough
    with pytest.raises(ValueError):
        brier_score([])


def test_calibration_bands_by_hand() -> None:
    deals = [deal("80", True), deal("85", False), deal("100", True), deal("5", False)]
    bands = calibration(deals)
    assert len(bands) == 10 and (bands[0].low, bands[-1].high) == (0, 100)
    assert (bands[8].deals, bands[8].won, bands[8].mean_predicted, bands[8].win_rate) == (
        2,
        1,
        Decimal("82.5"),
        Decimal("0.5"),
    )
    assert (bands[9].deals, bands[9].win_rate) == (1, Decimal(1))  # 100 % is in the last band
    assert (bands[0].deals, bands[0].win_rate) == (1, Decimal(0))
    assert bands[5].deals == 0 and bands[5].win_rate is None


def test_one_answer_always_wins_another_always_loses() -> None:
    deals = [
        deal("80", True, budget="approved"),
        deal("70", True, budget="approved"),
        deal("40", False, budget="none"),
        deal("45", False, budget="none"),
        deal("50", True, budget="planned"),
        deal("50", False, budget="planned"),
    ]
    report = quality_report(B2B, deals)
    budget = next(c for c in report.criteria if c.criterion_id == "budget")
    by_option = {a.option_id: a for a in budget.answers}
    assert by_option["approved"].signal == "always_won" and by_option["approved"].win_rate == 1
    assert by_option["none"].signal == "always_lost" and by_option["none"].win_rate == 0
    assert by_option["planned"].signal is None and by_option["planned"].win_rate == Decimal("0.5")
    assert by_option["unclear"].deals == 0
    # The other criteria were never answered: every deal falls under "not answered".
    other = next(c for c in report.criteria if c.criterion_id == "economic-buyer")
    assert [(a.option_id, a.deals) for a in other.answers if a.deals] == [(None, 6)]
    assert other.separation == 0 and other.correlation is None
    assert report.separating[0].criterion_id == "budget"
    assert (report.deals, report.won, report.lost) == (6, 3, 3)


def test_separation_correlation_and_suggested_weights_by_hand() -> None:
    scores = {o.id: o.score for o in BUDGET.options}
    deals = [deal("80", True, budget="approved"), deal("20", False, budget="none")]
    report = quality_report(B2B, deals)
    budget = next(c for c in report.criteria if c.criterion_id == "budget")
    assert budget.separation == scores["approved"] - scores["none"]
    assert budget.correlation == 1  # two points on a line
    # w·(1 + r·n/(n+10)) = w·(1 + 2/12) for budget, w for the rest; then scaled to the same total.
    weights = {c.id: c.weight for c in B2B.criteria}
    factor = Decimal(1) + Decimal(2) / 12
    raw = {k: v * factor if k == "budget" else v for k, v in weights.items()}
    scale = sum(weights.values(), Decimal(0)) / sum(raw.values(), Decimal(0))
    expected = {k: (v * scale).quantize(Decimal("0.01")) for k, v in raw.items()}
    assert report.suggested_weights == expected
    assert sum(report.suggested_weights.values()) == pytest.approx(
        float(sum(weights.values())), abs=0.05
    )


def test_a_criterion_that_points_the_wrong_way_loses_weight_but_stays_positive() -> None:
    weights = {"a": Decimal(1), "b": Decimal(1)}
    suggestion = suggested_weights(weights, {"a": Decimal(-1), "b": None}, deals=1000)
    assert Decimal(0) < suggestion["a"] < suggestion["b"]
    assert correlation([10, 10], [True, False]) is None  # no variance in the scores
