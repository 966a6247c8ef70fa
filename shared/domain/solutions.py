"""Solutions: named, versioned qualification models (weighted criteria with scored answer options).

A solution is plain data. The two built-in ones live as JSON in ``solution_catalog/``; admins may
store more. Every way in goes through :func:`parse_solution`, which turns any problem into an
:class:`~shared.domain.errors.InvalidInput` whose message names the offending path, e.g.
``criteria[2].options[0].score must be between 0 and 100``.

Rules beyond the obvious types and ranges:

- Ids (solution, criterion, option) match ``[a-z0-9][a-z0-9._-]*`` (at most 64 characters), so they
  are safe in Azure Table keys, URLs and HTML ids without escaping. Criterion ids are unique within
  the solution, option ids within their criterion.
- At least one criterion; every criterion has at least two options.
- Criteria are kept sorted by ``order`` (unique within the solution), so the order of the input list
  does not matter and the content hash is stable.
- Knock-outs. Choosing an option with ``knockout_cap`` caps the whole probability at that value.
  Such an option must:

  * have a cap below 100 (a cap of 100 could never apply),
  * score no higher than its own cap (an answer that is a deal-breaker cannot at the same time be a
    good answer for its criterion; this keeps "a knock-out only ever lowers P" obvious to readers),
  * be coloured ``red`` (a knock-out is a red light by definition; the UI relies on it),

  and every criterion keeps at least one option without a cap, so it can be answered without
  killing the deal.
- Weights are positive decimals (at most 4 decimal places, at most 1000), compared and hashed in a
  canonical form (``1.50`` and ``1.5`` are the same weight).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from shared.domain.errors import InvalidInput, NotFound
from shared.domain.grades import DEFAULT_GRADE_BANDS, GradeBands
from shared.domain.solution_rules import (
    ID_RULE,
    PERCENT_RULE,
    WEIGHT_RULE,
    Documented,
    Problem,
    require_unique,
    text_rule,
)

__all__ = [
    "MAX_CRITERIA",
    "MAX_OPTIONS",
    "AnswerOption",
    "Colour",
    "Criterion",
    "Language",
    "Solution",
    "SolutionRef",
    "builtin_solution",
    "builtin_solutions",
    "content_hash",
    "parse_solution",
]

Language = Literal["en", "de"]
Colour = Literal["red", "amber", "green"]

MAX_CRITERIA = 40
MAX_OPTIONS = 10


MAX_VERSION = 2**31 - 1


Id = Annotated[StrictStr, ID_RULE]
Percent = Annotated[StrictInt, PERCENT_RULE]


class _Frozen(BaseModel):
    # Pure value objects: immutable, unknown keys refused (a typo must not vanish silently), text
    # trimmed so " Budget " and "Budget" are the same label.
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class AnswerOption(_Frozen):
    """One possible answer to a criterion: its score (0–100) and traffic-light colour."""

    # A knock-out option is red (stated for the document; ``_knockout_rules`` decides).
    model_config = ConfigDict(
        json_schema_extra={
            "if": {
                "properties": {"knockout_cap": {"type": "integer"}},
                "required": ["knockout_cap"],
            },
            "then": {"properties": {"colour": {"const": "red"}}},
        }
    )

    id: Id
    label: Annotated[StrictStr, text_rule(200)]
    score: Percent
    colour: Colour
    knockout_cap: Annotated[StrictInt, PERCENT_RULE, Documented({"maximum": 99})] | None = None

    @model_validator(mode="after")
    def _knockout_rules(self) -> AnswerOption:
        cap = self.knockout_cap
        if cap is None:
            return self
        if cap == 100:
            raise Problem("must be below 100 (a cap of 100 never applies)", subpath=".knockout_cap")
        if self.score > cap:
            raise Problem(
                f"is {cap} but the option scores {self.score}; a knock-out option must not score "
                "higher than its cap",
                subpath=".knockout_cap",
            )
        if self.colour != "red":
            raise Problem("must be red for a knock-out option", subpath=".colour")
        return self


class Criterion(_Frozen):
    """One weighted question of a solution, with guidance for the rep and its answer options."""

    id: Id
    question: Annotated[StrictStr, text_rule(300)]
    guidance: Annotated[StrictStr, text_rule(2000, allow_empty=True)] = ""
    weight: Annotated[Decimal, WEIGHT_RULE]
    order: Annotated[StrictInt, Documented({"minimum": 0, "maximum": 10_000})]
    options: Annotated[
        tuple[AnswerOption, ...],
        Documented(
            {
                "minItems": 2,
                "maxItems": MAX_OPTIONS,
                # at least one option answers the criterion without a knock-out
                "contains": {"properties": {"knockout_cap": {"type": "null"}}},
            }
        ),
    ]

    @field_validator("order")
    @classmethod
    def _order_range(cls, value: int) -> int:
        if not 0 <= value <= 10_000:
            raise Problem("must be between 0 and 10000")
        return value

    @field_validator("options")
    @classmethod
    def _options_rules(cls, options: tuple[AnswerOption, ...]) -> tuple[AnswerOption, ...]:
        if len(options) < 2:
            raise Problem("must have at least 2 options")
        if len(options) > MAX_OPTIONS:
            raise Problem(f"must have at most {MAX_OPTIONS} options")
        require_unique([o.id for o in options], what="id", plural="options")
        if all(o.knockout_cap is not None for o in options):
            raise Problem("must include at least one option without a knockout cap")
        return options

    def option(self, option_id: str) -> AnswerOption | None:
        """The option with this id, or None."""
        return next((o for o in self.options if o.id == option_id), None)

    @property
    def best_score(self) -> int:
        """The highest score an answer without a knock-out can reach."""
        return max(o.score for o in self.options if o.knockout_cap is None)


class Solution(_Frozen):
    """A named, versioned qualification model. Criteria are kept sorted by ``order``."""

    id: Id
    name: Annotated[StrictStr, text_rule(120)]
    language: Language
    version: Annotated[StrictInt, Documented({"minimum": 1, "maximum": MAX_VERSION})]
    description: Annotated[StrictStr, text_rule(2000, allow_empty=True)] = ""
    criteria: Annotated[
        tuple[Criterion, ...], Documented({"minItems": 1, "maxItems": MAX_CRITERIA})
    ]
    # Optional, so solutions stored before grades existed still load (they use the defaults).
    grade_bands: GradeBands | None = None

    @field_validator("version")
    @classmethod
    def _version_range(cls, value: int) -> int:
        if value < 1:
            raise Problem("must be 1 or more")
        if value > MAX_VERSION:
            # Stored as Edm.Int32 (Azure Tables): a larger number could not be kept.
            raise Problem(f"must be at most {MAX_VERSION}")
        return value

    @field_validator("criteria")
    @classmethod
    def _criteria_rules(cls, criteria: tuple[Criterion, ...]) -> tuple[Criterion, ...]:
        if not criteria:
            raise Problem("must have at least 1 criterion")
        if len(criteria) > MAX_CRITERIA:
            raise Problem(f"must have at most {MAX_CRITERIA} criteria")
        require_unique([c.id for c in criteria], what="id", plural="criteria")
        require_unique([c.order for c in criteria], what="order", plural="criteria")
        return tuple(sorted(criteria, key=lambda c: c.order))

    def criterion(self, criterion_id: str) -> Criterion | None:
        """The criterion with this id, or None."""
        return next((c for c in self.criteria if c.id == criterion_id), None)

    @property
    def ref(self) -> SolutionRef:
        """Which solution version this is, as evaluations record it."""
        return SolutionRef(id=self.id, version=self.version)

    @property
    def grades(self) -> GradeBands:
        """Where grades A, B and C begin for this solution."""
        return self.grade_bands or DEFAULT_GRADE_BANDS

    @property
    def total_weight(self) -> Decimal:
        """Σ of all criterion weights (the denominator of the probability)."""
        return sum((c.weight for c in self.criteria), Decimal(0))


@dataclass(frozen=True)
class SolutionRef:
    """A solution version, as evaluation history records it."""

    id: str
    version: int

    def __str__(self) -> str:
        return f"{self.id}@v{self.version}"


def content_hash(solution: Solution) -> str:
    """A stable ``sha256:<hex>`` of the solution's content (all fields, criteria in order).

    Equal for equal content however the input was spelled (key order, whitespace around text,
    ``1.50`` vs ``1.5``), so storage can refuse to overwrite a published version with different
    content and history can prove what it was scored against.
    """
    data = solution.model_dump(mode="json")
    if data.get("grade_bands") is None:
        # A solution without bands hashes as it did before bands existed.
        data.pop("grade_bands", None)
    canonical = json.dumps(
        data,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse_solution(data: Mapping[str, object] | str | bytes) -> Solution:
    """Validate a solution from a mapping or JSON text; any problem is :class:`InvalidInput`
    naming the path (``criteria[2].options[0].score must be between 0 and 100``)."""
    raw: object = data
    if isinstance(data, str | bytes):
        try:
            # Decimals, not floats: 1.1 must stay 1.1 in weights, and 50.0 is refused as a score.
            raw = json.loads(data, parse_float=Decimal)
        except (ValueError, RecursionError) as exc:
            # ValueError covers JSONDecodeError and UnicodeDecodeError; absurd nesting hits the
            # recursion limit, which must be a 400 too, not a 500.
            raise InvalidInput(
                f"solution is not valid JSON: {exc}", code="invalid_solution"
            ) from exc
    try:
        return Solution.model_validate(raw)
    except ValidationError as exc:
        problems = [_describe(error) for error in exc.errors()]
        shown = "; ".join(f"{p['path']} {p['message']}" for p in problems[:5])
        if len(problems) > 5:
            shown += f" (and {len(problems) - 5} more)"
        raise InvalidInput(shown, code="invalid_solution", params={"problems": problems}) from None


_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not a known field",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "string_type": "must be text",
    "decimal_type": "must be a number",
    "decimal_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "tuple_type": "must be a list",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
}


def _describe(error: Mapping[str, Any]) -> dict[str, str]:
    """Turn one pydantic error into ``{"path": ..., "message": ...}`` in our own words."""
    path = _path(error["loc"])
    ctx = error.get("ctx") or {}
    cause = ctx.get("error")
    if isinstance(cause, Problem):
        return {"path": path + cause.subpath, "message": cause.message}
    kind = error["type"]
    if kind == "value_error" and isinstance(cause, ValueError):
        return {"path": path, "message": str(cause)}
    if kind == "literal_error":
        return {"path": path, "message": f"must be one of {ctx.get('expected', '')}"}
    return {"path": path, "message": _MESSAGES.get(kind, f"is invalid ({error['msg']})")}


def _path(loc: Sequence[int | str]) -> str:
    path = "solution" if not loc else ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


_CATALOG_PACKAGE = "shared.domain.solution_catalog"


@functools.cache
def builtin_solutions() -> tuple[Solution, ...]:
    """The solutions shipped with the app (``solution_catalog/*.json``), sorted by id.

    Read on first call, not at import (cold start budget), then cached for the process. A broken
    file is a bug in the release, so it fails loudly with the file name.
    """
    solutions: list[Solution] = []
    for entry in resources.files(_CATALOG_PACKAGE).iterdir():
        if not entry.name.endswith(".json"):
            continue
        try:
            solutions.append(parse_solution(entry.read_bytes()))
        except InvalidInput as exc:
            raise RuntimeError(f"built-in solution {entry.name} is invalid: {exc.detail}") from exc
    ids = [s.id for s in solutions]
    if len(set(ids)) != len(ids):
        raise RuntimeError(f"built-in solution ids are not unique: {sorted(ids)}")
    return tuple(sorted(solutions, key=lambda s: s.id))


def builtin_solution(solution_id: str) -> Solution:
    """The built-in solution with this id, or :class:`NotFound`."""
    for solution in builtin_solutions():
        if solution.id == solution_id:
            return solution
    raise NotFound(
        f"no built-in solution {solution_id!r}",
        code="solution_not_found",
        params={"solution": solution_id},
    )
