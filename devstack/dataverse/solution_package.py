"""Reading a solution package (the zip ``ImportSolution`` receives as ``CustomizationFile``).

Layout (https://learn.microsoft.com/power-platform/alm/solution-concepts-alm and the
customization schemas in shared/dynamics-schemas): at the root ``[Content_Types].xml``,
``solution.xml`` (``ImportExportXml/SolutionManifest``: UniqueName, LocalizedNames, Version,
Managed, Publisher with UniqueName, LocalizedNames, CustomizationPrefix,
CustomizationOptionValuePrefix; RootComponents) and ``customizations.xml``
(``ImportExportXml``: Entities — attributes, FormXml, RibbonDiffXml —, WebResources with their
files under ``WebResources/``), plus ``environmentvariabledefinitions/<schema>/
environmentvariabledefinition.xml`` and an optional ``environmentvariablevalues.json``.
A package without the three root files is refused with Dataverse's
ImportCustomizationsBadZipFileError (0x80048060, CRM SDK ErrorCodes: "The solution file is
invalid. The compressed file must contain the following files at its root: solution.xml,
customizations.xml, and [Content_Types].xml. …"); XML that cannot be read with
ImportXsdValidationError (0x8004801A, "The import file is invalid. XSD validation failed with the
following error: …").
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

from devstack.dataverse.errors import DataverseError

BAD_ZIP = "0x80048060"
XSD_ERROR = "0x8004801a"
_ROOT_FILES = ("[Content_Types].xml", "solution.xml", "customizations.xml")
_IFRAME_CLASSID = "{FD2A7985-3187-444E-908D-6624B21F69C0}"
_TYPES = {
    "int": "Integer",
    "decimal": "Decimal",
    "float": "Double",
    "money": "Money",
    "bigint": "BigInt",
    "nvarchar": "String",
    "ntext": "Memo",
}


def bad_zip() -> DataverseError:
    return DataverseError(
        400,
        BAD_ZIP,
        "The solution file is invalid. The compressed file must contain the following files at "
        "its root: solution.xml, customizations.xml, and [Content_Types].xml. Customization files "
        "exported from previous versions of Microsoft Dynamics 365 are not supported.",
    )


def xsd_error(detail: str, where: str) -> DataverseError:
    return DataverseError(
        400,
        XSD_ERROR,
        f"The import file is invalid. XSD validation failed with the following error: "
        f"'{detail}'. The validation failed at: '...{where} <<<<'.",
    )


@dataclass
class WebResource:
    name: str
    display_name: str
    type_code: int
    content: bytes


@dataclass
class Variable:
    schema_name: str
    display_name: str
    type_code: int
    default: str | None
    value: str | None = None


@dataclass
class FormTab:
    """A form tab holding an IFRAME control: what the form shows and the names a script uses
    (``formContext.ui.tabs.get(name)``, ``formContext.getControl(control)``)."""

    labels: dict[str, str]
    url: str
    pass_parameters: bool
    name: str = ""
    control: str = ""


@dataclass
class Command:
    labels: dict[str, str]
    library: str
    function: str


@dataclass
class SolutionPackage:
    unique_name: str
    friendly_name: str
    version: str
    managed: bool
    publisher: dict[str, str]
    web_resources: list[WebResource] = field(default_factory=list)
    variables: list[Variable] = field(default_factory=list)
    attributes: list[dict[str, object]] = field(default_factory=list)
    tabs: list[FormTab] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)


def _xml(archive: zipfile.ZipFile, name: str) -> ET.Element:
    try:
        root = ET.fromstring(archive.read(name))
    except ET.ParseError as exc:
        raise xsd_error(str(exc), name) from exc
    # Namespaces are not significant for what the simulator reads.
    for element in root.iter():
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.split("}", 1)[1]
    return root


def _text(element: ET.Element | None, path: str, where: str, *, required: bool = True) -> str:
    found = element.find(path) if element is not None else None
    if found is None or not (found.text or "").strip():
        if required:
            raise xsd_error(f"The element '{path}' is missing or empty.", where)
        return ""
    return (found.text or "").strip()


def _labels(element: ET.Element | None, tag: str) -> dict[str, str]:
    labels: dict[str, str] = {}
    for label in element.iter(tag) if element is not None else []:
        code = label.get("languagecode", "1033")
        labels["de" if code == "1031" else "en"] = label.get("description", "")
    return labels


def read_package(data: bytes) -> SolutionPackage:
    """Parse and check a solution zip; raises the DataverseError an import would answer."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise bad_zip() from exc
    with archive:
        names = set(archive.namelist())
        if not all(name in names for name in _ROOT_FILES):
            raise bad_zip()
        _xml(archive, "[Content_Types].xml")
        package = _manifest(_xml(archive, "solution.xml"))
        customizations = _xml(archive, "customizations.xml")
        package.web_resources = _web_resources(archive, customizations, names)
        package.attributes, package.tabs, package.commands = _entities(customizations)
        package.variables = _variables(archive, names)
    return package


