"""Write-back rules: target column checks, type-aware rounding, range refusal, write decisions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.crm import FieldInfo, OpportunityState
from shared.domain.errors import ConfigurationInvalid, InvalidInput
from shared.domain.writeback import (
    DEFAULT_CLOSED_POLICY,
    ClosedPolicy,
    WriteAction,
    check_target_field,
    decide_write,
    effective_range,
    to_field_value,
)

PROPERTY = settings(deadline=None, derandomize=True, database=None, max_examples=200)


def field(
    attribute_type: str = "Integer",
    *,
    name: str = "closeprobability",
    updatable: bool = True,
    secured: bool = False,
    low: int | str | None = 0,
    high: int | str | None = 100,
    precision: int | None = None,
) -> FieldInfo:
    return FieldInfo(
        logical_name=name,
        display_name=name.title(),
        attribute_type=attribute_type,
        is_valid_for_update=updatable,
        is_secured=secured,
        is_custom=name.startswith("cockpit_"),
        min_value=None if low is None else Decimal(low),
        max_value=None if high is None else Decimal(high),
        precision=precision,
    )


# ---------------------------------------------------------------- check_target_field


@pytest.mark.parametrize(
    "info",
    [
        field("Integer"),
        field("BigInt", low=None, high=None),
        field("Decimal", precision=2),
        field("Decimal", precision=0, low=-1000, high=1000),
        field("Double", precision=1, high=1000),
        field("Double", precision=None, low=None, high=None),
        field("Integer", low=None, high=None),
    ],
    ids=lambda f: f"{f.attribute_type}-{f.min_value}-{f.max_value}-{f.precision}",
)
def test_numeric_updatable_columns_holding_0_to_100_are_accepted(info: FieldInfo) -> None:
    check = check_target_field(info)
    assert check.ok
    assert check.refusals == ()
    assert check.warnings == ()
    check.require_ok()


@pytest.mark.parametrize(
    ("info", "codes"),
    [
        (field("Money", precision=2, low=-(10**12), high=10**12), ["money_not_allowed"]),
        (field("String", low=None, high=None), ["not_numeric"]),
        (field("Picklist", low=None, high=None), ["not_numeric"]),
        (field("Integer", updatable=False), ["not_updatable"]),
        (field("Integer", high=10), ["range_excludes_probability"]),
        (field("Decimal", low=1, precision=2), ["range_excludes_probability"]),
        (field("Decimal", precision=11), ["precision_invalid"]),
        (field("Double", precision=6), ["precision_invalid"]),
        (
            field("Money", updatable=False, low=None, high=None),
            ["money_not_allowed", "not_updatable"],
        ),
        (
            field("Integer", updatable=False, high=50),
            ["not_updatable", "range_excludes_probability"],
        ),
    ],
)
def test_unsuitable_columns_are_refused_with_reasons(info: FieldInfo, codes: list[str]) -> None:
    check = check_target_field(info)
    assert not check.ok
    assert [r.code for r in check.refusals] == codes
    with pytest.raises(ConfigurationInvalid) as caught:
        check.require_ok()
    assert caught.value.code == "target_field_refused"
    assert caught.value.params["field"] == info.logical_name
    reasons = caught.value.params["reasons"]
    assert isinstance(reasons, list)
    assert [r["code"] for r in reasons] == codes


def test_refusal_params_say_what_is_wrong() -> None:
    (small,) = check_target_field(field("Integer", high=10)).refusals
    assert small.params == {"min": "0", "max": "10"}
    (text,) = check_target_field(field("String")).refusals
    assert text.params == {"type": "String"}
    (precise,) = check_target_field(field("Double", precision=6)).refusals
    assert precise.params == {"precision": 6, "max": 5}


def test_secured_column_is_allowed_with_a_warning() -> None:
    check = check_target_field(field("Integer", name="cockpit_securedscore", secured=True))
    assert check.ok
    assert [w.code for w in check.warnings] == ["secured_field"]


def test_missing_range_falls_back_to_the_type_limits() -> None:
    assert effective_range(field("Integer", low=None, high=None)) == (
        Decimal(-2147483648),
        Decimal(2147483647),
    )
    assert effective_range(field("BigInt", low=None, high=None)) == (
        Decimal(-9223372036854775808),
        Decimal(9223372036854775807),
    )
    assert effective_range(field("Decimal", low=None, high=50)) == (
        Decimal(-100000000000),
        Decimal(50),
    )
    assert effective_range(field("Money")) is None
    assert effective_range(field("String")) is None


# ---------------------------------------------------------------- to_field_value


@pytest.mark.parametrize("kind", ["Integer", "BigInt"])
@pytest.mark.parametrize(
    ("probability", "expected"),
    [
        ("0.0", 0),
        ("0.4", 0),
        ("0.5", 1),
        ("56.4", 56),
        ("56.5", 57),
        ("57.5", 58),  # half-up, not half-even (which would give 58 here and 56 above)
        ("99.5", 100),
        ("100.0", 100),
        ("100", 100),
    ],
)
def test_whole_number_columns_round_half_up(kind: str, probability: str, expected: int) -> None:
    value = to_field_value(Decimal(probability), field(kind))
    assert value == expected
    assert type(value) is int


@pytest.mark.parametrize(
    ("precision", "probability", "expected"),
    [
        (None, "56.5", "56.50"),  # Precision missing → 2 places
        (2, "56.5", "56.50"),
        (2, "0.0", "0.00"),
        (1, "56.25", "56.3"),  # half-up at the column's precision
        (1, "56.24", "56.2"),
        (0, "56.5", "57"),
        (0, "56.4", "56"),
        (10, "56.5", "56.5000000000"),
    ],
)
def test_decimal_columns_quantize_to_their_precision(
    precision: int | None, probability: str, expected: str
) -> None:
    value = to_field_value(Decimal(probability), field("Decimal", precision=precision))
    assert isinstance(value, Decimal)
    assert str(value) == expected


@pytest.mark.parametrize(
    ("precision", "probability", "expected"),
    [
        (None, "56.5", 56.5),
        (1, "56.25", 56.3),
        (1, "56.35", 56.4),  # decimal half-up first: the float 56.35 itself is 56.3499…
        (0, "56.5", 57.0),
        (0, "56.4", 56.0),
        (5, "33.3", 33.3),
    ],
)
def test_double_columns_round_as_decimal_then_become_floats(
    precision: int | None, probability: str, expected: float
) -> None:
    value = to_field_value(Decimal(probability), field("Double", precision=precision, high=1000))
    assert type(value) is float
    assert value == expected


@pytest.mark.parametrize(
    ("info", "probability", "rounded"),
    [
        (field("Integer", name="cockpit_smallscore", high=10), "56.5", "57"),
        (field("Integer", high=56), "56.5", "57"),  # rounding pushes it over MaxValue
        (field("Decimal", low=20, precision=2), "10.0", "10.00"),
        (field("Double", low=50, precision=1), "49.9", "49.9"),
    ],
)
def test_values_outside_the_column_range_are_configuration_errors(
    info: FieldInfo, probability: str, rounded: str
) -> None:
    with pytest.raises(ConfigurationInvalid) as caught:
        to_field_value(Decimal(probability), info)
    assert caught.value.code == "value_out_of_range"
    assert caught.value.params["value"] == rounded
    assert caught.value.params["field"] == info.logical_name


def test_values_inside_a_narrow_range_are_written() -> None:
    assert to_field_value(Decimal("9.6"), field("Integer", high=10)) == 10


@pytest.mark.parametrize("kind", ["Money", "String", "Boolean"])
def test_columns_of_other_types_cannot_receive_a_value(kind: str) -> None:
    with pytest.raises(ConfigurationInvalid) as caught:
        to_field_value(Decimal("50.0"), field(kind))
    assert caught.value.code == "target_field_refused"
    assert caught.value.params["type"] == kind


@pytest.mark.parametrize("probability", ["-0.1", "100.1", "NaN", "Infinity"])
def test_probability_outside_0_to_100_is_invalid_input(probability: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        to_field_value(Decimal(probability), field("BigInt", low=None, high=None))
    assert caught.value.code == "invalid_probability"


# ---------------------------------------------------------------- decide_write


OPEN, WON, LOST = OpportunityState.OPEN, OpportunityState.WON, OpportunityState.LOST


@pytest.mark.parametrize(
    ("state", "policy", "current", "new", "action", "reason"),
    [
        (OPEN, ClosedPolicy.SKIP, Decimal(40), 57, WriteAction.WRITE, "changed"),
        (OPEN, ClosedPolicy.SKIP, None, 57, WriteAction.WRITE, "no_current_value"),
        (OPEN, ClosedPolicy.SKIP, Decimal(57), 57, WriteAction.SKIP_UNCHANGED, "unchanged"),
        (OPEN, ClosedPolicy.WRITE, Decimal(57), 57, WriteAction.SKIP_UNCHANGED, "unchanged"),
        (WON, ClosedPolicy.SKIP, Decimal(40), 57, WriteAction.SKIP_CLOSED, "opportunity_closed"),
        (LOST, ClosedPolicy.SKIP, None, 57, WriteAction.SKIP_CLOSED, "opportunity_closed"),
        (LOST, ClosedPolicy.SKIP, Decimal(57), 57, WriteAction.SKIP_CLOSED, "opportunity_closed"),
        (WON, ClosedPolicy.WRITE, Decimal(40), 57, WriteAction.WRITE, "closed_policy_write"),
        (LOST, ClosedPolicy.WRITE, None, 57, WriteAction.WRITE, "closed_policy_write"),
        (WON, ClosedPolicy.WRITE, Decimal(57), 57, WriteAction.SKIP_UNCHANGED, "unchanged"),
    ],
)
def test_write_decisions(
    state: OpportunityState,
    policy: ClosedPolicy,
    current: Decimal | None,
    new: int,
    action: WriteAction,
    reason: str,
) -> None:
    decision = decide_write(state=state, policy=policy, current=current, new=new)
    assert (decision.action, decision.reason) == (action, reason)
    assert decision.should_write == (action is WriteAction.WRITE)
    if action is WriteAction.SKIP_CLOSED or reason == "closed_policy_write":
        assert decision.params == {"state": state.value}


def test_closed_policy_defaults_and_values() -> None:
    assert DEFAULT_CLOSED_POLICY is ClosedPolicy.SKIP
    assert ClosedPolicy("skip") is ClosedPolicy.SKIP
    assert ClosedPolicy("write") is ClosedPolicy.WRITE
    assert [p.value for p in ClosedPolicy] == ["skip", "write"]
    with pytest.raises(ValueError):
        ClosedPolicy("sometimes")


@pytest.mark.parametrize(
    ("current", "new", "info", "unchanged"),
    [
        # With the column's metadata: current is rounded the way the column rounds.
        (Decimal("56.999999"), 57.0, field("Double", precision=2), True),
        (Decimal("57.004"), Decimal("57.00"), field("Decimal", precision=2), True),
        (Decimal("57.006"), Decimal("57.00"), field("Decimal", precision=2), False),
        (Decimal("57"), 57, field("Integer"), True),
        (Decimal("56.4"), 57, field("Integer"), False),
        (Decimal("56.5"), 57, field("BigInt", low=None, high=None), True),
        (Decimal("1E+300"), 57.0, field("Double", precision=2), False),
        # Without metadata: the new value's own form says how to round.
        (Decimal("56.6"), 57, None, True),
        (Decimal("56.4"), 57, None, False),
        (Decimal("56.504"), Decimal("56.50"), None, True),
        (Decimal("56.51"), Decimal("56.50"), None, False),
        (Decimal("56.3"), 56.3, None, True),  # not the binary 56.2999…
        (Decimal("56.30"), 56.3, None, True),
        (Decimal("56.31"), 56.3, None, False),
        (Decimal("NaN"), 57, None, False),
    ],
)
def test_unchanged_is_judged_in_the_columns_own_rounding(
    current: Decimal, new: int | float | Decimal, info: FieldInfo | None, unchanged: bool
) -> None:
    decision = decide_write(
        state=OPEN, policy=ClosedPolicy.SKIP, current=current, new=new, field=info
    )
    assert (decision.action is WriteAction.SKIP_UNCHANGED) == unchanged


tenths = st.integers(0, 1000).map(lambda n: Decimal(n).scaleb(-1))
targets = st.one_of(
    st.builds(lambda: field("Integer")),
    st.builds(lambda: field("BigInt", low=None, high=None)),
    st.integers(0, 10).map(lambda p: field("Decimal", precision=p)),
    st.integers(0, 5).map(lambda p: field("Double", precision=p, high=1000)),
    st.just(field("Decimal", precision=None)),
    st.just(field("Double", precision=None)),
)


@PROPERTY
@given(tenths, targets)
def test_written_values_stay_close_and_in_range(probability: Decimal, info: FieldInfo) -> None:
    value = to_field_value(probability, info)
    as_decimal = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    assert Decimal(0) <= as_decimal <= Decimal(100)
    # Rounding to whole numbers moves at most half a unit; more places never move a tenth.
    assert abs(as_decimal - probability) <= Decimal("0.5")
    places = 2 if info.precision is None else info.precision
    if info.attribute_type in ("Decimal", "Double") and places >= 1:
        assert as_decimal == probability


@PROPERTY
@given(tenths, targets, st.sampled_from(list(OpportunityState)))
def test_writing_the_same_value_again_is_skipped(
    probability: Decimal, info: FieldInfo, state: OpportunityState
) -> None:
    # Idempotence: after a write, reading the column back (as a Decimal, the way the gateway
    # reports it) and scoring the same probability decides "unchanged", with or without metadata.
    value = to_field_value(probability, info)
    read_back = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    for meta in (info, None):
        decision = decide_write(
            state=state, policy=ClosedPolicy.WRITE, current=read_back, new=value, field=meta
        )
        assert decision.action is WriteAction.SKIP_UNCHANGED
