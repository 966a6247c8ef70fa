"""``$filter`` as the Dataverse Web API reads it: parsed strictly, evaluated against one row.

https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/filter-rows
(MicrosoftDocs/powerapps-docs developer/data-platform/webapi/query/filter-rows.md):
- comparison operators ``eq ne gt ge lt le``, logical ``and or not``, grouping with parentheses;
- the OData string functions Dataverse supports: ``contains``, ``endswith``, ``startswith``
  (case-insensitive, like every Dataverse string comparison, because of the SQL collation);
- Dataverse query functions, e.g.
  ``Microsoft.Dynamics.CRM.In(PropertyName='name',PropertyValues=['a','b'])`` or
  ``Microsoft.Dynamics.CRM.LastXDays(PropertyName='createdon',PropertyValue=7)``; the property is
  named by its *logical* name (``ownerid``, not ``_ownerid_value``);
- literals: strings, numbers, GUIDs, ``true``/``false``/``null`` and enum literals such as
  ``Microsoft.Dynamics.CRM.AttributeTypeCode'Integer'`` (query-metadata-web-api.md); property
  paths may navigate complex values (``AttributeTypeName/Value``).
Anything else is a 400, never silently ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from devstack.dataverse.errors import bad_request

NS = "Microsoft.Dynamics.CRM."
STRING_FUNCTIONS = ("contains", "startswith", "endswith")
# The query functions the simulator evaluates (a subset of the documented list in
# webapi/reference/queryfunctions). Others answer 400 and are listed in the README as not simulated.
_LIST_FUNCTIONS = {"In", "NotIn", "Between", "NotBetween"}
_USER_FUNCTIONS = {"EqualUserId", "NotEqualUserId", "EqualBusinessId", "NotEqualBusinessId"}
_DAY_FUNCTIONS = {"Today", "Yesterday", "Tomorrow"}
_X_DAY_FUNCTIONS = {"LastXDays", "NextXDays", "On", "OnOrAfter", "OnOrBefore"}
QUERY_FUNCTIONS = _LIST_FUNCTIONS | _USER_FUNCTIONS | _DAY_FUNCTIONS | _X_DAY_FUNCTIONS


@dataclass(frozen=True)
class Comparison:
    path: tuple[str, ...]
    op: str
    value: Any


@dataclass(frozen=True)
class StringFunction:
    name: str  # contains / startswith / endswith
    path: tuple[str, ...]
    value: str


@dataclass(frozen=True)
class QueryFunction:
    name: str  # without the namespace, e.g. "In"
    path: tuple[str, ...]  # (logical name,)
    values: tuple[Any, ...] = ()


@dataclass(frozen=True)
class BoolOp:
    op: str
    left: FilterExpr
    right: FilterExpr


@dataclass(frozen=True)
class Not:
    operand: FilterExpr


FilterExpr = Comparison | StringFunction | QueryFunction | BoolOp | Not


@dataclass(frozen=True)
class FilterEnv:
    """What query functions need besides the row: the calling user and "today"."""

    user_id: str = ""
    business_unit_id: str = ""
    today: date = field(default_factory=lambda: datetime.now(UTC).date())


_TOKEN_RE = re.compile(
    r"""\s*(?:
        (?P<lparen>\()|(?P<rparen>\))|(?P<lbracket>\[)|(?P<rbracket>\])|(?P<comma>,)|(?P<equals>=)|
        (?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(?![\w-])|
        (?P<enum>[A-Za-z_][\w.]*'(?:[^']|'')*')|
        (?P<string>'(?:[^']|'')*')|
        (?P<number>-?\d+(?:\.\d+)?)(?![\w.])|
        (?P<name>[A-Za-z_@$][\w./]*)
    )""",
    re.X,
)
_COMPARATORS = {"eq", "ne", "gt", "ge", "lt", "le"}


@dataclass
class _Token:
    kind: str
    text: str


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN_RE.match(text, position)
        if match is None or match.end() == position:
            raise bad_request(f"Syntax error at position {position} in '{text}'.")
        kind = match.lastgroup or ""
        tokens.append(_Token(kind, match[kind]))
        position = match.end()
    return tokens


def parse_filter(text: str) -> FilterExpr:
    tokens = _tokenize(text)
    parser = _FilterParser(tokens, text)
    expr = parser.parse_or()
    if parser.position != len(tokens):
        raise bad_request(f"Syntax error at '{tokens[parser.position].text}' in '{text}'.")
    return expr


class _FilterParser:
    def __init__(self, tokens: list[_Token], text: str) -> None:
        self.tokens = tokens
        self.position = 0
        self.text = text

    def _peek(self, ahead: int = 0) -> _Token | None:
        index = self.position + ahead
        return self.tokens[index] if index < len(self.tokens) else None

    def _take(self, kind: str | None = None) -> _Token:
        token = self._peek()
        if token is None:
            raise bad_request(f"Unexpected end of $filter expression '{self.text}'.")
        if kind is not None and token.kind != kind:
            raise bad_request(f"Syntax error at '{token.text}' in '{self.text}'.")
        self.position += 1
        return token

    def _is_word(self, word: str) -> bool:
        token = self._peek()
        return token is not None and token.kind == "name" and token.text == word

    def parse_or(self) -> FilterExpr:
        left = self.parse_and()
        while self._is_word("or"):
            self._take()
            left = BoolOp("or", left, self.parse_and())
        return left

    def parse_and(self) -> FilterExpr:
        left = self.parse_unary()
        while self._is_word("and"):
            self._take()
            left = BoolOp("and", left, self.parse_unary())
        return left

    def parse_unary(self) -> FilterExpr:
        if self._is_word("not"):
            self._take()
            return Not(self.parse_unary())
        token = self._peek()
        if token is not None and token.kind == "lparen":
            self._take()
            inner = self.parse_or()
            self._take("rparen")
            return inner
        following = self._peek(1)
        if token is not None and token.kind == "name" and following and following.kind == "lparen":
            return self._function()
        return self.parse_comparison()

    def parse_comparison(self) -> Comparison:
        name = self._take()
        if name.kind != "name":
            raise bad_request(f"Expected a property name, found '{name.text}' in '{self.text}'.")
        operator = self._take()
        if operator.kind != "name" or operator.text not in _COMPARATORS:
            raise bad_request(
                f"Unsupported or missing operator '{operator.text}' in '{self.text}' "
                "(supported: eq, ne, gt, ge, lt, le)."
            )
        return Comparison(tuple(name.text.split("/")), operator.text, self._literal())

    def _function(self) -> FilterExpr:
        name = self._take().text
        self._take("lparen")
        if name in STRING_FUNCTIONS:
            prop = self._take("name").text
            self._take("comma")
            value = self._literal()
            self._take("rparen")
            if not isinstance(value, str):
                raise bad_request(f"The function '{name}' needs a string literal in '{self.text}'.")
            return StringFunction(name, tuple(prop.split("/")), value)
        if not name.startswith(NS):
            # The OData parser's answer to a function Dataverse does not know.
            raise bad_request(f"An unknown function with name '{name}' was found.")
        short = name[len(NS) :]
        if short not in QUERY_FUNCTIONS:
            raise bad_request(
                f"The query function '{name}' is not simulated (see devstack/dataverse/README.md)."
            )
        args = self._named_arguments()
        prop_name = args.get("PropertyName")
        if not isinstance(prop_name, str) or not prop_name:
            raise bad_request(f"The function '{name}' requires the PropertyName parameter.")
        values = args.get("PropertyValues", args.get("PropertyValue"))
        values_tuple = tuple(values) if isinstance(values, list) else ((values,) if values else ())
        return QueryFunction(short, (prop_name,), values_tuple)

    def _named_arguments(self) -> dict[str, Any]:
        args: dict[str, Any] = {}
        while True:
            name = self._take("name").text
            self._take("equals")
            args[name] = self._list() if self._peek_kind("lbracket") else self._literal()
            if self._peek_kind("comma"):
                self._take()
                continue
            self._take("rparen")
            return args

    def _peek_kind(self, kind: str) -> bool:
        token = self._peek()
        return token is not None and token.kind == kind

    def _list(self) -> list[Any]:
        self._take("lbracket")
        values: list[Any] = []
        while not self._peek_kind("rbracket"):
            values.append(self._literal())
            if self._peek_kind("comma"):
                self._take()
        self._take("rbracket")
        return values

    def _literal(self) -> Any:
        token = self._take()
        if token.kind == "string":
            return token.text[1:-1].replace("''", "'")
        if token.kind == "guid":
            return token.text.lower()
        if token.kind == "number":
            return Decimal(token.text) if "." in token.text else int(token.text)
        if token.kind == "enum":
            return token.text[token.text.index("'") + 1 : -1]
        if token.kind == "name" and token.text in ("true", "false"):
            return token.text == "true"
        if token.kind == "name" and token.text == "null":
            return None
        raise bad_request(f"Expected a literal, found '{token.text}' in '{self.text}'.")


def filter_paths(expr: FilterExpr) -> list[tuple[str, ...]]:
    if isinstance(expr, Comparison | StringFunction | QueryFunction):
        return [expr.path]
    if isinstance(expr, Not):
        return filter_paths(expr.operand)
    return filter_paths(expr.left) + filter_paths(expr.right)


def evaluate_filter(
    expr: FilterExpr, lookup: Callable[[tuple[str, ...]], Any], env: FilterEnv | None = None
) -> bool:
    """Evaluate against one item; ``lookup`` returns a property's value for a path."""
    if isinstance(expr, BoolOp):
        if expr.op == "and":
            return evaluate_filter(expr.left, lookup, env) and evaluate_filter(
                expr.right, lookup, env
            )
        return evaluate_filter(expr.left, lookup, env) or evaluate_filter(expr.right, lookup, env)
    if isinstance(expr, Not):
        return not evaluate_filter(expr.operand, lookup, env)
    if isinstance(expr, StringFunction):
        actual = lookup(expr.path)
        if actual is None:
            return False
        text, wanted = str(actual).lower(), expr.value.lower()
        if expr.name == "contains":
            return wanted in text
        if expr.name == "startswith":
            return text.startswith(wanted)
        return text.endswith(wanted)
    if isinstance(expr, QueryFunction):
        return _query_function(expr, lookup(expr.path), env or FilterEnv())
    return _compare(lookup(expr.path), expr.op, expr.value)


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _coerce_like(actual: Any, raw: Any) -> Any:
    """A query-function argument (often a string) in the type of the stored value."""
    if isinstance(actual, bool):
        return str(raw).lower() in ("true", "1")
    if isinstance(actual, int | Decimal | float):
        try:
            return Decimal(str(raw))
        except InvalidOperation as exc:
            raise bad_request(f"The value '{raw}' is not a number.") from exc
    if isinstance(actual, date):
        found = _as_date(raw)
        if found is None:
            raise bad_request(f"The value '{raw}' is not a date.")
        return found
    return raw


