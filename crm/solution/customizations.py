"""``customizations.xml``: the opportunity table's additions (column, form tab, command), the
"Cockpit User" role and the two web resources; and the environment variable's definition file.

Element names and order follow CustomizationsSolution.xsd ("Customization solutions file schema",
https://learn.microsoft.com/power-apps/developer/data-platform/customization-solutions-file-schema)
and what Dataverse itself writes in an export: empty sections stay present, as in every export.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from crm.solution.form import systemforms
from crm.solution.ribbon import ribbon_diff
from crm.solution.spec import (
    LANGUAGES,
    DecimalColumn,
    EnvironmentVariable,
    Role,
    SolutionSpec,
    WebResource,
)
from crm.solution.xmlnodes import braced, el, leaf, leaves, localized

# The opportunity table: a Dynamics 365 Sales table. 3 is its object type code, fixed for system
# tables (https://learn.microsoft.com/dynamics365/sales/developer/entities/opportunity).
OPPORTUNITY = "Opportunity"
OPPORTUNITY_TYPE_CODE = 3


def web_resource_file(resource: WebResource) -> str:
    """Zip path of a web resource's content. Exports name the file after the web resource with
    everything but letters, digits and ``_`` removed, followed by its id, and without an
    extension; ``[Content_Types].xml`` then lists it by name."""
    stem = "".join(ch for ch in resource.name if ch.isalnum() or ch == "_")
    return f"WebResources/{stem}{resource.id.lower()}"


def _attribute(column: DecimalColumn, *, version: str) -> ET.Element:
    """A Decimal Number column (``decimal``); ``Accuracy`` is its precision
    (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/decimalattributemetadata)."""
    node = el("attribute", {"PhysicalName": column.schema_name})
    node.extend(
        leaves(
            [
                ("Type", "decimal"),
                ("Name", column.logical_name),
                ("LogicalName", column.logical_name),
                ("RequiredLevel", "none"),
                ("DisplayMask", "ValidForAdvancedFind|ValidForForm|ValidForGrid"),
                ("ImeMode", "auto"),
                ("ValidForUpdateApi", 1),
                ("ValidForReadApi", 1),
                ("ValidForCreateApi", 1),
                ("IsCustomField", 1),
                ("IsAuditEnabled", 1),
                ("IsSecured", 0),
                ("IntroducedVersion", version),
                ("IsCustomizable", 1),
                ("IsRenameable", 1),
                ("CanModifySearchSettings", 1),
                ("CanModifyRequirementLevelSettings", 1),
                ("CanModifyAdditionalSettings", 1),
                ("SourceType", 0),
                ("MinValue", column.minimum),
                ("MaxValue", column.maximum),
                ("Accuracy", column.precision),
            ]
        )
    )
    node.append(localized("displaynames", "displayname", column.display_name))
    node.append(localized("Descriptions", "Description", column.description))
    return node


def _opportunity(spec: SolutionSpec, *, version: str) -> ET.Element:
    """Only our additions: the table itself stays Sales' (the manifest includes it as a shell)."""
    entity_info = el(
        "EntityInfo",
        None,
        el(
            "entity",
            {"Name": OPPORTUNITY},
            el("attributes", None, _attribute(spec.column, version=version)),
        ),
    )
    return el(
        "Entity",
        None,
        el("Name", {"LocalizedName": OPPORTUNITY, "OriginalName": OPPORTUNITY}, text=OPPORTUNITY),
        leaf("ObjectTypeCode", OPPORTUNITY_TYPE_CODE),
        entity_info,
        el("FormXml", None, systemforms(spec.form, spec.column, version=version)),
        ribbon_diff(spec),
    )


def _role(role: Role, *, version: str) -> ET.Element:
    privileges = el(
        "RolePrivileges",
        None,
        *(el("RolePrivilege", {"name": p.name, "level": p.depth}) for p in role.privileges),
    )
    return el(
        "Role",
        {"id": braced(role.id), "name": role.name},
        leaf("IsCustomizable", 1),
        leaf("IntroducedVersion", version),
        privileges,
    )


def _web_resource(resource: WebResource, *, version: str) -> ET.Element:
    return el(
        "WebResource",
        None,
        *leaves(
            [
                ("WebResourceId", braced(resource.id)),
                ("Name", resource.name),
                ("DisplayName", resource.display_name.en),
                ("Description", resource.description.en),
                ("WebResourceType", resource.type_code),
                ("IntroducedVersion", version),
                ("IsEnabledForMobileClient", 1),
                ("IsCustomizable", 1),
                ("CanBeDeleted", 1),
                ("IsHidden", 0),
                ("FileName", "/" + web_resource_file(resource)),
            ]
        ),
    )


def customizations(spec: SolutionSpec, *, version: str) -> ET.Element:
    """``<ImportExportXml>`` of ``customizations.xml``."""
    root = el("ImportExportXml")
    root.extend(
        [
            el("Entities", None, _opportunity(spec, version=version)),
            el("Roles", None, _role(spec.role, version=version)),
            el("Workflows"),
            el("FieldSecurityProfiles"),
            el("Templates"),
            el("EntityMaps"),
            el("EntityRelationships"),
            el("OrganizationSettings"),
            el("optionsets"),
            el(
                "WebResources",
                None,
                *(_web_resource(r, version=version) for r in spec.web_resources),
            ),
            el("Languages", None, *(leaf("Language", lcid) for lcid in LANGUAGES)),
        ]
    )
    return root


def variable_definition(variable: EnvironmentVariable, *, version: str) -> ET.Element:
    """``environmentvariabledefinitions/<schema name>/environmentvariabledefinition.xml``.

    No ``defaultvalue`` and no value file: the URL differs per environment, so the admin sets
    the value at import (the import asks for required variables without a value,
    https://learn.microsoft.com/power-apps/maker/data-platform/environmentvariables#enter-new-values-while-importing-solutions)
    or the deploy script sets it.
    """
    return el(
        "environmentvariabledefinition",
        {"schemaname": variable.schema_name},
        el(
            "description",
            {"default": variable.description.en},
            *localized("x", "label", variable.description),
        ),
        el(
            "displayname",
            {"default": variable.display_name.en},
            *localized("x", "label", variable.display_name),
        ),
        leaf("introducedversion", version),
        leaf("iscustomizable", 1),
        leaf("isrequired", 1),
        leaf("type", variable.type_code),
    )
