"""Solution drafts: what an administrator edits in the designer before publishing an immutable
version (docs/architecture.md, "Admin console").

A draft is lenient where a published :class:`~shared.domain.solutions.Solution` is strict: it may be
half-finished (an empty question, a missing score), it carries every text in English *and* German,
and it has grade bands. :func:`validate_draft` lists every problem with the path of the field it
belongs to (``criteria[1].options[0].score``), a code and parameters, so the page can show each
one next to its field in the reader's language. :func:`to_solution` then builds the published
version in the draft's primary language through :func:`~shared.domain.solutions.parse_solution`
— the production model stays the last word — and :func:`secondary_texts` keeps the other
language's texts.

The rules are the production model's (``shared/domain/solutions.py``), repeated here with codes
instead of English sentences; a test keeps the two in agreement.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from shared.domain.solution_rules import Documented
from shared.domain.solutions import (
    MAX_CRITERIA,
    MAX_OPTIONS,
    MAX_VERSION,
    Colour,
    Language,
    Solution,
    parse_solution,
)

LANGUAGES: tuple[Language, ...] = ("en", "de")
MAX_GRADE_BANDS = 10
_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
# Text limits of the production model (solutions.py): name, description, question, guidance, label.
LIMITS = {"name": 120, "description": 2000, "question": 300, "guidance": 2000, "label": 200}
GRADE_LABEL_LIMIT = 60
_WEIGHT_MAX = Decimal(1000)
# Codes about texts only: they never stop the live preview (texts do not change a score).
TEXT_CODES = frozenset({"text_required", "text_too_long", "translation_missing"})


class _Draft(BaseModel):
    # Unknown keys are refused (a typo must not vanish); text is trimmed like the solution model;
    # numbers are strict (a bool is not a score).
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# Any decimal, as a number or as text; whether it is a usable weight is a problem of the draft.
DraftWeight = Annotated[
    Decimal,
    Documented(
        {
            "pattern": r"^[ \t\n\r]*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?[ \t\n\r]*$"
        }
    ),
]


class Texts(_Draft):
    """One text in both languages; either may be empty while editing."""

    en: str = Field(default="", max_length=4000)
    de: str = Field(default="", max_length=4000)

    def get(self, lang: Language) -> str:
        return self.en if lang == "en" else self.de


class DraftOption(_Draft):
    id: str = Field(default="", max_length=100)
    label: Texts = Texts()
    score: StrictInt | None = None
    colour: Colour = "green"
    knockout_cap: StrictInt | None = None


class DraftCriterion(_Draft):
    id: str = Field(default="", max_length=100)
    question: Texts = Texts()
    guidance: Texts = Texts()
    weight: DraftWeight | None = None
    options: list[DraftOption] = Field(default_factory=list, max_length=50)


class GradeBand(_Draft):
    """A grade for probabilities from ``min_probability`` (inclusive) up to the next band."""

    label: Texts = Texts()
    min_probability: StrictInt = 0
    colour: Colour = "green"


class SolutionDraft(_Draft):
    """The designer's working copy of a solution (criteria in display order)."""

    id: str = Field(default="", max_length=100)
    language: Language = "en"  # the language the published version is written in
    name: Texts = Texts()
    description: Texts = Texts()
    criteria: list[DraftCriterion] = Field(default_factory=list, max_length=100)
    grade_bands: list[GradeBand] = Field(default_factory=list, max_length=50)
    based_on: StrictInt | None = Field(default=None, ge=1, le=MAX_VERSION)

    @property
    def other_language(self) -> Language:
        return "de" if self.language == "en" else "en"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a draft: where (``path``), what (``code``) and the numbers for the
    message. ``severity`` "warning" never blocks publishing (a missing translation)."""

    path: str
    code: str
    params: Mapping[str, str | int] = field(default_factory=dict)
    severity: Literal["error", "warning"] = "error"

    @property
    def blocks_preview(self) -> bool:
        return self.severity == "error" and self.code not in TEXT_CODES


# --- validation ------------------------------------------------------------------------------------


def validate_draft(draft: SolutionDraft) -> list[Problem]:
    """Every problem of the draft, in form order."""
    problems: list[Problem] = []
    _check_id(draft.id, "id", problems)
    _check_text(draft.name, "name", LIMITS["name"], draft, problems, required=True)
    _check_text(draft.description, "description", LIMITS["description"], draft, problems)
    if not draft.criteria:
        problems.append(Problem("criteria", "criteria_missing"))
    if len(draft.criteria) > MAX_CRITERIA:
        problems.append(Problem("criteria", "too_many_criteria", {"max": MAX_CRITERIA}))
    _check_unique([c.id for c in draft.criteria], "criteria", problems)
    for index, criterion in enumerate(draft.criteria):
        _check_criterion(criterion, f"criteria[{index}]", draft, problems)
    _check_bands(draft, problems)
    return problems


def _check_criterion(
    criterion: DraftCriterion, path: str, draft: SolutionDraft, problems: list[Problem]
) -> None:
    _check_id(criterion.id, f"{path}.id", problems)
    _check_text(
        criterion.question, f"{path}.question", LIMITS["question"], draft, problems, required=True
    )
    _check_text(criterion.guidance, f"{path}.guidance", LIMITS["guidance"], draft, problems)
    _check_weight(criterion.weight, f"{path}.weight", problems)
    options = criterion.options
    if len(options) < 2:
        problems.append(Problem(f"{path}.options", "too_few_options", {"min": 2}))
    if len(options) > MAX_OPTIONS:
        problems.append(Problem(f"{path}.options", "too_many_options", {"max": MAX_OPTIONS}))
    _check_unique([o.id for o in options], f"{path}.options", problems)
    for index, option in enumerate(options):
        _check_option(option, f"{path}.options[{index}]", draft, problems)
    if options and all(o.knockout_cap is not None for o in options):
        problems.append(Problem(f"{path}.options", "needs_uncapped_option"))


def _check_option(
    option: DraftOption, path: str, draft: SolutionDraft, problems: list[Problem]
) -> None:
    _check_id(option.id, f"{path}.id", problems)
    _check_text(option.label, f"{path}.label", LIMITS["label"], draft, problems, required=True)
    if option.score is None:
        problems.append(Problem(f"{path}.score", "score_required"))
    elif not 0 <= option.score <= 100:
        problems.append(Problem(f"{path}.score", "percent_range"))
    cap = option.knockout_cap
    if cap is None:
        return
    if not 0 <= cap <= 99:
        problems.append(Problem(f"{path}.knockout_cap", "cap_range"))
    elif option.score is not None and option.score > cap:
        problems.append(
            Problem(f"{path}.knockout_cap", "cap_below_score", {"cap": cap, "score": option.score})
        )
    if option.colour != "red":
        problems.append(Problem(f"{path}.colour", "knockout_not_red"))


def _check_bands(draft: SolutionDraft, problems: list[Problem]) -> None:
    bands = draft.grade_bands
    if len(bands) > MAX_GRADE_BANDS:
        problems.append(Problem("grade_bands", "too_many_bands", {"max": MAX_GRADE_BANDS}))
    seen: dict[int, int] = {}
    for index, band in enumerate(bands):
        path = f"grade_bands[{index}]"
        _check_text(band.label, f"{path}.label", GRADE_LABEL_LIMIT, draft, problems, required=True)
        if not 0 <= band.min_probability <= 100:
            problems.append(Problem(f"{path}.min_probability", "percent_range"))
        elif band.min_probability in seen:
            problems.append(
                Problem(
                    f"{path}.min_probability",
                    "duplicate_band",
                    {"other": seen[band.min_probability] + 1},
                )
            )
        seen.setdefault(band.min_probability, index)
    if bands and 0 not in seen:
        problems.append(Problem("grade_bands", "bands_start_at_zero"))


def _check_id(value: str, path: str, problems: list[Problem]) -> None:
    if not value:
        problems.append(Problem(path, "id_required"))
    elif not _ID.fullmatch(value):
        problems.append(Problem(path, "id_format"))


def _check_unique(ids: list[str], path: str, problems: list[Problem]) -> None:
    first: dict[str, int] = {}
    for index, value in enumerate(ids):
        if value and value in first:
            problems.append(
                Problem(f"{path}[{index}].id", "id_duplicate", {"other": first[value] + 1})
            )
        first.setdefault(value, index)


def _check_weight(weight: Decimal | None, path: str, problems: list[Problem]) -> None:
    if weight is None:
        problems.append(Problem(path, "weight_required"))
    elif not weight.is_finite() or weight <= 0 or weight > _WEIGHT_MAX:
        problems.append(Problem(path, "weight_range", {"max": int(_WEIGHT_MAX)}))
    elif weight != weight.quantize(Decimal("0.0001")):
        problems.append(Problem(path, "weight_places", {"places": 4}))


def _check_text(
    texts: Texts,
    path: str,
    limit: int,
    draft: SolutionDraft,
    problems: list[Problem],
    *,
    required: bool = False,
) -> None:
    primary = texts.get(draft.language)
    secondary = texts.get(draft.other_language)
    if required and not primary:
        problems.append(Problem(f"{path}.{draft.language}", "text_required"))
    for lang, value in ((draft.language, primary), (draft.other_language, secondary)):
        if len(value) > limit:
            problems.append(Problem(f"{path}.{lang}", "text_too_long", {"max": limit}))
    if required and primary and not secondary:
        problems.append(
            Problem(f"{path}.{draft.other_language}", "translation_missing", severity="warning")
        )


def blocking(problems: list[Problem]) -> list[Problem]:
    """The problems that stop publishing."""
    return [p for p in problems if p.severity == "error"]


# --- draft ↔ solution --------------------------------------------------------------------------


def solution_data(
    draft: SolutionDraft, *, version: int, lang: Language | None = None
) -> dict[str, object]:
    """The solution JSON of ``draft`` in ``lang`` (the primary language by default); criteria are
    ordered as in the draft. Empty texts stay empty (the production model then refuses them)."""
    lang = lang or draft.language
    return {
        "id": draft.id,
        "name": draft.name.get(lang),
        "language": lang,
        "version": version,
        "description": draft.description.get(lang),
        "criteria": [
            {
                "id": c.id,
                "question": c.question.get(lang),
                "guidance": c.guidance.get(lang),
                "weight": c.weight,
                "order": (index + 1) * 10,
                "options": [
                    {
                        "id": o.id,
                        "label": o.label.get(lang),
                        "score": o.score,
                        "colour": o.colour,
                        "knockout_cap": o.knockout_cap,
                    }
                    for o in c.options
                ],
            }
            for index, c in enumerate(draft.criteria)
        ],
    }


def to_solution(draft: SolutionDraft, *, version: int) -> Solution:
    """The published version in the draft's primary language. Raises InvalidInput (with the
    production model's own message) if the draft is not valid."""
    return parse_solution(solution_data(draft, version=version))


