"""``solution.xml`` (the solution manifest) and ``[Content_Types].xml``.

Manifest shape as Dataverse exports it (root ``ImportExportXml`` with ``SolutionManifest``:
unique name, localized names, version, managed flag, publisher, root components, missing
dependencies); component type codes from the ``solutioncomponent`` table
(https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/solutioncomponent#componenttype-choicesoptions):
1 Entity, 20 Role, 61 Web Resource, 380 Environment Variable Definition.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable

from crm.solution.spec import Publisher, SolutionSpec
from crm.solution.xmlnodes import XSI, braced, el, leaf, localized

# The manifest format version Dataverse writes for 9.2 orgs (SolutionPackageVersion) and the
# oldest platform version that can import it.
SOLUTION_PACKAGE_VERSION = "9.2"
IMPORT_EXPORT_VERSION = "9.2.0.0"

ENTITY, ROLE, WEB_RESOURCE, ENVIRONMENT_VARIABLE, SYSTEM_FORM = 1, 20, 61, 380, 60
# behavior: 0 include subcomponents, 2 "include as shell only" (the table is Sales'; only the
# subcomponents listed in customizations.xml are ours).
SHELL, WHOLE = "2", "0"

ADDRESS_FIELDS = (
    "City County Country Fax FreightTermsCode ImportSequenceNumber Latitude Line1 Line2 Line3 "
    "Longitude Name PostalCode PostOfficeBox PrimaryContactName"
).split()
ADDRESS_TAIL = (
    "StateOrProvince Telephone1 Telephone2 Telephone3 TimeZoneRuleVersionNumber UPSZone "
    "UTCOffset UTCConversionTimeZoneCode"
).split()
NIL = {f"{{{XSI}}}nil": "true"}


def _address(number: int) -> ET.Element:
    # Exports always carry the publisher's two empty addresses; kept so a diff against an export
    # shows only real differences.
    return el(
        "Address",
        None,
        leaf("AddressNumber", number),
        leaf("AddressTypeCode", 1),
        *(el(name, NIL) for name in ADDRESS_FIELDS),
        leaf("ShippingMethodCode", 1),
        *(el(name, NIL) for name in ADDRESS_TAIL),
    )


def _publisher(publisher: Publisher) -> ET.Element:
    return el(
        "Publisher",
        None,
        leaf("UniqueName", publisher.unique_name),
        localized("LocalizedNames", "LocalizedName", publisher.name),
        localized("Descriptions", "Description", publisher.description),
        el("EMailAddress", NIL),
        el("SupportingWebsiteUrl", NIL),
        leaf("CustomizationPrefix", publisher.prefix),
        leaf("CustomizationOptionValuePrefix", publisher.option_value_prefix),
        el("Addresses", None, _address(1), _address(2)),
    )


def root_components(spec: SolutionSpec) -> list[tuple[int, str, str]]:
    """(type, schemaName-or-id, behavior) of every root component, in export order."""
    return [
        (ENTITY, "opportunity", SHELL),
        (ROLE, braced(spec.role.id), WHOLE),
        *((WEB_RESOURCE, r.name, WHOLE) for r in spec.web_resources),
        (ENVIRONMENT_VARIABLE, spec.variable.schema_name, WHOLE),
    ]


def _root_component(kind: int, key: str, behavior: str) -> ET.Element:
    ident = {"id": key} if key.startswith("{") else {"schemaName": key}
    return el("RootComponent", {"type": str(kind), **ident, "behavior": behavior})


def _missing_dependencies(spec: SolutionSpec) -> ET.Element:
    """What must exist before import: the Sales form the Cockpit tab is added to. Exports list a
    required component from another solution this way; Dataverse checks it on import."""
    form = spec.form
    required = el(
        "Required",
        {
            "type": str(SYSTEM_FORM),
            "displayName": form.target_form_name,
            "id": braced(form.target_form_id),
        },
    )
    dependent = el(
        "Dependent",
        {"type": str(ENTITY), "schemaName": "opportunity", "displayName": "Opportunity"},
    )
    return el("MissingDependencies", None, el("MissingDependency", None, required, dependent))


def solution_manifest(spec: SolutionSpec, *, version: str, managed: bool) -> ET.Element:
    """``solution.xml``. ``Managed`` is the only thing that differs between the two packages."""
    manifest = el(
        "SolutionManifest",
        None,
        leaf("UniqueName", spec.unique_name),
        localized("LocalizedNames", "LocalizedName", spec.name),
        localized("Descriptions", "Description", spec.description),
        leaf("Version", version),
        leaf("Managed", 1 if managed else 0),
        _publisher(spec.publisher),
        el("RootComponents", None, *(_root_component(*c) for c in root_components(spec))),
        _missing_dependencies(spec),
    )
    return el(
        "ImportExportXml",
        {
            "version": IMPORT_EXPORT_VERSION,
            "SolutionPackageVersion": SOLUTION_PACKAGE_VERSION,
            "languagecode": "1033",
            "generatedBy": "CrmLive",
        },
        manifest,
    )


CONTENT_TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
OCTET_STREAM = "application/octet-stream"


def content_types(extensionless_parts: Iterable[str]) -> ET.Element:
    """``[Content_Types].xml`` (Open Packaging Conventions): every ``.xml`` part by default, each
    extension-less part (the web resources) by an override, all ``application/octet-stream`` as
    in Dataverse's exports."""
    ET.register_namespace("", CONTENT_TYPES_NS)
    ns = f"{{{CONTENT_TYPES_NS}}}"
    return el(
        f"{ns}Types",
        None,
        el(f"{ns}Default", {"Extension": "xml", "ContentType": OCTET_STREAM}),
        *(
            el(f"{ns}Override", {"PartName": "/" + part, "ContentType": OCTET_STREAM})
            for part in extensionless_parts
        ),
    )
