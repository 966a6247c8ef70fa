"""Win probability from a solution and a rep's answers: a pure function with an explanation.

The rule (the README quotes it):

1. Every criterion i has a weight wᵢ > 0. An answered criterion scores sᵢ = the chosen option's
   score (0–100); an unanswered one scores 0, so an untouched evaluation starts at 0 % and every
   answer can only add what it is worth.
2. The uncapped probability is P₀ = Σ wᵢ·sᵢ / Σ wᵢ over **all** criteria of the solution version.
3. Knock-outs: if any chosen option has a ``knockout_cap``, P = min(P₀, lowest such cap); the
   criterion holding the lowest cap (the first in display order on a tie) is the *active*
   knock-out. Otherwise P = P₀.
4. P is rounded half-up to one decimal (``56.25`` → ``56.3``, ``56.24`` → ``56.2``). The arithmetic
   is exact: weights are decimals with at most 4 places, so the rounding is done on integers and
   no float ever touches the result.

Each criterion's :class:`Contribution` explains its share: ``points = wᵢ·sᵢ / Σw`` (the percentage
points it adds to P₀, rounded half-up to 0.01 for display; the points of all criteria add up to P₀
within rounding) and ``weight_share = wᵢ / Σw`` (rounded half-up to 0.0001).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Literal

from shared.domain.errors import InvalidInput
from shared.domain.solutions import AnswerOption, Colour, Solution

__all__ = ["Contribution", "Score", "Trend", "evaluate", "trend"]

Trend = Literal["up", "down", "flat", "new"]

_ONE_DECIMAL = Decimal("0.1")
_POINTS_STEP = Decimal("0.01")
_SHARE_STEP = Decimal("0.0001")
# Weights have at most 4 decimal places (enforced by the solution model), so scaling by 10⁴ makes
# every weight an integer and the whole computation exact.
_WEIGHT_SCALE = 10_000


@dataclass(frozen=True)
class Contribution:
    """What one criterion adds to the probability."""

    criterion_id: str
    weight: Decimal
    weight_share: Decimal  # wᵢ / Σw, 0–1, rounded to 0.0001
    option_id: str | None  # None: not answered
    score: int  # the option's score; 0 when not answered
    colour: Colour | None
    knockout_cap: int | None  # the chosen option's cap, if it has one
    points: Decimal  # wᵢ·sᵢ / Σw in percentage points, rounded to 0.01
    is_active_knockout: bool

    @property
    def answered(self) -> bool:
        return self.option_id is not None


@dataclass(frozen=True)
class Score:
    """The result of :func:`evaluate`: the probability and why."""

    probability: Decimal  # 0–100, one decimal, after the knock-out cap
    uncapped: Decimal  # P₀, one decimal
    contributions: tuple[Contribution, ...]  # one per criterion, in display order
    knockout_criterion_id: str | None  # the active knock-out, if any option with a cap was chosen
    knockout_cap: int | None
    answered: int
    total: int

    @property
    def capped(self) -> bool:
        """True when the knock-out actually lowered the probability."""
        return self.probability < self.uncapped

    @property
    def complete(self) -> bool:
        return self.answered == self.total


def evaluate(solution: Solution, answers: Mapping[str, str]) -> Score:
    """Score ``answers`` (criterion id → option id; partial answers allowed) against ``solution``.

    An unknown criterion or option is :class:`InvalidInput` naming it (code ``invalid_answer``).
    """
    chosen = _validate(solution, answers)
    weights = {c.id: _scaled_weight(c.weight) for c in solution.criteria}
    total_weight = sum(weights.values())

    # Σ Wᵢ·sᵢ over integers; P₀ = numerator / total_weight exactly.
    numerator = 0
    lowest_cap: int | None = None
    knockout_id: str | None = None
    for criterion in solution.criteria:
        option = chosen.get(criterion.id)
        if option is None:
            continue
        numerator += weights[criterion.id] * option.score
        cap = option.knockout_cap
        if cap is not None and (lowest_cap is None or cap < lowest_cap):
            lowest_cap, knockout_id = cap, criterion.id

    uncapped = _round_tenths(numerator, total_weight)
    probability = uncapped
    if lowest_cap is not None:
        probability = min(uncapped, Decimal(lowest_cap).quantize(_ONE_DECIMAL))

    contributions = []
    with localcontext() as ctx:
        # Enough digits that quantizing the quotients to 0.01 / 0.0001 never rounds twice.
        ctx.prec = 50
        for criterion in solution.criteria:
            option = chosen.get(criterion.id)
            weight = Decimal(weights[criterion.id])
            score = 0 if option is None else option.score
            contributions.append(
                Contribution(
                    criterion_id=criterion.id,
                    weight=criterion.weight,
                    weight_share=(weight / total_weight).quantize(_SHARE_STEP, ROUND_HALF_UP),
                    option_id=None if option is None else option.id,
                    score=score,
                    colour=None if option is None else option.colour,
                    knockout_cap=None if option is None else option.knockout_cap,
                    points=(weight * score / total_weight).quantize(_POINTS_STEP, ROUND_HALF_UP),
                    is_active_knockout=criterion.id == knockout_id,
                )
            )

    return Score(
        probability=probability,
        uncapped=uncapped,
        contributions=tuple(contributions),
        knockout_criterion_id=knockout_id,
        knockout_cap=lowest_cap,
        answered=len(chosen),
        total=len(solution.criteria),
    )


def trend(previous: Decimal | None, current: Decimal) -> Trend:
    """How ``current`` compares with the previous evaluation's probability (``new`` if none)."""
    if previous is None:
        return "new"
    if current > previous:
        return "up"
    if current < previous:
        return "down"
    return "flat"


def _validate(solution: Solution, answers: Mapping[str, str]) -> dict[str, AnswerOption]:
    chosen: dict[str, AnswerOption] = {}
    for criterion_id, option_id in answers.items():
        if not isinstance(criterion_id, str) or not isinstance(option_id, str):
            raise InvalidInput(
                "answers must map criterion ids to option ids (text)", code="invalid_answer"
            )
        criterion = solution.criterion(criterion_id)
        if criterion is None:
            raise InvalidInput(
                f"answers: {_shown(criterion_id)} is not a criterion of solution {solution.ref}",
                code="invalid_answer",
                params={"criterion": _clip(criterion_id)},
            )
        option = criterion.option(option_id)
        if option is None:
            raise InvalidInput(
                f"answers[{_shown(criterion_id)}]: {_shown(option_id)} is not an option of that "
                "criterion",
                code="invalid_answer",
                params={"criterion": criterion_id, "option": _clip(option_id)},
            )
        chosen[criterion_id] = option
    return chosen


def _clip(value: str) -> str:
    # Ids come from the request: keep an absurdly long one from flooding messages and logs.
    return value if len(value) <= 64 else value[:64] + "…"


def _shown(value: str) -> str:
    return repr(_clip(value))


def _scaled_weight(weight: Decimal) -> int:
    scaled = weight * _WEIGHT_SCALE
    # The model guarantees ≤ 4 decimal places; anything else would make the result inexact.
    if scaled != scaled.to_integral_value():
        raise ValueError(f"weight {weight} has more than 4 decimal places")
    return int(scaled)


def _round_tenths(numerator: int, denominator: int) -> Decimal:
    """``numerator / denominator`` (both ≥ 0, denominator > 0) rounded half-up to one decimal,
    exactly: tenths = ⌊(20·n + d) / (2·d)⌋ is n/d·10 rounded half-up."""
    tenths = (20 * numerator + denominator) // (2 * denominator)
    return Decimal(tenths).scaleb(-1)