def _manifest(root: ET.Element) -> SolutionPackage:
    manifest = root.find("SolutionManifest")
    if root.tag != "ImportExportXml" or manifest is None:
        raise xsd_error("The root must be ImportExportXml with a SolutionManifest.", "solution.xml")
    publisher = manifest.find("Publisher")
    if publisher is None:
        raise xsd_error("The element 'Publisher' is missing.", "SolutionManifest")
    names = _labels(manifest.find("LocalizedNames"), "LocalizedName")
    return SolutionPackage(
        unique_name=_text(manifest, "UniqueName", "SolutionManifest"),
        friendly_name=names.get("en") or _text(manifest, "UniqueName", "SolutionManifest"),
        version=_text(manifest, "Version", "SolutionManifest"),
        managed=_text(manifest, "Managed", "SolutionManifest") == "1",
        publisher={
            "uniquename": _text(publisher, "UniqueName", "Publisher"),
            "friendlyname": _labels(publisher.find("LocalizedNames"), "LocalizedName").get(
                "en", ""
            ),
            "customizationprefix": _text(publisher, "CustomizationPrefix", "Publisher"),
            "customizationoptionvalueprefix": _text(
                publisher, "CustomizationOptionValuePrefix", "Publisher", required=False
            ),
        },
    )


def _web_resources(
    archive: zipfile.ZipFile, root: ET.Element, names: set[str]
) -> list[WebResource]:
    found: list[WebResource] = []
    for element in root.iter("WebResource"):
        name = _text(element, "Name", "WebResource")
        file_name = _text(element, "FileName", f"WebResource {name}").lstrip("/")
        if file_name not in names:
            raise xsd_error(f"The file '{file_name}' of web resource '{name}' is missing.", name)
        found.append(
            WebResource(
                name=name,
                display_name=_text(element, "DisplayName", name, required=False) or name,
                type_code=int(_text(element, "WebResourceType", name)),
                content=archive.read(file_name),
            )
        )
    return found


def _entities(
    root: ET.Element,
) -> tuple[list[dict[str, object]], list[FormTab], list[Command]]:
    attributes: list[dict[str, object]] = []
    tabs: list[FormTab] = []
    commands: list[Command] = []
    for entity in root.iter("Entity"):
        if _text(entity, "Name", "Entity").lower() != "opportunity":
            continue
        for attribute in entity.iter("attribute"):
            attributes.append(_attribute(attribute))
        for tab in entity.iter("tab"):
            for control in tab.iter("control"):
                if control.get("classid", "").upper() == _IFRAME_CLASSID:
                    tabs.append(_form_tab(tab, control))
        commands.extend(_commands(entity))
    return attributes, tabs, commands


def _form_tab(tab: ET.Element, control: ET.Element) -> FormTab:
    passes = _text(control, "parameters/PassParameters", "IFRAME", required=False)
    return FormTab(
        labels=_labels(tab.find("labels"), "label"),
        url=_text(control, "parameters/Url", "IFRAME", required=False),
        pass_parameters=passes.lower() == "true",
        name=tab.get("name", ""),
        control=control.get("id", ""),
    )


def _attribute(element: ET.Element) -> dict[str, object]:
    logical = _text(element, "LogicalName", "attribute")
    kind = _TYPES.get(_text(element, "Type", logical).lower())
    if kind is None:
        raise xsd_error(f"The attribute type of '{logical}' is not supported here.", logical)
    seed: dict[str, object] = {
        "LogicalName": logical,
        "AttributeType": kind,
        "DisplayName": _labels(element.find("displaynames"), "displayname") or {"en": logical},
        "IsCustomAttribute": True,
        "IsValidForUpdate": _text(element, "ValidForUpdateApi", logical, required=False) != "0",
    }
    for tag, key in (("MinValue", "MinValue"), ("MaxValue", "MaxValue")):
        raw = _text(element, tag, logical, required=False)
        if raw:
            seed[key] = float(Decimal(raw))
    accuracy = _text(element, "Accuracy", logical, required=False)
    if accuracy:
        seed["Precision"] = int(accuracy)
    return seed


def _commands(entity: ET.Element) -> list[Command]:
    ribbon = entity.find("RibbonDiffXml")
    if ribbon is None:
        return []
    loc = {label.get("Id", ""): _labels(label, "Title") for label in ribbon.iter("LocLabel")}
    actions = {
        definition.get("Id", ""): definition.find("Actions/JavaScriptFunction")
        for definition in ribbon.iter("CommandDefinition")
    }
    commands: list[Command] = []
    for button in ribbon.iter("Button"):
        function = actions.get(button.get("Command", ""))
        if function is None:
            continue
        label_ref = button.get("LabelText", "")
        labels = loc.get(label_ref.removeprefix("$LocLabels:"), {"en": label_ref})
        commands.append(
            Command(
                labels=labels,
                library=function.get("Library", "").removeprefix("$webresource:"),
                function=function.get("FunctionName", ""),
            )
        )
    return commands


def _variables(archive: zipfile.ZipFile, names: set[str]) -> list[Variable]:
    found: list[Variable] = []
    for name in sorted(n for n in names if n.endswith("/environmentvariabledefinition.xml")):
        root = _xml(archive, name)
        schema = root.get("schemaname") or _text(root, "schemaname", name)
        found.append(
            Variable(
                schema_name=schema,
                display_name=_labels(root.find("displayname"), "label").get("en", schema),
                type_code=int(_text(root, "type", name)),
                default=_text(root, "defaultvalue", name, required=False) or None,
            )
        )
    if "environmentvariablevalues.json" in names:
        try:
            values = json.loads(archive.read("environmentvariablevalues.json"))
        except ValueError as exc:
            raise xsd_error(str(exc), "environmentvariablevalues.json") from exc
        by_schema = {v.schema_name: v for v in found}
        for item in values.get("environmentvariablevalues", {}).get("environmentvariablevalue", []):
            variable = by_schema.get(item.get("schemaname", ""))
            if variable is not None:
                variable.value = str(item.get("value"))
    return found
