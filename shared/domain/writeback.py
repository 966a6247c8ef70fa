"""Write-back rules: which CRM column may receive the probability, how the value is rounded for it,
and whether a write happens at all.

Target column (checked when an admin saves it and again before each write, see
:func:`check_target_field`): a numeric column of type **Integer, BigInt, Decimal or Double** that
is valid for update and whose range holds 0–100. **Money is refused**: a probability is not an
amount of money, and a Money column carries a transaction currency, an exchange rate and a computed
``_base`` twin (adding a currency column adds four columns to the table, see
https://learn.microsoft.com/training/modules/create-manage-fields-within-entity/2-field-types), so a
score written there would show as "€56.50" and be converted between currencies.
A column under column security is allowed with a warning: only users with a field security profile
granting update can write it; the others get 403.

Rounding rule (the README quotes it). The cockpit shows the probability rounded half-up to one
decimal (see ``shared/domain/scoring.py``); that shown value is what gets converted, so what a rep
sees and what lands in the CRM never disagree:

- **Integer / BigInt**: rounded half-up to a whole number (56.5 → 57, 56.4 → 56).
- **Decimal**: rounded half-up to the column's ``Precision`` (decimal places; 2 when metadata has
  none), sent as an exact decimal (56.5 → 56.50).
- **Double**: rounded half-up to the column's ``Precision`` (2 when absent) as a decimal first, then
  converted to the nearest float (56.5 → 56.5).

The result must lie within the column's ``MinValue``..``MaxValue``, else
:class:`~shared.domain.errors.ConfigurationInvalid` (the admin setting no longer fits the CRM).

Write decision (:func:`decide_write`): a won/lost opportunity follows the closed policy (default
``skip``: do not write and say why); otherwise the value is written unless the CRM already holds the
same value in the column's own rounding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

from shared.domain.crm import FieldInfo, NumericKind, OpportunityState
from shared.domain.errors import ConfigurationInvalid, InvalidInput

__all__ = [
    "ALLOWED_KINDS",
    "DEFAULT_CLOSED_POLICY",
    "DEFAULT_PRECISION",
    "ClosedPolicy",
    "FieldCheck",
    "FieldIssue",
    "WriteAction",
    "WriteDecision",
    "check_target_field",
    "decide_write",
    "effective_range",
    "to_field_value",
]

# Column types a probability may be written to (the issue's list; Money is refused, see above).
ALLOWED_KINDS = frozenset(
    {NumericKind.INTEGER, NumericKind.BIGINT, NumericKind.DECIMAL, NumericKind.DOUBLE}
)
# Decimal places used when metadata carries no Precision.
DEFAULT_PRECISION = 2

# The widest range each type allows (the SDK's MinSupportedValue/MaxSupportedValue constants), used
# when metadata has no MinValue/MaxValue (the type cast was not read): Integer Int32, BigInt Int64,
# Decimal and Double ±100 billion. Docs (prefix https://learn.microsoft.com/dotnet/api/):
#   microsoft.xrm.sdk.metadata.doubleattributemetadata.minsupportedvalue (and .maxsupportedvalue),
#   microsoft.xrm.sdk.metadata.decimalattributemetadata, ...integerattributemetadata,
#   ...bigintattributemetadata. A *new* Float column defaults to 0..10⁹ and Integer to the Int32
#   range: learn.microsoft.com/training/modules/create-manage-fields-within-entity/2-field-types
_TYPE_RANGE: dict[NumericKind, tuple[Decimal, Decimal]] = {
    NumericKind.INTEGER: (Decimal(-(2**31)), Decimal(2**31 - 1)),
    NumericKind.BIGINT: (Decimal(-(2**63)), Decimal(2**63 - 1)),
    NumericKind.DECIMAL: (Decimal(-(10**11)), Decimal(10**11)),
    NumericKind.DOUBLE: (Decimal(-(10**11)), Decimal(10**11)),
}
# Precision (decimal places) a column may declare: Decimal 0–10 (DecimalAttributeMetadata
# MaxSupportedPrecision), Double 0–5 (DoubleAttributeMetadata.MaxSupportedPrecision, page above).
_MAX_PRECISION = {NumericKind.DECIMAL: 10, NumericKind.DOUBLE: 5}
_PROBABILITY_MIN = Decimal(0)
_PROBABILITY_MAX = Decimal(100)


class ClosedPolicy(StrEnum):
    """What to do when the opportunity is won or lost."""

    SKIP = "skip"  # default: do not write, tell the rep why
    WRITE = "write"


DEFAULT_CLOSED_POLICY = ClosedPolicy.SKIP


class WriteAction(StrEnum):
    WRITE = "write"
    SKIP_UNCHANGED = "skip_unchanged"
    SKIP_CLOSED = "skip_closed"


@dataclass(frozen=True)
class FieldIssue:
    """A refusal or warning about a target column: ``code`` selects the message, ``params`` fill it.

    Refusal codes: ``not_numeric`` (type), ``money_not_allowed``, ``not_updatable``,
    ``range_excludes_probability`` (min, max), ``precision_invalid`` (precision, max).
    Warning codes: ``secured_field``.
    """

    code: str
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class FieldCheck:
    """Whether a column may receive the probability; ``refusals`` say why not."""

    field: FieldInfo
    refusals: tuple[FieldIssue, ...]
    warnings: tuple[FieldIssue, ...]

    @property
    def ok(self) -> bool:
        return not self.refusals

    def require_ok(self) -> None:
        """Raise :class:`ConfigurationInvalid` (code ``target_field_refused``) unless ok."""
        if self.refusals:
            codes = [r.code for r in self.refusals]
            raise ConfigurationInvalid(
                f"column {self.field.logical_name!r} cannot receive the probability: "
                + ", ".join(codes),
                code="target_field_refused",
                params={
                    "field": self.field.logical_name,
                    "reasons": [{"code": r.code, **r.params} for r in self.refusals],
                },
            )


@dataclass(frozen=True)
class WriteDecision:
    """Whether to write, and the reason code for the UI and the write-back log.

    Reasons: ``changed``, ``no_current_value``, ``closed_policy_write`` (action ``write``);
    ``unchanged`` (``skip_unchanged``); ``opportunity_closed`` with ``params["state"]``
    (``skip_closed``).
    """

    action: WriteAction
    reason: str
    params: Mapping[str, object] = field(default_factory=dict)

    @property
    def should_write(self) -> bool:
        return self.action is WriteAction.WRITE


def effective_range(info: FieldInfo) -> tuple[Decimal, Decimal] | None:
    """The column's MinValue..MaxValue, falling back to its type's limits; None if not numeric."""
    kind = info.numeric_kind
    if kind is None or kind not in _TYPE_RANGE:
        return None
    type_min, type_max = _TYPE_RANGE[kind]
    low = type_min if info.min_value is None else info.min_value
    high = type_max if info.max_value is None else info.max_value
    return low, high


def check_target_field(info: FieldInfo) -> FieldCheck:
    """Check a column (from live metadata) as a target for the probability; see the module doc."""
    refusals: list[FieldIssue] = []
    warnings: list[FieldIssue] = []
    kind = info.numeric_kind
    if kind is None:
        refusals.append(FieldIssue("not_numeric", {"type": info.attribute_type}))
    elif kind is NumericKind.MONEY:
        refusals.append(FieldIssue("money_not_allowed"))
    if not info.is_valid_for_update:
        refusals.append(FieldIssue("not_updatable"))
    if kind in ALLOWED_KINDS:
        bounds = effective_range(info)
        assert bounds is not None
        low, high = bounds
        # Rounding maps 0–100 onto 0–100 for every type, so the whole range must fit.
        if low > _PROBABILITY_MIN or high < _PROBABILITY_MAX:
            refusals.append(
                FieldIssue("range_excludes_probability", {"min": str(low), "max": str(high)})
            )
        max_precision = _MAX_PRECISION.get(kind)
        if max_precision is not None and info.precision is not None:
            if not 0 <= info.precision <= max_precision:
                refusals.append(
                    FieldIssue(
                        "precision_invalid", {"precision": info.precision, "max": max_precision}
                    )
                )
    if info.is_secured:
        warnings.append(FieldIssue("secured_field"))
    return FieldCheck(field=info, refusals=tuple(refusals), warnings=tuple(warnings))


def to_field_value(probability: Decimal, info: FieldInfo) -> int | float | Decimal:
    """The value to write into column ``info`` for ``probability`` (0–100), per the rounding rule.

    Raises :class:`ConfigurationInvalid` if the column cannot hold numbers of an allowed type or
    the rounded value lies outside its range; :class:`InvalidInput` if ``probability`` is not 0–100.
    """
    if not probability.is_finite() or not _PROBABILITY_MIN <= probability <= _PROBABILITY_MAX:
        raise InvalidInput(
            f"probability {probability} is not between 0 and 100", code="invalid_probability"
        )
    kind = info.numeric_kind
    if kind not in ALLOWED_KINDS:
        raise ConfigurationInvalid(
            f"column {info.logical_name!r} of type {info.attribute_type} cannot receive the "
            "probability",
            code="target_field_refused",
            params={"field": info.logical_name, "type": info.attribute_type},
        )
    rounded = _round_for(probability, info)
    bounds = effective_range(info)
    assert bounds is not None
    low, high = bounds
    if not low <= rounded <= high:
        raise ConfigurationInvalid(
            f"{rounded} is outside the range {low}..{high} of column {info.logical_name!r}",
            code="value_out_of_range",
            params={
                "field": info.logical_name,
                "value": str(rounded),
                "min": str(low),
                "max": str(high),
            },
        )
    if kind in (NumericKind.INTEGER, NumericKind.BIGINT):
        return int(rounded)
    if kind is NumericKind.DOUBLE:
        return float(rounded)
    return rounded


def decide_write(
    *,
    state: OpportunityState,
    policy: ClosedPolicy,
    current: Decimal | None,
    new: int | float | Decimal,
    field: FieldInfo | None = None,
) -> WriteDecision:
    """Decide whether to write ``new`` (already from :func:`to_field_value`) over ``current`` (the
    column's value as read from the CRM).

    Closed (won/lost) with policy ``skip`` → ``skip_closed`` whatever the values. Otherwise equal
    values → ``skip_unchanged``: ``current`` is compared in the column's own rounding (from
    ``field`` when given, else from ``new``'s own form: an ``int`` means whole numbers, a
    ``Decimal`` its decimal places), so 56.999999 read from a Double column equals a new 57.0.
    """
    if state.closed and policy is ClosedPolicy.SKIP:
        return WriteDecision(WriteAction.SKIP_CLOSED, "opportunity_closed", {"state": state.value})
    if current is not None and _same_value(current, new, field):
        return WriteDecision(WriteAction.SKIP_UNCHANGED, "unchanged")
    if state.closed:
        return WriteDecision(WriteAction.WRITE, "closed_policy_write", {"state": state.value})
    if current is None:
        return WriteDecision(WriteAction.WRITE, "no_current_value")
    return WriteDecision(WriteAction.WRITE, "changed")


def _places(info: FieldInfo) -> int:
    if info.numeric_kind in (NumericKind.INTEGER, NumericKind.BIGINT):
        return 0
    return DEFAULT_PRECISION if info.precision is None else info.precision


def _round_for(value: Decimal, info: FieldInfo) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-_places(info)), ROUND_HALF_UP)


def _same_value(current: Decimal, new: int | float | Decimal, info: FieldInfo | None) -> bool:
    if not current.is_finite():
        return False
    try:
        return _rounded_like(current, new, info) == (
            # repr() is the shortest text that round-trips a float, so 56.3 compares as 56.3, not
            # as the binary 56.29999999999999715782905696.
            Decimal(repr(new)) if isinstance(new, float) else Decimal(new)
        )
    except InvalidOperation:
        # A current value too large to quantize (e.g. 1e300 in a Double column) is not "ours".
        return False


def _rounded_like(current: Decimal, new: int | float | Decimal, info: FieldInfo | None) -> Decimal:
    if info is not None and info.numeric_kind in ALLOWED_KINDS:
        return _round_for(current, info)
    if isinstance(new, int):
        return current.quantize(Decimal(1), ROUND_HALF_UP)
    if isinstance(new, Decimal):
        exponent = new.as_tuple().exponent
        step = Decimal(1).scaleb(exponent) if isinstance(exponent, int) else Decimal(1)
        return current.quantize(step, ROUND_HALF_UP)
    # A float without field metadata: its precision is unknown, compare as read.
    return current
