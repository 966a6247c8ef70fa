"""Scoring: worked examples plus property-based tests of the probability rule."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from shared.domain.errors import InvalidInput
from shared.domain.scoring import evaluate, trend
from shared.domain.solutions import Solution, parse_solution

PROPERTY = settings(deadline=None, derandomize=True, database=None, max_examples=150)


def _solution(*criteria: tuple[str, int | str, list[tuple[str, int, int | None]]]) -> Solution:
    """Build a solution from (id, weight, [(option id, score, cap)]) in display order."""
    return parse_solution(
        {
            "id": "t",
            "name": "T",
            "language": "en",
            "version": 1,
            "criteria": [
                {
                    "id": cid,
                    "question": cid,
                    "weight": weight,
                    "order": index,
                    "options": [
                        {
                            "id": oid,
                            "label": oid,
                            "score": score,
                            "colour": "red" if cap is not None else "green",
                            **({} if cap is None else {"knockout_cap": cap}),
                        }
                        for oid, score, cap in options
                    ],
                }
                for index, (cid, weight, options) in enumerate(criteria)
            ],
        }
    )


LEVELS: list[tuple[str, int, int | None]] = [
    ("s100", 100, None),
    ("s50", 50, None),
    ("s1", 1, None),
    ("s0", 0, None),
]


# ---------------------------------------------------------------- worked examples


def test_weighted_average_over_all_criteria() -> None:
    solution = _solution(("a", 3, LEVELS), ("b", 2, LEVELS), ("c", 1, LEVELS))
    score = evaluate(solution, {"a": "s100", "b": "s50", "c": "s0"})
    # (3·100 + 2·50 + 1·0) / 6 = 66.666… → 66.7
    assert score.probability == Decimal("66.7")
    assert score.uncapped == Decimal("66.7")
    assert (score.answered, score.total, score.complete) == (3, 3, True)
    assert [c.points for c in score.contributions] == [
        Decimal("50.00"),
        Decimal("16.67"),
        Decimal("0.00"),
    ]
    assert [c.weight_share for c in score.contributions] == [
        Decimal("0.5000"),
        Decimal("0.3333"),
        Decimal("0.1667"),
    ]


def test_unanswered_criteria_count_as_zero() -> None:
    solution = _solution(("a", 3, LEVELS), ("b", 1, LEVELS))
    score = evaluate(solution, {"b": "s100"})
    assert score.probability == Decimal("25.0")
    first, second = score.contributions
    assert (first.answered, first.option_id, first.score, first.colour) == (False, None, 0, None)
    assert (second.answered, second.option_id, second.colour) == (True, "s100", "green")
    assert (score.answered, score.complete) == (1, False)


def test_rounding_is_half_up_to_one_decimal() -> None:
    four = [(c, 1, LEVELS) for c in "abcd"]
    solution = _solution(*four)
    # 301 / 4 = 75.25 exactly: half-up gives 75.3 (banker's rounding would give 75.2).
    score = evaluate(solution, {"a": "s100", "b": "s100", "c": "s100", "d": "s1"})
    assert score.probability == Decimal("75.3")
    # 151 / 4 = 37.75 → 37.8; 51 / 4 = 12.75 → 12.8; 1 / 4 = 0.25 → 0.3
    assert evaluate(solution, {"a": "s100", "b": "s50", "d": "s1"}).probability == Decimal("37.8")
    assert evaluate(solution, {"b": "s50", "d": "s1"}).probability == Decimal("12.8")
    assert evaluate(solution, {"d": "s1"}).probability == Decimal("0.3")
    # 1 / 6 = 0.1666… → 0.2; and results always carry exactly one decimal.
    six = _solution(*[(c, 1, LEVELS) for c in "abcdef"])
    assert str(evaluate(six, {"a": "s1"}).probability) == "0.2"
    assert str(evaluate(six, {}).probability) == "0.0"


def test_decimal_weights_are_exact() -> None:
    solution = _solution(("a", "0.1", LEVELS), ("b", "0.2", LEVELS))
    # 0.1·100 / 0.3 = 33.333… → 33.3 (with floats 0.1 + 0.2 != 0.3)
    assert evaluate(solution, {"a": "s100"}).probability == Decimal("33.3")
    assert evaluate(solution, {"a": "s100", "b": "s100"}).probability == Decimal("100.0")


def test_knockout_caps_the_probability_and_is_explained() -> None:
    knock = [*LEVELS, ("ko", 0, 10)]
    solution = _solution(("budget", 1, knock), ("fit", 3, LEVELS))
    score = evaluate(solution, {"budget": "ko", "fit": "s100"})
    assert score.uncapped == Decimal("75.0")
    assert score.probability == Decimal("10.0")
    assert score.capped
    assert score.knockout_criterion_id == "budget"
    assert score.knockout_cap == 10
    budget, fit = score.contributions
    assert budget.is_active_knockout and budget.knockout_cap == 10
    assert not fit.is_active_knockout


def test_knockout_that_does_not_bind_is_reported_but_not_capping() -> None:
    solution = _solution(("budget", 1, [*LEVELS, ("ko", 0, 30)]), ("fit", 3, LEVELS))
    score = evaluate(solution, {"budget": "ko", "fit": "s1"})
    assert score.probability == score.uncapped == Decimal("0.8")
    assert score.knockout_criterion_id == "budget"
    assert not score.capped


def test_lowest_cap_wins_and_ties_go_to_the_first_criterion() -> None:
    a = [*LEVELS, ("ko20", 0, 20), ("ko5", 0, 5)]
    solution = _solution(("a", 1, a), ("b", 1, a), ("c", 1, a))
    score = evaluate(solution, {"a": "ko20", "b": "ko5", "c": "ko5"})
    assert score.knockout_cap == 5
    assert score.knockout_criterion_id == "b"
    assert [c.is_active_knockout for c in score.contributions] == [False, True, False]
    assert score.probability == Decimal("0.0")


def test_unknown_criterion_is_refused_naming_it() -> None:
    solution = _solution(("a", 1, LEVELS), ("b", 1, LEVELS))
    with pytest.raises(InvalidInput) as caught:
        evaluate(solution, {"a": "s1", "zzz": "s1"})
    assert caught.value.code == "invalid_answer"
    assert "'zzz' is not a criterion of solution t@v1" in caught.value.detail
    assert caught.value.params == {"criterion": "zzz"}


def test_unknown_option_is_refused_naming_it() -> None:
    solution = _solution(("a", 1, LEVELS))
    with pytest.raises(InvalidInput) as caught:
        evaluate(solution, {"a": "s42"})
    assert caught.value.detail == "answers['a']: 's42' is not an option of that criterion"
    assert caught.value.params == {"criterion": "a", "option": "s42"}


def test_long_ids_in_answers_are_clipped_in_the_message() -> None:
    solution = _solution(("a", 1, LEVELS))
    with pytest.raises(InvalidInput) as caught:
        evaluate(solution, {"x" * 10_000: "s1"})
    assert len(caught.value.detail) < 200
    assert caught.value.params == {"criterion": "x" * 64 + "…"}


def test_non_text_answers_are_refused() -> None:
    solution = _solution(("a", 1, LEVELS))
    bad: dict[Any, Any] = {"a": 3}
    with pytest.raises(InvalidInput):
        evaluate(solution, bad)


@pytest.mark.parametrize(
    ("previous", "current", "expected"),
    [
        (None, "0.0", "new"),
        (None, "55.0", "new"),
        ("50.0", "50.1", "up"),
        ("50.1", "50.0", "down"),
        ("50.0", "50.0", "flat"),
        ("50", "50.0", "flat"),
    ],
)
def test_trend(previous: str | None, current: str, expected: str) -> None:
    prev = None if previous is None else Decimal(previous)
    assert trend(prev, Decimal(current)) == expected


# ---------------------------------------------------------------- properties


@dataclass(frozen=True)
class Case:
    solution: Solution
    answers: dict[str, str]


@st.composite
def solutions(draw: st.DrawFn) -> Solution:
    count = draw(st.integers(1, 7))
    criteria = []
    for index in range(count):
        weight = draw(st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(1000), places=4))
        plain = draw(st.lists(st.integers(0, 100), min_size=1, max_size=4))
        caps = draw(
            st.lists(
                st.integers(0, 99).flatmap(
                    lambda cap: st.tuples(st.integers(0, cap), st.just(cap))
                ),
                max_size=2,
            )
        )
        extra = [] if len(plain) + len(caps) >= 2 else [draw(st.integers(0, 100))]
        options: list[tuple[str, int, int | None]] = [
            (f"o{i}", score, None) for i, score in enumerate(plain + extra)
        ]
        options += [(f"k{i}", score, cap) for i, (score, cap) in enumerate(caps)]
        criteria.append((f"c{index}", str(weight), options))
    return _solution(*criteria)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    solution = draw(solutions())
    answers = {}
    for criterion in solution.criteria:
        choice = draw(st.none() | st.sampled_from([o.id for o in criterion.options]))
        if choice is not None:
            answers[criterion.id] = choice
    return Case(solution, answers)


def _oracle(case: Case) -> Decimal:
    """The documented rule, computed independently with exact fractions."""
    total = sum(Fraction(c.weight) for c in case.solution.criteria)
    points = Fraction(0)
    caps = []
    for criterion in case.solution.criteria:
        option_id = case.answers.get(criterion.id)
        if option_id is None:
            continue
        option = criterion.option(option_id)
        assert option is not None
        points += Fraction(criterion.weight) * option.score
        if option.knockout_cap is not None:
            caps.append(option.knockout_cap)
    raw = points / total
    if caps:
        raw = min(raw, Fraction(min(caps)))
    # Half-up to one decimal, done on the exact fraction: ⌊10·raw + ½⌋ tenths.
    return Decimal(math.floor(raw * 10 + Fraction(1, 2))).scaleb(-1)


@PROPERTY
@given(cases())
def test_probability_matches_the_documented_rule(case: Case) -> None:
    assert evaluate(case.solution, case.answers).probability == _oracle(case)


@PROPERTY
@given(cases())
def test_probability_is_within_bounds_with_one_decimal(case: Case) -> None:
    score = evaluate(case.solution, case.answers)
    assert Decimal(0) <= score.probability <= Decimal(100)
    assert Decimal(0) <= score.uncapped <= Decimal(100)
    assert score.probability.as_tuple().exponent == -1
    assert score.answered == len(case.answers)
    assert score.total == len(case.solution.criteria)


@PROPERTY
@given(cases(), st.data())
def test_switching_to_a_better_option_never_lowers_probability(
    case: Case, data: st.DataObject
) -> None:
    criterion = data.draw(st.sampled_from(case.solution.criteria))
    current = criterion.option(case.answers.get(criterion.id, ""))
    better = [
        o
        for o in criterion.options
        if current is None
        or (
            o.score >= current.score
            and (
                o.knockout_cap is None
                or (current.knockout_cap is not None and o.knockout_cap >= current.knockout_cap)
            )
        )
    ]
    if current is None:
        # Not answered yet: compare against its worst non-knock-out option instead.
        start = min((o for o in criterion.options if o.knockout_cap is None), key=lambda o: o.score)
        case = Case(case.solution, {**case.answers, criterion.id: start.id})
        better = [o for o in criterion.options if o.knockout_cap is None and o.score >= start.score]
    assume(better)
    target = data.draw(st.sampled_from(better))
    before = evaluate(case.solution, case.answers).probability
    after = evaluate(case.solution, {**case.answers, criterion.id: target.id}).probability
    assert after >= before


@PROPERTY
@given(cases(), st.data())
def test_answering_an_open_criterion_without_knockout_never_lowers_probability(
    case: Case, data: st.DataObject
) -> None:
    open_criteria = [c for c in case.solution.criteria if c.id not in case.answers]
    assume(open_criteria)
    criterion = data.draw(st.sampled_from(open_criteria))
    option = data.draw(st.sampled_from([o for o in criterion.options if o.knockout_cap is None]))
    before = evaluate(case.solution, case.answers)
    after = evaluate(case.solution, {**case.answers, criterion.id: option.id})
    assert after.probability >= before.probability
    assert after.answered == before.answered + 1


@PROPERTY
@given(cases())
def test_knockouts_cap_and_only_ever_lower(case: Case) -> None:
    score = evaluate(case.solution, case.answers)
    caps = [
        option.knockout_cap
        for criterion in case.solution.criteria
        if (option := criterion.option(case.answers.get(criterion.id, ""))) is not None
        and option.knockout_cap is not None
    ]
    assert score.probability <= score.uncapped
    if caps:
        assert score.probability <= min(caps)
        assert score.knockout_cap == min(caps)
        assert score.probability == min(score.uncapped, Decimal(min(caps)))
        assert sum(c.is_active_knockout for c in score.contributions) == 1
    else:
        assert score.probability == score.uncapped
        assert score.knockout_criterion_id is None
        assert not any(c.is_active_knockout for c in score.contributions)


@PROPERTY
@given(solutions())
def test_best_answers_without_knockouts_reach_the_weighted_maximum(solution: Solution) -> None:
    best = {
        c.id: max((o for o in c.options if o.knockout_cap is None), key=lambda o: o.score).id
        for c in solution.criteria
    }
    score = evaluate(solution, best)
    assert score.probability == _oracle(Case(solution, best))
    assert all(
        c.score == c_best.best_score
        for c, c_best in zip(score.contributions, solution.criteria, strict=True)
    )
    if all(c.best_score == 100 for c in solution.criteria):
        assert score.probability == Decimal("100.0")


@PROPERTY
@given(solutions())
def test_no_answers_score_zero(solution: Solution) -> None:
    score = evaluate(solution, {})
    assert score.probability == Decimal("0.0")
    assert score.answered == 0
    assert all(c.points == 0 and not c.answered for c in score.contributions)


@PROPERTY
@given(cases())
def test_contributions_add_up_to_the_uncapped_probability(case: Case) -> None:
    score = evaluate(case.solution, case.answers)
    total_points = sum((c.points for c in score.contributions), Decimal(0))
    # Each point value is rounded to 0.01 and P₀ to 0.1.
    tolerance = Decimal("0.05") + Decimal("0.005") * len(score.contributions)
    assert abs(total_points - score.uncapped) <= tolerance
    shares = sum((c.weight_share for c in score.contributions), Decimal(0))
    assert abs(shares - 1) <= Decimal("0.00005") * len(score.contributions)


@PROPERTY
@given(cases(), st.randoms(use_true_random=False))
def test_evaluation_is_deterministic(case: Case, rnd: Any) -> None:
    first = evaluate(case.solution, case.answers)
    items = list(case.answers.items())
    rnd.shuffle(items)
    assert evaluate(case.solution, dict(items)) == first
    # The same content in another input order is the same solution and the same score.
    raw = case.solution.model_dump(mode="json")
    rnd.shuffle(raw["criteria"])
    assert evaluate(parse_solution(raw), case.answers) == first
