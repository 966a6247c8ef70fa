"""Grade bands per solution: A–D as Dynamics grades scores, optional so stored solutions load."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shared.domain.errors import InvalidInput
from shared.domain.grades import DEFAULT_GRADE_BANDS, GradeBands
from shared.domain.solutions import builtin_solutions, content_hash, parse_solution

B2B = next(s for s in builtin_solutions() if s.language == "en")


@pytest.mark.parametrize(
    "probability, grade, index",
    [
        ("100", "A", 0),
        ("70", "A", 0),
        ("69.9", "B", 1),
        ("40", "B", 1),
        ("20", "C", 2),
        ("0", "D", 3),
    ],
)
def test_default_bands(probability: str, grade: str, index: int) -> None:
    assert DEFAULT_GRADE_BANDS.grade(Decimal(probability)) == grade
    assert DEFAULT_GRADE_BANDS.index(Decimal(probability)) == index


def test_a_solution_without_bands_loads_uses_the_defaults_and_hashes_as_before() -> None:
    data = B2B.model_dump(mode="json")
    data.pop("grade_bands")
    stored = parse_solution(data)  # a solution stored before bands existed
    assert stored.grade_bands is None and stored.grades == DEFAULT_GRADE_BANDS
    assert content_hash(stored) == content_hash(B2B)
    # The built-in catalogue's hash does not mention bands at all.
    assert "grade_bands" not in str(sorted(data))


def test_a_solution_with_its_own_bands() -> None:
    data = B2B.model_dump(mode="json")
    data["grade_bands"] = {"a": 80, "b": 55, "c": 30}
    solution = parse_solution(data)
    assert solution.grades == GradeBands(a=80, b=55, c=30)
    assert solution.grades.grade(Decimal("79.9")) == "B"
    assert content_hash(solution) != content_hash(B2B)


@pytest.mark.parametrize(
    "bands", [{"a": 50, "b": 60, "c": 10}, {"a": 101, "b": 50, "c": 10}, {"a": 50, "b": 40}]
)
def test_bad_bands_name_their_path(bands: dict[str, int]) -> None:
    data = B2B.model_dump(mode="json")
    data["grade_bands"] = bands
    with pytest.raises(InvalidInput) as caught:
        parse_solution(data)
    assert "grade_bands" in caught.value.detail