def preview_solution(draft: SolutionDraft) -> Solution:
    """A solution to score the draft with while it is edited: texts do not change a score, so empty
    or overlong ones are replaced; anything that does change it must be valid."""
    data = solution_data(draft, version=draft.based_on or 1)
    data["name"] = "preview"
    data["description"] = ""
    for criterion in data["criteria"]:  # type: ignore[attr-defined]
        criterion["question"] = criterion["id"] or "?"
        criterion["guidance"] = ""
        for option in criterion["options"]:
            option["label"] = option["id"] or "?"
    return parse_solution(data)


def secondary_texts(draft: SolutionDraft) -> dict[str, object]:
    """The texts in the other language, kept with the published version."""
    lang = draft.other_language
    return {
        "language": lang,
        "name": draft.name.get(lang),
        "description": draft.description.get(lang),
        "criteria": {
            c.id: {
                "question": c.question.get(lang),
                "guidance": c.guidance.get(lang),
                "options": {o.id: o.label.get(lang) for o in c.options},
            }
            for c in draft.criteria
        },
    }


def from_solution(
    solution: Solution,
    *,
    other: Mapping[str, object] | None = None,
    bands: list[GradeBand] | None = None,
) -> SolutionDraft:
    """A draft to edit, starting from a published version (and its other-language texts)."""
    lang: Language = solution.language
    second: Language = "de" if lang == "en" else "en"
    extra = dict(other or {})
    texts = _as_dict(extra.get("criteria"))

    def both(primary: str, translated: object) -> Texts:
        value = translated if isinstance(translated, str) else ""
        return Texts(**{lang: primary, second: value})

    criteria = []
    for c in solution.criteria:
        ct = _as_dict(texts.get(c.id))
        labels = _as_dict(ct.get("options"))
        criteria.append(
            DraftCriterion(
                id=c.id,
                question=both(c.question, ct.get("question")),
                guidance=both(c.guidance, ct.get("guidance")),
                weight=c.weight,
                options=[
                    DraftOption(
                        id=o.id,
                        label=both(o.label, labels.get(o.id)),
                        score=o.score,
                        colour=o.colour,
                        knockout_cap=o.knockout_cap,
                    )
                    for o in c.options
                ],
            )
        )
    return SolutionDraft(
        id=solution.id,
        language=lang,
        name=both(solution.name, extra.get("name")),
        description=both(solution.description, extra.get("description")),
        criteria=criteria,
        grade_bands=list(bands or []),
        based_on=solution.version,
    )


def _as_dict(value: object) -> dict[str, object]:
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}
