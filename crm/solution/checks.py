"""Checks of a built package that need no Microsoft tool: Microsoft's customization schemas
(copied into ``schemas/``, see PROVENANCE.md there) through ``xmlschema``.

The schemas are loaded in lax mode: ``FormXml.xsd`` holds a .NET regular expression (a
look-ahead) that XSD 1.0 does not allow, so that one facet is dropped while everything else loads
(https://learn.microsoft.com/power-apps/developer/data-platform/customization-solutions-file-schema
names the set). Documents are then validated strictly.
"""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from typing import Any

import xmlschema

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"

# FormXml.xsd defines the diff marker's values (solutionactionType: Added, Removed, Modified)
# but attaches the attribute to no element, while Dataverse writes it on tabs, sections, rows,
# cells, handlers and libraries of a differential form ("Form ALM recommendations",
# https://learn.microsoft.com/power-platform/alm/form-alm-recommendations). So the markers are
# checked against that enumeration and removed before the rest is validated.
SOLUTION_ACTION = "solutionaction"
SOLUTION_ACTIONS = frozenset({"Added", "Removed", "Modified"})

# RibbonCore.xsd declares the *entity* ribbon difference only as a type
# (RibbonEntityDiffXmlType, used under Entity/RibbonDiffXml); this wrapper gives it an element so
# an entity's RibbonDiffXml can be validated against RibbonCore.xsd on its own.
_ENTITY_RIBBON_WRAPPER = """<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">
 <xs:include schemaLocation="RibbonCore.xsd" />
 <xs:element name="EntityRibbonDiffXml" type="RibbonEntityDiffXmlType" />
</xs:schema>
"""


@cache
def customizations_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMA_DIR / "CustomizationsSolution.xsd"), validation="lax")


@cache
def form_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMA_DIR / "FormXml.xsd"), validation="lax")


@cache
def ribbon_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(_ENTITY_RIBBON_WRAPPER, base_url=str(SCHEMA_DIR), validation="lax")


def _dotnet_pattern_holds(error: Any) -> bool:
    """The schemas were written for .NET, where ``^`` and ``$`` in a pattern are anchors; in XSD
    patterns they are literal characters, so e.g. VersionType (``^[0-9]+(\\.[0-9]+){1,3}$``)
    would reject every real version. A pattern mismatch whose patterns are all ``^…$`` is
    re-checked with the .NET meaning (anchors) and only reported if it fails that too."""
    patterns = getattr(getattr(error, "validator", None), "regexps", None)
    value = getattr(error, "obj", None)
    if not isinstance(value, str) or not patterns:
        return False
    anchored = [p for p in patterns if p.startswith("^") and p.endswith("$")]
    if len(anchored) != len(patterns):
        return False
    return any(re.fullmatch(p[1:-1], value) for p in anchored)


def without_diff_markers(element: ET.Element) -> tuple[ET.Element, list[str]]:
    """A copy without ``solutionaction`` attributes, and a problem for each unknown value."""
    clean = copy.deepcopy(element)
    problems = []
    for node in clean.iter():
        action = node.attrib.pop(SOLUTION_ACTION, None)
        if action is not None and action not in SOLUTION_ACTIONS:
            problems.append(
                f"{node.tag}: solutionaction {action!r} is not one of solutionactionType"
            )
    return clean, problems


def schema_errors(schema: xmlschema.XMLSchema, document: ET.Element | bytes) -> list[str]:
    """Readable validation errors of ``document`` (an element or serialized XML)."""
    source = ET.fromstring(document) if isinstance(document, bytes) else document
    return [
        f"{error.path}: {error.reason}"
        for error in schema.iter_errors(source)
        if not _dotnet_pattern_holds(error)
    ]


def customizations_errors(customizations_xml: bytes) -> list[str]:
    """``customizations.xml`` against CustomizationsSolution.xsd."""
    clean, problems = without_diff_markers(ET.fromstring(customizations_xml))
    return problems + schema_errors(customizations_schema(), clean)


def form_errors(form: ET.Element) -> list[str]:
    """One ``<form>`` (FormXml) against FormXml.xsd."""
    clean, problems = without_diff_markers(form)
    return problems + schema_errors(form_schema(), clean)


def ribbon_errors(ribbon: ET.Element) -> list[str]:
    """An entity's ``<RibbonDiffXml>`` against RibbonCore.xsd's RibbonEntityDiffXmlType."""
    renamed = copy.deepcopy(ribbon)
    renamed.tag = "EntityRibbonDiffXml"
    return schema_errors(ribbon_schema(), renamed)


def package_schema_errors(customizations_xml: bytes) -> list[str]:
    """All three schema checks of one package's ``customizations.xml``."""
    root = ET.fromstring(customizations_xml)
    problems = customizations_errors(customizations_xml)
    for form in root.iterfind("./Entities/Entity/FormXml/forms/systemform/form"):
        problems += [f"form: {p}" for p in form_errors(form)]
    for ribbon in root.iterfind("./Entities/Entity/RibbonDiffXml"):
        problems += [f"ribbon: {p}" for p in ribbon_errors(ribbon)]
    return problems
