"""Published solution versions as the admin console sees them: who published what and when, the
texts in the second language and the grade bands kept with a version, the draft an administrator
is editing, and what moving a project to a newer version keeps (docs/architecture.md,
"Admin console")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from shared.domain.designer import GradeBand, SolutionDraft
from shared.domain.solutions import Solution


@dataclass(frozen=True)
class PublishedVersion:
    """One immutable version; built-in ones have no publisher."""

    solution: Solution
    published_by: str | None  # Entra object id of the administrator
    published_at: datetime | None
    builtin: bool = False


@dataclass(frozen=True)
class VersionExtras:
    """What a version carries besides the scoring model: the other language's texts (as
    :func:`shared.domain.designer.secondary_texts` made them) and the grade bands."""

    solution_id: str
    version: int
    other_texts: Mapping[str, object] = field(default_factory=dict)
    grade_bands: tuple[GradeBand, ...] = ()


@dataclass(frozen=True)
class StoredDraft:
    """The one draft per solution id an administrator is editing."""

    tenant_id: str
    draft: SolutionDraft
    updated_at: datetime
    updated_by: str
    etag: str | None = None


def as_dict(value: object) -> dict[str, object]:
    """A JSON object read back from storage, or an empty one when it is something else."""
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}


def grade_for(
    probability: Decimal, bands: tuple[GradeBand, ...] | list[GradeBand]
) -> GradeBand | None:
    """The band a probability falls in: the one with the highest lower bound not above it."""
    eligible = [b for b in bands if b.min_probability <= probability]
    return max(eligible, key=lambda b: b.min_probability) if eligible else None


def carry_answers(new: Solution, answers: Mapping[str, str]) -> dict[str, str]:
    """The answers that still mean something in ``new``: the criterion and the option both
    exist there (same ids). Everything else is dropped and must be answered again."""
    kept = {
        criterion_id: option_id
        for criterion_id, option_id in answers.items()
        if (criterion := new.criterion(criterion_id)) is not None
        and criterion.option(option_id) is not None
    }
    return {k: kept[k] for k in sorted(kept)}


def translated(solution: Solution, other: Mapping[str, object]) -> Solution:
    """``solution`` with the texts of its other language where they exist (for people reading
    that language); scores, weights and ids are untouched, so scoring is the same."""
    lang = other.get("language")
    if lang not in ("en", "de") or lang == solution.language:
        return solution
    by_criterion = as_dict(other.get("criteria"))

    def pick(value: object, fallback: str) -> str:
        return value if isinstance(value, str) and value else fallback

    criteria = []
    for c in solution.criteria:
        t = as_dict(by_criterion.get(c.id))
        labels = as_dict(t.get("options"))
        options = tuple(
            o.model_copy(update={"label": pick(labels.get(o.id), o.label)}) for o in c.options
        )
        criteria.append(
            c.model_copy(
                update={
                    "question": pick(t.get("question"), c.question),
                    "guidance": pick(t.get("guidance"), c.guidance),
                    "options": options,
                }
            )
        )
    return solution.model_copy(
        update={
            "language": lang,
            "name": pick(other.get("name"), solution.name),
            "description": pick(other.get("description"), solution.description),
            "criteria": tuple(criteria),
        }
    )
