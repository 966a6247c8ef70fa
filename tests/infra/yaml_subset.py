"""A tiny reader for the YAML subset azure.yaml uses (PyYAML is not a dependency here).

Supported: block mappings nested by indentation, ``- scalar`` lists, plain/quoted scalars,
``true``/``false``, full-line and trailing ``#`` comments. Anything else (flow collections,
anchors, multi-line strings) raises ``ValueError``, so the test fails loudly rather than reading
azure.yaml wrongly.
"""

from __future__ import annotations

import re
from typing import Any

_KEY = re.compile(r"^(?P<key>[A-Za-z0-9_.-]+):(?:\s+(?P<value>.*))?$")


def _strip_comment(line: str) -> str:
    in_single = in_double = False
    for index, char in enumerate(line):
        if char == "'" and not in_double:
            in_single = not in_single
        elif char == '"' and not in_single:
            in_double = not in_double
        elif (
            char == "#"
            and not in_single
            and not in_double
            and (index == 0 or line[index - 1] == " ")
        ):
            return line[:index].rstrip()
    return line.rstrip()


def _scalar(text: str) -> Any:
    text = text.strip()
    if text in ("true", "false"):
        return text == "true"
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if text[:1] in "[{&*|>!":
        raise ValueError(f"unsupported YAML construct: {text!r}")
    return text


def load_yaml(source: str) -> dict[str, Any]:
    """Parse ``source`` into nested dicts/lists/scalars."""
    lines: list[tuple[int, str]] = []
    for raw in source.splitlines():
        if "\t" in raw[: len(raw) - len(raw.lstrip())]:
            raise ValueError("tabs in indentation")
        text = _strip_comment(raw)
        if text.strip():
            lines.append((len(text) - len(text.lstrip(" ")), text.strip()))
    root: dict[str, Any] = {}
    # Stack of (indent of the container's entries, container).
    stack: list[tuple[int, Any]] = [(0, root)]
    pending: tuple[int, dict[str, Any], str] | None = None
    for indent, text in lines:
        if pending is not None:
            parent_indent, parent, key = pending
            pending = None
            if indent > parent_indent:
                container: Any = [] if text.startswith("- ") else {}
                parent[key] = container
                stack.append((indent, container))
            else:
                parent[key] = None
        while stack and indent < stack[-1][0]:
            stack.pop()
        if not stack or indent != stack[-1][0]:
            raise ValueError(f"bad indentation at {text!r}")
        container = stack[-1][1]
        if text.startswith("- "):
            if not isinstance(container, list):
                raise ValueError(f"list item outside a list: {text!r}")
            container.append(_scalar(text[2:]))
            continue
        match = _KEY.match(text)
        if match is None or not isinstance(container, dict):
            raise ValueError(f"unsupported YAML line: {text!r}")
        key, value = match.group("key"), match.group("value")
        if value is None or value == "":
            pending = (indent, container, key)
        else:
            container[key] = _scalar(value)
    if pending is not None:
        pending[1][pending[2]] = None
    return root