def _query_function(expr: QueryFunction, actual: Any, env: FilterEnv) -> bool:
    name = expr.name
    if name in _USER_FUNCTIONS:
        expected = env.user_id if "User" in name else env.business_unit_id
        hit = actual is not None and str(actual).lower() == expected.lower()
        return not hit if name.startswith("Not") else hit
    if name in ("In", "NotIn"):
        hit = any(_compare(actual, "eq", _coerce_like(actual, v)) for v in expr.values)
        return not hit if name == "NotIn" else hit
    if name in ("Between", "NotBetween"):
        if len(expr.values) != 2:
            raise bad_request(f"{NS}{name} needs exactly two PropertyValues.")
        if actual is None:
            return False
        if isinstance(actual, date):
            actual = _as_date(actual)
        low, high = (_coerce_like(actual, v) for v in expr.values)
        hit = _compare(actual, "ge", low) and _compare(actual, "le", high)
        return not hit if name == "NotBetween" else hit
    day = _as_date(actual)
    if day is None:
        return False
    if name in _DAY_FUNCTIONS:
        offset = {"Today": 0, "Yesterday": -1, "Tomorrow": 1}[name]
        return day == env.today + timedelta(days=offset)
    if not expr.values:
        raise bad_request(f"{NS}{name} requires the PropertyValue parameter.")
    argument = expr.values[0]
    if name in ("LastXDays", "NextXDays"):
        days = int(argument)
        if name == "LastXDays":
            return env.today - timedelta(days=days) <= day <= env.today
        return env.today <= day <= env.today + timedelta(days=days)
    target = _as_date(argument)
    if target is None:
        raise bad_request(f"The value '{argument}' is not a date.")
    return {"On": day == target, "OnOrAfter": day >= target, "OnOrBefore": day <= target}[name]


def _normalise(value: Any) -> Any:
    # Dataverse compares strings case-insensitively (SQL collation) and GUIDs regardless of case.
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    return value


def _compare(actual: Any, op: str, expected: Any) -> bool:
    left, right = _normalise(actual), _normalise(expected)
    if isinstance(left, date) and isinstance(right, str):
        right = _as_date(right)
    if op == "eq":
        return bool(left == right)
    if op == "ne":
        return bool(left != right)
    if left is None or right is None:
        return False
    try:
        if op == "gt":
            return bool(left > right)
        if op == "ge":
            return bool(left >= right)
        if op == "lt":
            return bool(left < right)
        return bool(left <= right)
    except TypeError as exc:
        raise bad_request(f"Cannot compare values of different types with '{op}'.") from exc
