"""The field rules of :mod:`shared.domain.solutions`: ids, texts, scores, weights, uniqueness —
each a readable problem that names what is wrong (``criteria[2].options[0].score must be between 0
and 100``)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from decimal import Decimal

from pydantic import AfterValidator

from shared.domain.errors import InvalidKey
from shared.domain.keys import check_key_part

MAX_ID = 64
_ID = re.compile(r"[a-z0-9][a-z0-9._-]*")
_MAX_WEIGHT = Decimal(1000)
_WEIGHT_PLACES = 4


class Problem(ValueError):
    """A validation problem; ``subpath`` is appended to the location pydantic reports, for checks
    that run on a list but blame one element of it (duplicate ids)."""

    def __init__(self, message: str, *, subpath: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.subpath = subpath


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


def text_rule(max_len: int, *, allow_empty: bool = False) -> AfterValidator:
    def check(value: str) -> str:
        if not value and not allow_empty:
            raise Problem("must not be empty")
        if len(value) > max_len:
            raise Problem(f"must be at most {max_len} characters")
        return value

    return AfterValidator(check)


def percent(value: int) -> int:
    if not 0 <= value <= 100:
        raise Problem("must be between 0 and 100")
    return value


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


def require_unique(values: Sequence[object], *, what: str, plural: str) -> None:
    seen: dict[object, int] = {}
    for index, value in enumerate(values):
        if value in seen:
            raise Problem(
                f"{json.dumps(value)} is already used by {plural}[{seen[value]}]",
                subpath=f"[{index}].{what}",
            )
        seen[value] = index
