"""How well a solution version predicts: pure statistics over closed deals (docs/architecture.md,
"Model quality"). Outcomes come from Dynamics, read live; nothing here is stored.

For each closed opportunity with a cockpit project, the input is the *last evaluation before it
closed* (its probability, answers and solution version) and whether it was won. Per version:

- **Brier score** = mean of (p − o)², p the probability as a fraction, o = 1 won / 0 lost
  (0 is perfect; always saying 50 % scores 0.25). Computed exactly in decimals.
- **Calibration**: ten bands of predicted probability (0–10, 10–20 … 90–100, the last including
  100); per band the number of deals, the mean predicted probability and the share actually won.
- **Win rate per answer** of each criterion (and of "not answered").
- **Separation** per criterion: the mean score of the chosen options on won deals minus that on
  lost deals, in points (0–100). Large positive: the criterion tells won from lost; near zero: it
  does not; negative: it points the wrong way. Undefined until there is a won and a lost deal.
- **Suggested weight** per criterion: wᵢ · (1 + rᵢ · n/(n + 10)), where rᵢ is the correlation
  between the criterion's score and the outcome over the n deals (the point-biserial coefficient,
  0 when either side has no variance). The factor n/(n + 10) keeps a handful of deals from
  overturning the admin's judgement: with 10 deals a perfect correlation multiplies the weight by
  1.5, with 90 by 1.9. Weights never fall below a tenth of their current value, and the total
  weight is kept, so the suggestion can be opened as a draft as it is.

Works from the first closed deal (no minimum like Dynamics' 40 won / 40 lost); the report says how
many deals it rests on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from shared.domain.solutions import Solution, SolutionRef

BANDS = 10
SHRINK = 10  # deals: how many it takes before the data weighs as much as the current weights
MIN_WEIGHT_FACTOR = Decimal("0.1")
_HUNDRED = Decimal(100)


@dataclass(frozen=True)
class ClosedDeal:
    """One closed opportunity as the statistics need it."""

    opportunity_id: str
    won: bool
    probability: Decimal  # 0–100, the last evaluation before closing
    solution: SolutionRef
    answers: Mapping[str, str]


@dataclass(frozen=True)
class CalibrationBand:
    low: int  # 0, 10 … 90
    high: int  # 10, 20 … 100
    deals: int
    won: int
    mean_predicted: Decimal | None  # 0–100
    win_rate: Decimal | None  # 0–1


@dataclass(frozen=True)
class AnswerStat:
    option_id: str | None  # None: not answered
    deals: int
    won: int
    signal: Literal["always_won", "always_lost"] | None

    @property
    def win_rate(self) -> Decimal | None:
        return None if self.deals == 0 else Decimal(self.won) / Decimal(self.deals)


@dataclass(frozen=True)
class CriterionStat:
    criterion_id: str
    answers: tuple[AnswerStat, ...]  # in option order, "not answered" last when it occurred
    separation: Decimal | None  # points: mean score on won − on lost deals
    correlation: Decimal | None  # point-biserial r, −1…1
    weight: Decimal
    suggested_weight: Decimal


@dataclass(frozen=True)
class QualityReport:
    solution: SolutionRef
    deals: int
    won: int
    lost: int
    brier: Decimal
    calibration: tuple[CalibrationBand, ...]
    criteria: tuple[CriterionStat, ...]

    @property
    def separating(self) -> list[CriterionStat]:
        """Criteria with a defined separation, the strongest first (by size, either sign)."""
        defined = [c for c in self.criteria if c.separation is not None]
        return sorted(defined, key=lambda c: (-abs(c.separation or Decimal(0)), c.criterion_id))

    @property
    def suggested_weights(self) -> dict[str, Decimal]:
        return {c.criterion_id: c.suggested_weight for c in self.criteria}


def brier_score(deals: Sequence[ClosedDeal]) -> Decimal:
    """Mean squared difference between the predicted fraction and the outcome (exact)."""
    if not deals:
        raise ValueError("a Brier score needs at least one deal")
    total = sum(((d.probability / _HUNDRED) - (1 if d.won else 0)) ** 2 for d in deals)
    return Decimal(total) / Decimal(len(deals))


def band_index(probability: Decimal) -> int:
    return min(int(probability // 10), BANDS - 1)


def calibration(deals: Sequence[ClosedDeal]) -> tuple[CalibrationBand, ...]:
    buckets: list[list[ClosedDeal]] = [[] for _ in range(BANDS)]
    for deal in deals:
        buckets[band_index(deal.probability)].append(deal)
    bands = []
    for index, bucket in enumerate(buckets):
        won = sum(1 for d in bucket if d.won)
        bands.append(
            CalibrationBand(
                low=index * 10,
                high=index * 10 + 10,
                deals=len(bucket),
                won=won,
                mean_predicted=(
                    sum((d.probability for d in bucket), Decimal(0)) / len(bucket)
                    if bucket
                    else None
                ),
                win_rate=Decimal(won) / len(bucket) if bucket else None,
            )
        )
    return tuple(bands)


def _answer_stats(
    criterion_id: str, options: Sequence[str], deals: Sequence[ClosedDeal]
) -> tuple[AnswerStat, ...]:
    counts: dict[str | None, list[int]] = {option: [0, 0] for option in options}
    for deal in deals:
        chosen = deal.answers.get(criterion_id)
        key = chosen if chosen in counts else None
        tally = counts.setdefault(key, [0, 0])
        tally[0] += 1
        tally[1] += 1 if deal.won else 0
    order: list[str | None] = [*options, None]
    stats = []
    for option in order:
        if option not in counts or (option is None and counts[None][0] == 0):
            continue
        n, won = counts[option]
        signal: Literal["always_won", "always_lost"] | None = None
        if n >= 2 and won == n:
            signal = "always_won"
        elif n >= 2 and won == 0:
            signal = "always_lost"
        stats.append(AnswerStat(option_id=option, deals=n, won=won, signal=signal))
    return tuple(stats)


def _scores(solution: Solution, criterion_id: str, deals: Sequence[ClosedDeal]) -> list[int]:
    criterion = solution.criterion(criterion_id)
    assert criterion is not None
    scores = []
    for deal in deals:
        option = criterion.option(deal.answers.get(criterion_id, ""))
        scores.append(option.score if option is not None else 0)
    return scores


def separation(scores: Sequence[int], outcomes: Sequence[bool]) -> Decimal | None:
    won = [s for s, o in zip(scores, outcomes, strict=True) if o]
    lost = [s for s, o in zip(scores, outcomes, strict=True) if not o]
    if not won or not lost:
        return None
    return Decimal(sum(won)) / len(won) - Decimal(sum(lost)) / len(lost)


def correlation(scores: Sequence[int], outcomes: Sequence[bool]) -> Decimal | None:
    """Pearson's r between the scores and the 0/1 outcomes (the point-biserial coefficient)."""
    n = len(scores)
    if n < 2:
        return None
    ys = [1 if o else 0 for o in outcomes]
    mean_x = Decimal(sum(scores)) / n
    mean_y = Decimal(sum(ys)) / n
    sxy = sum((Decimal(x) - mean_x) * (y - mean_y) for x, y in zip(scores, ys, strict=True))
    sxx = sum((Decimal(x) - mean_x) ** 2 for x in scores)
    syy = sum((y - mean_y) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return Decimal(sxy) / Decimal(sxx * syy).sqrt()


def suggested_weights(
    weights: Mapping[str, Decimal], correlations: Mapping[str, Decimal | None], *, deals: int
) -> dict[str, Decimal]:
    """See the module doc: wᵢ · (1 + rᵢ · n/(n+10)), at least wᵢ/10, total weight kept, two
    decimals (every value stays a valid weight: positive, at most 4 decimal places)."""
    trust = Decimal(deals) / Decimal(deals + SHRINK)
    raw = {}
    for criterion_id, weight in weights.items():
        r = correlations.get(criterion_id) or Decimal(0)
        raw[criterion_id] = max(weight * (1 + r * trust), weight * MIN_WEIGHT_FACTOR)
    total_now = sum(weights.values(), Decimal(0))
    total_raw = sum(raw.values(), Decimal(0))
    step = Decimal("0.01")
    return {
        k: max((v * total_now / total_raw).quantize(step, ROUND_HALF_UP), step)
        for k, v in raw.items()
    }


def quality_report(solution: Solution, deals: Sequence[ClosedDeal]) -> QualityReport:
    """The report for one solution version over its closed deals (at least one)."""
    mine = [d for d in deals if d.solution == solution.ref]
    outcomes = [d.won for d in mine]
    correlations: dict[str, Decimal | None] = {}
    separations: dict[str, Decimal | None] = {}
    for criterion in solution.criteria:
        scores = _scores(solution, criterion.id, mine)
        correlations[criterion.id] = correlation(scores, outcomes)
        separations[criterion.id] = separation(scores, outcomes)
    suggestion = suggested_weights(
        {c.id: c.weight for c in solution.criteria}, correlations, deals=len(mine)
    )
    criteria = tuple(
        CriterionStat(
            criterion_id=c.id,
            answers=_answer_stats(c.id, [o.id for o in c.options], mine),
            separation=separations[c.id],
            correlation=correlations[c.id],
            weight=c.weight,
            suggested_weight=suggestion[c.id],
        )
        for c in solution.criteria
    )
    won = sum(1 for d in mine if d.won)
    return QualityReport(
        solution=solution.ref,
        deals=len(mine),
        won=won,
        lost=len(mine) - won,
        brier=brier_score(mine),
        calibration=calibration(mine),
        criteria=criteria,
    )
