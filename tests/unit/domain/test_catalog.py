"""The built-in solutions: they load, validate, score sensibly, and the German one is German."""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal

import pytest

from shared.domain.errors import NotFound
from shared.domain.scoring import evaluate
from shared.domain.solutions import (
    Solution,
    builtin_solution,
    builtin_solutions,
    content_hash,
    parse_solution,
)

ENGLISH_ID = "b2b-qualification"
GERMAN_ID = "vertriebsqualifizierung-b2b"


def _texts(solution: Solution) -> list[str]:
    texts = [solution.name, solution.description]
    for criterion in solution.criteria:
        texts += [criterion.question, criterion.guidance]
        texts += [option.label for option in criterion.options]
    return texts


def _words(solution: Solution) -> set[str]:
    return {w.lower() for t in _texts(solution) for w in re.findall(r"[^\W\d_]+", t)}


def test_both_builtin_solutions_load_sorted_by_id() -> None:
    solutions = builtin_solutions()
    assert [s.id for s in solutions] == [ENGLISH_ID, GERMAN_ID]
    assert {s.language for s in solutions} == {"en", "de"}
    assert all(s.version == 1 for s in solutions)


def test_loading_is_cached() -> None:
    assert builtin_solutions() is builtin_solutions()


def test_lookup_by_id() -> None:
    assert builtin_solution(GERMAN_ID).name == "Vertriebsqualifizierung B2B"
    with pytest.raises(NotFound) as caught:
        builtin_solution("meddpicc")
    assert caught.value.code == "solution_not_found"


@pytest.mark.parametrize("solution", builtin_solutions(), ids=lambda s: s.id)
def test_builtin_solution_is_well_formed(solution: Solution) -> None:
    # Re-validating what we would store gives the same solution and the same hash.
    again = parse_solution(solution.model_dump_json())
    assert again == solution
    assert content_hash(again) == content_hash(solution)

    assert 7 <= len(solution.criteria) <= 9
    criterion_ids = [c.id for c in solution.criteria]
    assert len(set(criterion_ids)) == len(criterion_ids)
    knockouts = [o for c in solution.criteria for o in c.options if o.knockout_cap is not None]
    assert 1 <= len(knockouts) <= 2
    assert all(o.score <= (o.knockout_cap or 0) and o.colour == "red" for o in knockouts)
    for criterion in solution.criteria:
        assert 3 <= len(criterion.options) <= 5
        assert len(criterion.guidance) >= 60, criterion.id
        option_ids = [o.id for o in criterion.options]
        assert len(set(option_ids)) == len(option_ids)
        # Traffic lights agree with the scores: every green beats every amber beats every red.
        by_colour = {
            colour: [o.score for o in criterion.options if o.colour == colour]
            for colour in ("green", "amber", "red")
        }
        assert by_colour["green"] and by_colour["red"], criterion.id
        if by_colour["amber"]:
            assert min(by_colour["green"]) > max(by_colour["amber"]), criterion.id
            assert min(by_colour["amber"]) > max(by_colour["red"]), criterion.id
        assert criterion.best_score == 100


@pytest.mark.parametrize("solution", builtin_solutions(), ids=lambda s: s.id)
def test_builtin_solutions_score_from_0_to_100(solution: Solution) -> None:
    assert evaluate(solution, {}).probability == Decimal("0.0")
    best = {c.id: max(c.options, key=lambda o: o.score).id for c in solution.criteria}
    assert evaluate(solution, best).probability == Decimal("100.0")
    # The worst answers include the knock-outs, so the lowest cap bounds the result.
    worst = {c.id: min(c.options, key=lambda o: o.score).id for c in solution.criteria}
    lowest_cap = min(
        o.knockout_cap for c in solution.criteria for o in c.options if o.knockout_cap is not None
    )
    assert evaluate(solution, worst).probability <= lowest_cap
    # A knock-out caps an otherwise perfect evaluation.
    for criterion in solution.criteria:
        for option in criterion.options:
            if option.knockout_cap is not None:
                capped = evaluate(solution, {**best, criterion.id: option.id})
                assert capped.probability == Decimal(option.knockout_cap)
                assert capped.knockout_criterion_id == criterion.id


def test_english_solution_is_english() -> None:
    solution = builtin_solution(ENGLISH_ID)
    assert solution.language == "en"
    words = _words(solution)
    assert {"the", "and", "budget", "decision", "champion", "competitor"} <= words
    assert not re.search("[äöüÄÖÜß]", " ".join(_texts(solution)))


def test_german_solution_is_german() -> None:
    solution = builtin_solution(GERMAN_ID)
    assert solution.language == "de"
    text = " ".join(_texts(solution))
    # Proper umlauts and ß, not "ae"/"ue" transliterations.
    for letter in "äöüß":
        assert letter in text, letter
    assert "Fürsprecher" in text and "Lösungseignung" in text
    words = _words(solution)
    assert {"und", "der", "die", "nicht", "wir", "ist"} <= words
    assert {"budget", "entscheidungsprozess", "bedarf", "zeitplan", "wettbewerb"} <= words
    # No English filler slipped in.
    assert not words & {"the", "and", "with", "of", "is", "are", "our", "not"}


def test_importing_the_domain_reads_no_catalog_file() -> None:
    # Cold start budget: the catalog is read on first use, never at import.
    code = (
        "import sys, shared.domain.solutions, shared.domain.scoring, shared.domain.writeback; "
        "print('shared.domain.solution_catalog' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
