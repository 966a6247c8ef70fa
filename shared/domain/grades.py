"""Grades: a probability read as A, B, C or D, the way Dynamics 365's predictive scoring shows it.

Dynamics' own score table knows exactly these four grades (``msdyn_predictivescore.msdyn_grade``:
0 = Grade A … 3 = Grade D, https://learn.microsoft.com/dynamics365/sales/populate-predictive-scores),
so a solution does not invent its own labels: it sets where A, B and C begin. A solution stored
without bands uses :data:`DEFAULT_GRADE_BANDS`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, StrictInt, model_validator

from shared.domain.solution_rules import Documented

__all__ = ["DEFAULT_GRADE_BANDS", "GRADES", "Grade", "GradeBands"]

Grade = Literal["A", "B", "C", "D"]
GRADES: tuple[Grade, ...] = ("A", "B", "C", "D")


def _lower_bound(value: int) -> int:
    if not 1 <= value <= 100:
        raise ValueError("must be between 1 and 100")
    return value


Bound = Annotated[
    StrictInt, AfterValidator(_lower_bound), Documented({"minimum": 1, "maximum": 100})
]


class GradeBands(BaseModel):
    """Inclusive lower bounds (percent) of grades A, B and C, where a > b > c; anything below
    ``c`` is D."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    a: Bound
    b: Bound
    c: Bound

    @model_validator(mode="after")
    def _descending(self) -> GradeBands:
        if not self.a > self.b > self.c:
            raise ValueError("grade bands must satisfy a > b > c (A starts highest)")
        return self

    def grade(self, probability: Decimal) -> Grade:
        """The grade of a probability (0–100)."""
        if probability >= self.a:
            return "A"
        if probability >= self.b:
            return "B"
        if probability >= self.c:
            return "C"
        return "D"

    def index(self, probability: Decimal) -> int:
        """0 for A … 3 for D: the value Dynamics stores in ``msdyn_grade``."""
        return GRADES.index(self.grade(probability))


# The cockpit's defaults (an even split of the upper range): A from 70 %, B from 40 %, C from 20 %.
DEFAULT_GRADE_BANDS = GradeBands(a=70, b=40, c=20)
