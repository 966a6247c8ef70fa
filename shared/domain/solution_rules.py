"""The field rules of :mod:`shared.domain.solutions`: ids, texts, scores, weights, uniqueness —
each a readable problem that names what is wrong (``criteria[2].options[0].score must be between 0
and 100``)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import AfterValidator, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from shared.domain.errors import InvalidKey
from shared.domain.keys import check_key_part

MAX_ID = 64
ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
_ID = re.compile(ID_PATTERN.strip("^$"))
_MAX_WEIGHT = Decimal(1000)
_WEIGHT_PLACES = 4


class Problem(ValueError):
    """A validation problem; ``subpath`` is appended to the location pydantic reports, for checks
    that run on a list but blame one element of it (duplicate ids)."""

    def __init__(self, message: str, *, subpath: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.subpath = subpath


@dataclass(frozen=True, slots=True, eq=False)
class Documented:
    """JSON-schema keywords that state a rule in the API document (OpenAPI 3.1 schemas are JSON
    Schema 2020-12). They never validate — the model's own rules do — so a refusal keeps naming
    the path in our words."""

    keywords: Mapping[str, Any]

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema.update(self.keywords)
        return schema


@dataclass(frozen=True, slots=True, eq=False)
class Rule(AfterValidator):
    """A field rule (``func``) with the keywords that state it in the document (as
    :class:`Documented`)."""

    keywords: Mapping[str, Any] = field(default_factory=dict)

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return Documented(self.keywords).__get_pydantic_json_schema__(core_schema, handler)


def check_id(value: str) -> str:
    if len(value) > MAX_ID:
        raise Problem(f"must be at most {MAX_ID} characters")
    if not _ID.fullmatch(value):
        raise Problem(
            "must start with a lowercase letter or digit and contain only a-z, 0-9, '-', '_' "
            "and '.'"
        )
    try:
        # The regex already excludes these characters; the shared key rule is the last word on what
        # may reach Azure Tables, should the regex ever be relaxed.
        check_key_part(value, what="id")
    except InvalidKey as exc:
        raise Problem(f"cannot be used as a storage key ({exc.detail})") from exc
    return value


ID_RULE = Rule(check_id, {"pattern": ID_PATTERN, "maxLength": MAX_ID})


def text_rule(max_len: int, *, allow_empty: bool = False) -> Rule:
    def check(value: str) -> str:
        if not value and not allow_empty:
            raise Problem("must not be empty")
        if len(value) > max_len:
            raise Problem(f"must be at most {max_len} characters")
        return value

    # Text is trimmed before the rule, so "not empty" means "has a character besides whitespace".
    keywords: dict[str, Any] = {"maxLength": max_len}
    if not allow_empty:
        keywords |= {"minLength": 1, "pattern": r"\S"}
    return Rule(check, keywords)


def percent(value: int) -> int:
    if not 0 <= value <= 100:
        raise Problem("must be between 0 and 100")
    return value


PERCENT_RULE = Rule(percent, {"minimum": 0, "maximum": 100})


def canonical_decimal(value: Decimal) -> Decimal:
    # normalize() alone turns 10 into 1E+1; keep integers as plain integers.
    normal = value.normalize()
    exponent = normal.as_tuple().exponent
    assert isinstance(exponent, int)  # finite: pydantic refuses NaN/Infinity for Decimal
    return normal.quantize(Decimal(1)) if exponent > 0 else normal


def weight(value: Decimal) -> Decimal:
    if value <= 0:
        raise Problem("must be greater than 0")
    if value > _MAX_WEIGHT:
        raise Problem(f"must be at most {_MAX_WEIGHT}")
    canonical = canonical_decimal(value)
    exponent = canonical.as_tuple().exponent
    assert isinstance(exponent, int)
    if -exponent > _WEIGHT_PLACES:
        raise Problem(f"must have at most {_WEIGHT_PLACES} decimal places")
    return canonical


# Numeric keywords apply to the number form, the pattern to the text form (a positive decimal up
# to 1000 with at most 4 places). The places of a JSON number cannot be stated: ``multipleOf`` is
# evaluated in binary floating point by validators and generators.
_POSITIVE_DECIMAL = (
    r"^[ \t\n\r]*\+?0*(?:[1-9][0-9]{0,2}(?:\.[0-9]{0,4})?|1000(?:\.0{0,4})?"
    r"|\.(?:[1-9][0-9]{0,3}|0[1-9][0-9]{0,2}|00[1-9][0-9]?|000[1-9]))[ \t\n\r]*$"
)
WEIGHT_RULE = Rule(
    weight,
    {
        "exclusiveMinimum": 0,
        "maximum": int(_MAX_WEIGHT),
        "pattern": _POSITIVE_DECIMAL,
        "description": f"A positive decimal, at most {int(_MAX_WEIGHT)}, "
        f"with at most {_WEIGHT_PLACES} decimal places.",
    },
)


def require_unique(values: Sequence[object], *, what: str, plural: str) -> None:
    seen: dict[object, int] = {}
    for index, value in enumerate(values):
        if value in seen:
            raise Problem(
                f"{json.dumps(value)} is already used by {plural}[{seen[value]}]",
                subpath=f"[{index}].{what}",
            )
        seen[value] = index
