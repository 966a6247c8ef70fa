"""Rules of the API that JSON Schema cannot state, for the contract test: a schema-valid request
that breaks one is rightly refused with 400, so the contract test does not count that refusal
against the document (docs/architecture.md, "The HTTP edge"). Each rule is checked on the request
itself; anything else a schema-valid request is refused for is a gap in the document."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any, NamedTuple

from schemathesis import Case

# Solutions are stored as one table property (shared/adapters/tables/solutions.py).
_MAX_SOLUTION_JSON = 30_000


class Unstated(NamedTuple):
    """A broken rule, and the codes the 400 that refuses it may carry."""

    rule: str
    codes: frozenset[str]


def unstated_rule(case: Case) -> Unstated | None:
    """Which rule JSON Schema cannot state this request breaks, or None."""
    if isinstance(case.body, dict | list) and _integral_float(case.body):
        # JSON Schema counts 1.0 as an integer; the API wants integers written as integers.
        return Unstated("integers are written without a fraction", _INTEGER_CODES)
    found = _RULES.get(f"{case.method.upper()} {case.path}")
    if found is None:
        return None
    check, codes = found
    rule = check(case)
    return Unstated(rule, codes) if rule is not None else None


def _integral_float(value: Any, key: str = "") -> bool:
    if isinstance(value, float):
        return value.is_integer() and key != "weight"
    if isinstance(value, dict):
        return any(_integral_float(v, str(k)) for k, v in value.items())
    if isinstance(value, list):
        return any(_integral_float(v, key) for v in value)
    return False


def _solution_rules(case: Case) -> str | None:
    body: Any = case.body
    if not isinstance(body, dict) or not isinstance(body.get("name"), str):
        return None  # not a solution (an import may be a draft)
    criteria = [c for c in body.get("criteria", []) if isinstance(c, dict)]
    if _repeats(c.get("id") for c in criteria) or _repeats(c.get("order") for c in criteria):
        return "criterion ids and orders are unique within the solution"
    for criterion in criteria:
        options = [o for o in criterion.get("options", []) if isinstance(o, dict)]
        if _repeats(o.get("id") for o in options):
            return "option ids are unique within their criterion"
        if any(_caps_below_score(o) for o in options):
            return "a knock-out option scores no higher than its cap"
        if _places(criterion.get("weight")) > 4:
            return "a weight has at most 4 decimal places"
    bands = body.get("grade_bands")
    if isinstance(bands, dict) and not _descending([bands.get(k) for k in "abc"]):
        return "grade bands descend: a > b > c"
    if len(json.dumps(body, ensure_ascii=False)) > _MAX_SOLUTION_JSON:
        return "the solution fits in one stored property"
    return None


def _descending(values: list[Any]) -> bool:
    numbers = [v for v in values if isinstance(v, int)]
    return len(numbers) < len(values) or numbers == sorted(set(numbers), reverse=True)


def _repeats(values: Iterator[object]) -> bool:
    seen = [v for v in values if v is not None]
    return len(seen) != len(set(map(repr, seen)))


def _caps_below_score(option: Mapping[str, Any]) -> bool:
    cap, score = option.get("knockout_cap"), option.get("score")
    return isinstance(cap, int) and isinstance(score, int) and score > cap


def _places(weight: object) -> int:
    if not isinstance(weight, int | float) or isinstance(weight, bool):
        return 0
    exponent = Decimal(repr(weight)).normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _period(case: Case) -> str | None:
    query: Any = case.query or {}
    since, until = query.get("since"), query.get("until")
    if isinstance(since, str) and isinstance(until, str) and since > until:
        return "the period ends after it starts (since <= until)"
    return None


def _preview_answers(case: Case) -> str | None:
    body: Any = case.body if isinstance(case.body, dict) else {}
    draft: Any = body.get("draft") if isinstance(body.get("draft"), dict) else {}
    options = {
        c.get("id"): {o.get("id") for o in c.get("options", []) if isinstance(o, dict)}
        for c in draft.get("criteria", [])
        if isinstance(c, dict)
    }
    for criterion, option in (body.get("answers") or {}).items():
        if option not in options.get(criterion, set()):
            return "answers name criteria and options of the draft in the same request"
    return None


# The request models (FastAPI), a solution (shared/domain/solutions.py), an imported draft.
_INTEGER_CODES = frozenset({"invalid_input", "invalid_solution", "import_invalid"})
_SOLUTION = (_solution_rules, frozenset({"invalid_solution"}))
_PERIOD = (_period, frozenset({"log_period_invalid"}))
_RULES: dict[str, tuple[Callable[[Case], str | None], frozenset[str]]] = {
    "POST /api/admin/solutions": _SOLUTION,
    "POST /api/admin/solutions/import": _SOLUTION,
    "GET /api/admin/orgs/{org}/log": _PERIOD,
    "GET /api/admin/orgs/{org}/log.csv": _PERIOD,
    "POST /api/admin/designer/preview": (_preview_answers, frozenset({"invalid_answer"})),
}
