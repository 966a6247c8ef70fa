"""Solution model: parsing, validation messages that name the path, canonical form and hashing."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from shared.domain.errors import InvalidInput
from shared.domain.solutions import (
    MAX_CRITERIA,
    Solution,
    SolutionRef,
    content_hash,
    parse_solution,
)


def _option(oid: str, score: int, colour: str = "amber", cap: int | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"id": oid, "label": oid.title(), "score": score, "colour": colour}
    if cap is not None:
        data["knockout_cap"] = cap
    return data


def _valid() -> dict[str, Any]:
    return {
        "id": "demo",
        "name": "Demo model",
        "language": "en",
        "version": 1,
        "description": "For tests.",
        "criteria": [
            {
                "id": "budget",
                "question": "Budget?",
                "guidance": "Ask who owns it.",
                "weight": 3,
                "order": 1,
                "options": [
                    _option("yes", 100, "green"),
                    _option("maybe", 50),
                    _option("none", 0, "red", cap=10),
                ],
            },
            {
                "id": "timeline",
                "question": "Timeline?",
                "weight": "1.5",
                "order": 2,
                "options": [_option("soon", 100, "green"), _option("later", 20, "red")],
            },
            {
                "id": "fit",
                "question": "Fit?",
                "weight": 2,
                "order": 3,
                "options": [_option("good", 90, "green"), _option("poor", 10, "red")],
            },
        ],
    }


def _mutated(change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    data = _valid()
    change(data)
    return data


def test_valid_solution_parses_with_ref_and_lookups() -> None:
    solution = parse_solution(_valid())
    assert solution.ref == SolutionRef(id="demo", version=1)
    assert str(solution.ref) == "demo@v1"
    assert [c.id for c in solution.criteria] == ["budget", "timeline", "fit"]
    budget = solution.criterion("budget")
    assert budget is not None
    option = budget.option("none")
    assert option is not None
    assert option.knockout_cap == 10
    assert budget.option("nope") is None
    assert solution.criterion("nope") is None
    assert solution.total_weight == Decimal("6.5")
    assert budget.best_score == 100  # the knock-out option never counts as "best"


def test_json_text_and_bytes_parse_like_the_mapping() -> None:
    as_mapping = parse_solution(_valid())
    assert parse_solution(json.dumps(_valid())) == as_mapping
    assert parse_solution(json.dumps(_valid()).encode("utf-8")) == as_mapping
    # What we store (model_dump_json) reads back identically.
    assert parse_solution(as_mapping.model_dump_json()) == as_mapping


def test_criteria_are_kept_in_order_whatever_the_input_order() -> None:
    data = _valid()
    data["criteria"].reverse()
    solution = parse_solution(data)
    assert [c.order for c in solution.criteria] == [1, 2, 3]


def test_text_is_trimmed_and_weights_are_canonical() -> None:
    data = _valid()
    data["name"] = "  Demo model \n"
    data["criteria"][1]["weight"] = "1.5000"
    data["criteria"][0]["weight"] = "3.0"
    solution = parse_solution(data)
    assert solution.name == "Demo model"
    assert str(solution.criteria[1].weight) == "1.5"
    assert str(solution.criteria[0].weight) == "3"


def test_models_are_frozen() -> None:
    solution = parse_solution(_valid())
    with pytest.raises(ValidationError):
        solution.name = "changed"  # type: ignore[misc]


def test_content_hash_is_stable_across_spellings_and_changes_with_content() -> None:
    base = parse_solution(_valid())
    respelled = _valid()
    respelled["criteria"].reverse()
    respelled["criteria"][0]["weight"] = "2.00"  # fit (order 3) reversed to the front
    respelled["name"] = " Demo model "
    reordered_keys = json.loads(json.dumps(respelled, sort_keys=True))
    assert content_hash(parse_solution(reordered_keys)) == content_hash(base)
    assert content_hash(base).startswith("sha256:")

    changed = _valid()
    changed["criteria"][0]["options"][1]["score"] = 51
    assert content_hash(parse_solution(changed)) != content_hash(base)
    bumped = _valid()
    bumped["version"] = 2
    assert content_hash(parse_solution(bumped)) != content_hash(base)


def _set(path: list[str | int], value: object) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        target: Any = data
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return change


def _delete(path: list[str | int]) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        target: Any = data
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]

    return change


BAD_CASES: list[tuple[str, Callable[[dict[str, Any]], object], str]] = [
    (
        "score above 100",
        _set(["criteria", 2, "options", 0, "score"], 101),
        "criteria[2].options[0].score must be between 0 and 100",
    ),
    (
        "negative score",
        _set(["criteria", 2, "options", 1, "score"], -1),
        "criteria[2].options[1].score must be between 0 and 100",
    ),
    (
        "fractional score",
        _set(["criteria", 0, "options", 1, "score"], 50.5),
        "criteria[0].options[1].score must be a whole number",
    ),
    (
        "boolean score",
        _set(["criteria", 0, "options", 1, "score"], True),
        "criteria[0].options[1].score must be a whole number",
    ),
    (
        "duplicate option id",
        _set(["criteria", 0, "options", 2, "id"], "yes"),
        'criteria[0].options[2].id "yes" is already used by options[0]',
    ),
    (
        "duplicate criterion id",
        _set(["criteria", 2, "id"], "budget"),
        'criteria[2].id "budget" is already used by criteria[0]',
    ),
    (
        "duplicate order",
        _set(["criteria", 1, "order"], 1),
        "criteria[1].order 1 is already used by criteria[0]",
    ),
    ("no criteria", _set(["criteria"], []), "criteria must have at least 1 criterion"),
    (
        "too many criteria",
        lambda d: d.update(
            criteria=[
                {**copy.deepcopy(d["criteria"][2]), "id": f"c{i}", "order": i}
                for i in range(MAX_CRITERIA + 1)
            ]
        ),
        f"criteria must have at most {MAX_CRITERIA} criteria",
    ),
    (
        "one option",
        lambda d: d["criteria"][1]["options"].pop(),
        "criteria[1].options must have at least 2 options",
    ),
    (
        "zero weight",
        _set(["criteria", 1, "weight"], 0),
        "criteria[1].weight must be greater than 0",
    ),
    (
        "negative weight",
        _set(["criteria", 1, "weight"], "-2"),
        "criteria[1].weight must be greater than 0",
    ),
    (
        "weight too precise",
        _set(["criteria", 1, "weight"], "0.00001"),
        "criteria[1].weight must have at most 4 decimal places",
    ),
    (
        "weight not a number",
        _set(["criteria", 1, "weight"], "heavy"),
        "criteria[1].weight must be a number",
    ),
    (
        "weight infinite",
        _set(["criteria", 1, "weight"], "Infinity"),
        "criteria[1].weight must be a finite number",
    ),
    (
        "cap of 100",
        _set(["criteria", 0, "options", 2, "knockout_cap"], 100),
        "criteria[0].options[2].knockout_cap must be below 100 (a cap of 100 never applies)",
    ),
    (
        "cap out of range",
        _set(["criteria", 0, "options", 2, "knockout_cap"], 150),
        "criteria[0].options[2].knockout_cap must be between 0 and 100",
    ),
    (
        "knock-out option scores above its cap",
        _set(["criteria", 0, "options", 2, "score"], 20),
        "criteria[0].options[2].knockout_cap is 10 but the option scores 20; a knock-out option "
        "must not score higher than its cap",
    ),
    (
        "knock-out option not red",
        _set(["criteria", 0, "options", 2, "colour"], "amber"),
        "criteria[0].options[2].colour must be red for a knock-out option",
    ),
    (
        "all options knock out",
        lambda d: (
            d["criteria"][1]["options"][0].update(score=0, colour="red", knockout_cap=5)
            or d["criteria"][1]["options"][1].update(knockout_cap=30)
        ),
        "criteria[1].options must include at least one option without a knockout cap",
    ),
    (
        "unknown colour",
        _set(["criteria", 0, "options", 0, "colour"], "blue"),
        "criteria[0].options[0].colour must be one of 'red', 'amber' or 'green'",
    ),
    ("unknown language", _set(["language"], "fr"), "language must be one of 'en' or 'de'"),
    ("version 0", _set(["version"], 0), "version must be 1 or more"),
    ("missing question", _delete(["criteria", 1, "question"]), "criteria[1].question is required"),
    (
        "empty question",
        _set(["criteria", 1, "question"], "   "),
        "criteria[1].question must not be empty",
    ),
    (
        "label too long",
        _set(["criteria", 1, "options", 0, "label"], "x" * 201),
        "criteria[1].options[0].label must be at most 200 characters",
    ),
    ("unknown field", _set(["colour"], "red"), "colour is not a known field"),
    ("name not text", _set(["name"], 42), "name must be text"),
    ("criteria not a list", _set(["criteria"], "budget"), "criteria must be a list"),
    ("criterion not an object", _set(["criteria", 0], 7), "criteria[0] must be an object"),
    (
        "order not a number",
        _set(["criteria", 0, "order"], "first"),
        "criteria[0].order must be a whole number",
    ),
]


@pytest.mark.parametrize(
    ("change", "message"),
    [pytest.param(change, message, id=name) for name, change, message in BAD_CASES],
)
def test_bad_solutions_are_refused_naming_the_path(
    change: Callable[[dict[str, Any]], object], message: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_solution(_mutated(change))
    assert caught.value.detail == message
    assert caught.value.code == "invalid_solution"
    problems = caught.value.params["problems"]
    assert isinstance(problems, list)
    assert f"{problems[0]['path']} {problems[0]['message']}" == message


@pytest.mark.parametrize(
    "bad_id",
    ["", "Budget", "-lead", "a/b", "a#b", "a?b", "a\\b", "a b", "ä", "x" * 65, "a\x00"],
)
def test_ids_must_be_safe_keys(bad_id: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_solution(_mutated(_set(["criteria", 0, "id"], bad_id)))
    assert caught.value.detail.startswith("criteria[0].id must ")


@pytest.mark.parametrize("good_id", ["a", "0", "budget-2", "x.y_z", "x" * 64])
def test_ids_in_the_allowed_alphabet_pass(good_id: str) -> None:
    solution = parse_solution(_mutated(_set(["id"], good_id)))
    assert solution.id == good_id


def test_several_problems_are_listed_and_long_lists_are_shortened() -> None:
    data = _valid()
    for criterion in data["criteria"]:
        for option in criterion["options"]:
            option["score"] = 200
    with pytest.raises(InvalidInput) as caught:
        parse_solution(data)
    assert len(caught.value.params["problems"]) == 7  # type: ignore[arg-type]
    assert caught.value.detail.count("must be between 0 and 100") == 5
    assert caught.value.detail.endswith("(and 2 more)")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("{not json", "solution is not valid JSON"),
        (b"\xff\xfe", "solution is not valid JSON"),
        ("[]", "solution must be an object"),
        ("null", "solution must be an object"),
        ("[" * 100_000, "solution is not valid JSON"),
    ],
)
def test_unparseable_input_is_invalid_input(raw: str | bytes, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_solution(raw)
    assert caught.value.detail.startswith(message)


def test_json_floats_are_read_as_decimals() -> None:
    text = json.dumps(_valid()).replace('"weight": "1.5"', '"weight": 1.1')
    solution = parse_solution(text)
    assert solution.criteria[1].weight == Decimal("1.1")


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(deadline=None, derandomize=True, database=None)
@given(
    garbage=_json,
    key=st.sampled_from(["id", "name", "language", "version", "criteria", "description"]),
)
def test_any_json_is_either_a_solution_or_invalid_input(garbage: object, key: str) -> None:
    # Whatever an admin (or an attacker) sends, the only failure is InvalidInput: never a 500.
    data = _mutated(_set([key], garbage))
    try:
        result = parse_solution(data)
    except InvalidInput as exc:
        assert exc.detail
    else:
        assert isinstance(result, Solution)
    with pytest.raises(InvalidInput):
        parse_solution(json.dumps(garbage) if not isinstance(garbage, dict) else "[]")
