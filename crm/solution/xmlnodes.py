"""Small ElementTree functions shared by the XML builders: elements from data, labels in every
shipped language, and serialisation the way Dataverse exports write it (UTF-8, declaration)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping

from crm.solution.spec import Text

XSI = "http://www.w3.org/2001/XMLSchema-instance"
ET.register_namespace("xsi", XSI)


def el(
    tag: str,
    attrib: Mapping[str, str] | None = None,
    *children: ET.Element,
    text: str | None = None,
) -> ET.Element:
    """An element with attributes (in the given order), children and optional text."""
    node = ET.Element(tag, dict(attrib or {}))
    node.extend(children)
    if text is not None:
        node.text = text
    return node


def leaf(tag: str, text: str | int | float) -> ET.Element:
    return el(tag, text=_text(text))


def leaves(pairs: Iterable[tuple[str, str | int | float]]) -> list[ET.Element]:
    return [leaf(tag, value) for tag, value in pairs]


def _text(value: str | int | float) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def localized(container: str, item: str, text: Text, *, attr: str = "description") -> ET.Element:
    """``<container><item description=".." languagecode="1033"/>…</container>`` for EN and DE."""
    return el(
        container,
        None,
        *(el(item, {attr: value, "languagecode": str(lcid)}) for lcid, value in text.by_language()),
    )


def braced(guid: str) -> str:
    """Dataverse writes GUIDs in customization files as ``{lower-case}``."""
    return "{" + guid.strip("{}").lower() + "}"


def to_bytes(root: ET.Element) -> bytes:
    """UTF-8 with an XML declaration, indented for reviewable diffs of the built package."""
    ET.indent(root, space="  ")
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body
