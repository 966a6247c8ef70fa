"""The slice of OData v4 URL and header syntax the Dataverse Web API uses, parsed strictly.

Query options ($select, $expand, $filter, $top) follow
https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query-data-web-api and
retrieve-entity-using-web-api; the ``Prefer`` preferences follow compose-http-requests-handle-errors
("Prefer" header: return=representation, odata.include-annotations, odata.continue-on-error,
odata.maxpagesize). Anything malformed raises a 400 ``DataverseError`` like Dataverse's OData layer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from devstack.dataverse.errors import bad_request

GUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)


def split_top_level(text: str, separator: str) -> list[str]:
    """Split on ``separator`` outside parentheses and single-quoted strings."""
    parts: list[str] = []
    depth = 0
    in_quote = False
    current: list[str] = []
    for char in text:
        if char == "'":
            in_quote = not in_quote
        elif not in_quote and char == "(":
            depth += 1
        elif not in_quote and char == ")":
            depth -= 1
            if depth < 0:
                raise bad_request(f"Syntax error: unbalanced ')' in '{text}'.")
        if char == separator and depth == 0 and not in_quote:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    if depth != 0 or in_quote:
        raise bad_request(f"Syntax error: unbalanced parentheses or quotes in '{text}'.")
    parts.append("".join(current))
    return parts


# --- path segments -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """One resource-path segment: ``name`` plus the raw text inside ``(...)`` if any."""

    name: str
    key: str | None


_SEGMENT_RE = re.compile(r"^(?P<name>[^()]+)(?:\((?P<key>.*)\))?$", re.S)


def parse_path(path: str) -> list[Segment]:
    segments: list[Segment] = []
    for raw in split_top_level(path, "/"):
        if raw == "":
            continue
        match = _SEGMENT_RE.match(raw)
        if match is None:
            raise bad_request(f"Bad Request - Error in query syntax: '{raw}'.")
        segments.append(Segment(name=match["name"], key=match["key"]))
    return segments


def parse_key(key: str) -> dict[str, str] | str:
    """``<guid>`` → the guid; ``A='x',B=5`` → {A: 'x', B: '5'} (alternate keys, metadata names)."""
    key = key.strip()
    if GUID_RE.match(key):
        return key.lower()
    values: dict[str, str] = {}
    for part in split_top_level(key, ","):
        name, sep, raw = part.partition("=")
        if not sep:
            raise bad_request(f"Bad Request - Error in query syntax: key '{key}' is not valid.")
        raw = raw.strip()
        if raw.startswith("'") and raw.endswith("'") and len(raw) >= 2:
            raw = raw[1:-1].replace("''", "'")
        values[name.strip()] = raw
    return values


# --- $select / $expand -------------------------------------------------------------------------


def parse_select(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [name.strip() for name in text.split(",")]
    if any(not re.fullmatch(r"[A-Za-z_][\w]*", name) for name in names):
        raise bad_request(f"Syntax error in $select: '{text}'.")
    return names


@dataclass(frozen=True)
class ExpandItem:
    navigation: str
    select: list[str] | None
    expand: list[ExpandItem] = field(default_factory=list)


def parse_expand(text: str | None) -> list[ExpandItem]:
    if not text:
        return []
    items: list[ExpandItem] = []
    for raw in split_top_level(text, ","):
        raw = raw.strip()
        match = re.fullmatch(r"(?P<nav>[A-Za-z_]\w*)(?:\((?P<opts>.*)\))?", raw, re.S)
        if match is None:
            raise bad_request(f"Syntax error in $expand: '{raw}'.")
        select: list[str] | None = None
        nested: list[ExpandItem] = []
        for option in split_top_level(match["opts"] or "", ";"):
            option = option.strip()
            if not option:
                continue
            name, _, value = option.partition("=")
            name = name.strip()
            if name == "$select":
                select = parse_select(value.strip())
            elif name == "$expand":
                nested = parse_expand(value.strip())
            else:
                # $filter/$orderby/$top apply to collection-valued navigation properties only,
                # which this simulator does not model.
                raise bad_request(f"The query option '{name}' is not supported inside $expand.")
        items.append(ExpandItem(navigation=match["nav"], select=select, expand=nested))
    return items


# --- Prefer ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preferences:
    return_representation: bool = False
    continue_on_error: bool = False
    annotations: tuple[str, ...] = ()
    max_page_size: int | None = None

    def wants(self, annotation: str) -> bool:
        """Whether ``annotation`` (e.g. ``OData.Community.Display.V1.FormattedValue``) was asked."""
        return annotation_requested(self.annotations, annotation)

    @property
    def any_annotations(self) -> bool:
        return bool(self.annotations)


def annotation_requested(patterns: Iterable[str], annotation: str) -> bool:
    included = False
    for pattern in patterns:
        exclude = pattern.startswith("-")
        body = pattern[1:] if exclude else pattern
        if body == "*":
            hit = True
        elif body.endswith(".*"):
            hit = annotation.startswith(body[:-1])
        elif body.endswith("*"):
            hit = annotation.startswith(body[:-1])
        else:
            hit = annotation == body
        if hit:
            if exclude:
                return False
            included = True
    return included


def parse_prefer(values: Iterable[str]) -> Preferences:
    return_representation = False
    continue_on_error = False
    annotations: list[str] = []
    max_page_size: int | None = None
    for header in values:
        for item in _split_outside_double_quotes(header, ","):
            item = item.strip()
            if not item:
                continue
            name, _, value = item.partition("=")
            name = name.strip().lower()
            value = value.strip().strip('"')
            if name == "return" and value == "representation":
                return_representation = True
            elif name in ("odata.continue-on-error", "continue-on-error"):
                continue_on_error = value.lower() != "false"
            elif name in ("odata.include-annotations", "include-annotations"):
                annotations.extend(v.strip() for v in value.split(",") if v.strip())
            elif name in ("odata.maxpagesize", "maxpagesize"):
                try:
                    max_page_size = int(value)
                except ValueError as exc:
                    raise bad_request(f"Invalid odata.maxpagesize preference '{value}'.") from exc
    return Preferences(
        return_representation=return_representation,
        continue_on_error=continue_on_error,
        annotations=tuple(annotations),
        max_page_size=max_page_size,
    )


def _split_outside_double_quotes(text: str, separator: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


# --- $filter -----------------------------------------------------------------------------------
# Comparison (eq/ne/gt/ge/lt/le), and/or/not, parentheses; literals: strings, numbers, GUIDs,
# true/false/null and enum literals such as Microsoft.Dynamics.CRM.AttributeTypeCode'Integer'
# (query-metadata-web-api.md: "Enum values in $filter need the namespace prefix"). Property paths
# may navigate complex values (``AttributeTypeName/Value``).


@dataclass(frozen=True)
class Comparison:
    path: tuple[str, ...]
    op: str
    value: Any


@dataclass(frozen=True)
class BoolOp:
    op: str
    left: FilterExpr
    right: FilterExpr


@dataclass(frozen=True)
class Not:
    operand: FilterExpr


FilterExpr = Comparison | BoolOp | Not

_TOKEN_RE = re.compile(
    r"""\s*(?:
        (?P<lparen>\()|(?P<rparen>\))|
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

    def _peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self) -> _Token:
        token = self._peek()
        if token is None:
            raise bad_request(f"Unexpected end of $filter expression '{self.text}'.")
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
            if self._take().kind != "rparen":
                raise bad_request(f"Expected ')' in '{self.text}'.")
            return inner
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
    if isinstance(expr, Comparison):
        return [expr.path]
    if isinstance(expr, Not):
        return filter_paths(expr.operand)
    return filter_paths(expr.left) + filter_paths(expr.right)


def evaluate_filter(expr: FilterExpr, lookup: Callable[[tuple[str, ...]], Any]) -> bool:
    """Evaluate against one item; ``lookup`` returns a property's value for a path."""
    if isinstance(expr, BoolOp):
        if expr.op == "and":
            return evaluate_filter(expr.left, lookup) and evaluate_filter(expr.right, lookup)
        return evaluate_filter(expr.left, lookup) or evaluate_filter(expr.right, lookup)
    if isinstance(expr, Not):
        return not evaluate_filter(expr.operand, lookup)
    return _compare(lookup(expr.path), expr.op, expr.value)


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
