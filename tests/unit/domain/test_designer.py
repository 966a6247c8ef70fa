"""Drafts: every problem named at its field, the production model as the last word, texts in both
languages, grade bands and what a move to a new version keeps."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shared.domain.designer import (
    DraftOption,
    GradeBand,
    SolutionDraft,
    Texts,
    blocking,
    from_solution,
    preview_solution,
    secondary_texts,
    to_solution,
    validate_draft,
)
from shared.domain.errors import InvalidInput
from shared.domain.scoring import evaluate
from shared.domain.solutions import builtin_solutions
from shared.domain.versions import carry_answers, grade_for, translated

B2B = next(s for s in builtin_solutions() if s.language == "en")


def good_draft() -> SolutionDraft:
    draft = from_solution(B2B)
    for criterion in draft.criteria:
        criterion.question.de = "Frage " + criterion.id
        for option in criterion.options:
            option.label.de = "Antwort " + option.id
    draft.name.de = "B2B-Qualifizierung"
    return draft


def codes(draft: SolutionDraft) -> dict[str, str]:
    return {p.path: p.code for p in validate_draft(draft)}


def test_a_published_solution_round_trips_through_a_draft() -> None:
    draft = from_solution(B2B)
    assert blocking(validate_draft(draft)) == []
    again = to_solution(draft, version=B2B.version)
    # Display order becomes 10, 20, 30 … (the draft keeps order by position): all else is equal.
    assert [c.model_copy(update={"order": 0}) for c in again.criteria] == [
        c.model_copy(update={"order": 0}) for c in B2B.criteria
    ]
    assert again.model_copy(update={"criteria": ()}) == B2B.model_copy(update={"criteria": ()})
    # Texts of the other language are missing: a warning at each field, never a blocker.
    warnings = [p for p in validate_draft(draft) if p.severity == "warning"]
    assert warnings and {p.code for p in warnings} == {"translation_missing"}
    assert "name.de" in {p.path for p in warnings}


@pytest.mark.parametrize(
    ("change", "path", "code"),
    [
        (lambda d: setattr(d, "id", ""), "id", "id_required"),
        (lambda d: setattr(d, "id", "Has Space"), "id", "id_format"),
        (lambda d: setattr(d.name, "en", ""), "name.en", "text_required"),
        (lambda d: setattr(d.name, "de", "x" * 121), "name.de", "text_too_long"),
        (
            lambda d: setattr(d.criteria[1], "id", d.criteria[0].id),
            "criteria[1].id",
            "id_duplicate",
        ),
        (lambda d: setattr(d.criteria[0], "weight", None), "criteria[0].weight", "weight_required"),
        (
            lambda d: setattr(d.criteria[0], "weight", Decimal("0")),
            "criteria[0].weight",
            "weight_range",
        ),
        (
            lambda d: setattr(d.criteria[0], "weight", Decimal("1.00001")),
            "criteria[0].weight",
            "weight_places",
        ),
        (
            lambda d: setattr(d.criteria[0].question, "en", ""),
            "criteria[0].question.en",
            "text_required",
        ),
        (
            lambda d: setattr(d.criteria[0].options[0], "score", 101),
            "criteria[0].options[0].score",
            "percent_range",
        ),
        (
            lambda d: setattr(d.criteria[0].options[0], "score", None),
            "criteria[0].options[0].score",
            "score_required",
        ),
        (
            lambda d: setattr(d.criteria[0], "options", d.criteria[0].options[:1]),
            "criteria[0].options",
            "too_few_options",
        ),
        (
            lambda d: d.grade_bands.extend(
                [GradeBand(label=Texts(en="A", de="A"), min_probability=70)]
            ),
            "grade_bands",
            "bands_start_at_zero",
        ),
    ],
)
def test_every_problem_is_named_at_its_field(change, path, code) -> None:
    draft = good_draft()
    change(draft)
    assert codes(draft).get(path) == code, validate_draft(draft)


def test_knock_out_rules_are_the_production_rules() -> None:
    draft = good_draft()
    option = draft.criteria[0].options[0]
    option.knockout_cap, option.score, option.colour = 100, 10, "red"
    assert codes(draft)["criteria[0].options[0].knockout_cap"] == "cap_range"
    option.knockout_cap, option.score = 20, 50
    assert codes(draft)["criteria[0].options[0].knockout_cap"] == "cap_below_score"
    option.score, option.colour = 10, "green"
    assert codes(draft)["criteria[0].options[0].colour"] == "knockout_not_red"
    for o in draft.criteria[0].options:
        o.knockout_cap, o.score, o.colour = 20, 10, "red"
    assert codes(draft)["criteria[0].options"] == "needs_uncapped_option"


@pytest.mark.parametrize(
    "change",
    [
        lambda d: None,
        lambda d: setattr(d.criteria[0], "weight", Decimal("2.5")),
        lambda d: setattr(d.criteria[0].options[0], "score", 100),
        lambda d: setattr(d.criteria[0].options[0], "score", -1),
        lambda d: setattr(d.criteria[0].options[0], "knockout_cap", 99),
        lambda d: setattr(d.criteria[0], "id", "UPPER"),
        lambda d: setattr(d.criteria[0].options[1], "id", d.criteria[0].options[0].id),
        lambda d: setattr(d.criteria[0].question, "en", "q" * 301),
        lambda d: d.criteria.clear(),
    ],
)
def test_no_blocking_problem_exactly_when_the_production_model_accepts(change) -> None:
    draft = good_draft()
    change(draft)
    ours_ok = not blocking(validate_draft(draft))
    try:
        to_solution(draft, version=2)
        production_ok = True
    except InvalidInput:
        production_ok = False
    assert ours_ok == production_ok


def test_the_preview_ignores_texts_and_scores_like_production() -> None:
    draft = good_draft()
    draft.criteria[0].question.en = ""  # a text problem never stops the preview
    assert not any(p.blocks_preview for p in validate_draft(draft))
    answers = {c.id: c.options[0].id for c in B2B.criteria}
    assert evaluate(preview_solution(draft), answers) == evaluate(B2B, answers)


def test_the_second_language_is_kept_and_shown_without_changing_scores() -> None:
    draft = good_draft()
    published = to_solution(draft, version=7)
    german = translated(published, secondary_texts(draft))
    assert german.language == "de" and german.name == "B2B-Qualifizierung"
    assert german.criteria[0].question == "Frage " + draft.criteria[0].id
    answers = {c.id: c.options[-1].id for c in published.criteria}
    assert evaluate(german, answers).probability == evaluate(published, answers).probability
    again = from_solution(published, other=secondary_texts(draft))
    assert again.criteria[0].options[0].label.de == "Antwort " + draft.criteria[0].options[0].id


def test_grade_bands_pick_the_highest_lower_bound() -> None:
    bands = [
        GradeBand(label=Texts(en="C"), min_probability=0),
        GradeBand(label=Texts(en="A"), min_probability=70),
        GradeBand(label=Texts(en="B"), min_probability=40),
    ]
    assert grade_for(Decimal("69.9"), bands).label.en == "B"  # type: ignore[union-attr]
    assert grade_for(Decimal(70), bands).label.en == "A"  # type: ignore[union-attr]
    assert grade_for(Decimal(5), bands[1:]) is None


def test_a_move_keeps_the_answers_whose_criterion_and_option_still_exist() -> None:
    draft = good_draft()
    kept, dropped = draft.criteria[0], draft.criteria[1]
    draft.criteria = [c for c in draft.criteria if c.id != dropped.id]
    kept.options = [*kept.options[1:], DraftOption(id="new", label=Texts(en="New"), score=5)]
    new = to_solution(draft, version=2)
    answers = {kept.id: B2B.criteria[0].options[0].id, dropped.id: dropped.options[0].id}
    answers[B2B.criteria[2].id] = B2B.criteria[2].options[0].id
    assert carry_answers(new, answers) == {B2B.criteria[2].id: B2B.criteria[2].options[0].id}
