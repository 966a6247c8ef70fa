"""The slice of OData v4 URL and header syntax the Dataverse Web API uses, parsed strictly.

Query options ($select, $expand, $orderby; $filter lives in filters.py) follow
https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query-data-web-api and
retrieve-entity-using-web-api; the ``Prefer`` preferences follow compose-http-requests-handle-errors
("Prefer" header: return=representation, odata.include-annotations, odata.continue-on-error,
odata.maxpagesize). Anything malformed raises a 400 ``DataverseError`` like Dataverse's OData layer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from devstack.dataverse.errors import bad_request
from devstack.dataverse.filters import (
    FilterExpr,
    evaluate_filter,
    filter_paths,
    parse_filter,
)

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
    filter: FilterExpr | None = None
    orderby: list[OrderItem] = field(default_factory=list)
    top: int | None = None


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
        # $filter/$orderby/$top apply to collection-valued navigation properties
        # (retrieve-entity-using-web-api.md, "Retrieve related table rows by expanding").
        filter_expr: FilterExpr | None = None
        orderby: list[OrderItem] = []
        top: int | None = None
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
            elif name == "$filter":
                filter_expr = parse_filter(value.strip())
            elif name == "$orderby":
                orderby = parse_orderby(value.strip())
            elif name == "$top":
                if not value.strip().isdigit():
                    raise bad_request(f"Invalid value '{value}' for $top.")
                top = int(value.strip())
            else:
                raise bad_request(f"The query option '{name}' is not supported inside $expand.")
        items.append(
            ExpandItem(
                navigation=match["nav"],
                select=select,
                expand=nested,
                filter=filter_expr,
                orderby=orderby,
                top=top,
            )
        )
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


# --- $orderby ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderItem:
    property: str
    descending: bool = False


def parse_orderby(text: str | None) -> list[OrderItem]:
    """``name asc,estimatedvalue desc`` (webapi/query/order-rows.md: ``asc`` is the default)."""
    if text is None:
        return []
    items: list[OrderItem] = []
    for raw in text.split(","):
        parts = raw.split()
        if not parts or len(parts) > 2 or not re.fullmatch(r"[A-Za-z_][\w/]*", parts[0]):
            raise bad_request(f"Syntax error in $orderby: '{text}'.")
        direction = parts[1].lower() if len(parts) == 2 else "asc"
        if direction not in ("asc", "desc"):
            raise bad_request(f"Syntax error in $orderby: '{text}'.")
        items.append(OrderItem(parts[0], direction == "desc"))
    return items


__all__ = [
    "GUID_RE",
    "ExpandItem",
    "FilterExpr",
    "OrderItem",
    "Preferences",
    "Segment",
    "annotation_requested",
    "evaluate_filter",
    "filter_paths",
    "parse_expand",
    "parse_filter",
    "parse_key",
    "parse_orderby",
    "parse_path",
    "parse_prefer",
    "parse_select",
    "split_top_level",
]
