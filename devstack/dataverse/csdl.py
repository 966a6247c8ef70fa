"""The service document (``GET /api/data/v9.2/``) and ``$metadata`` (CSDL XML) of a simulated org.

- Web API service documents list the entity sets (webapi/web-api-service-documents.md; OData v4
  JSON format §5): ``{"@odata.context": "{base}$metadata", "value": [{"name", "kind", "url"}]}``.
- ``$metadata`` is the CSDL of namespace ``Microsoft.Dynamics.CRM`` (alias ``mscrm``): one
  EntityType per table (key, properties — lookups as ``_x_value`` of type Edm.Guid —, single- and
  collection-valued navigation properties with their partners), the functions and actions this
  simulator implements, and the ``System`` entity container (web-api-types-operations.md,
  "Metadata document"). It describes only what the simulator serves.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from devstack.dataverse.changes import edm_type
from devstack.dataverse.model import EntityDef, OrgState
from devstack.dataverse.responses import ApiResponse, json_response

EDMX = "http://docs.oasis-open.org/odata/ns/edmx"
EDM = "http://docs.oasis-open.org/odata/ns/edm"
NS = "Microsoft.Dynamics.CRM"
# (name, return type) of the functions api.py routes.
_FUNCTIONS = (
    ("WhoAmI", "WhoAmIResponse"),
    ("RetrievePrincipalAccess", "RetrievePrincipalAccessResponse"),
)
_ACTIONS = ("CreateMultiple", "UpdateMultiple")
_COMPLEX = {
    "WhoAmIResponse": (
        ("BusinessUnitId", "Edm.Guid"),
        ("UserId", "Edm.Guid"),
        ("OrganizationId", "Edm.Guid"),
    ),
    "RetrievePrincipalAccessResponse": (("AccessRights", "mscrm.AccessRights"),),
}


def _el(parent: ET.Element, name: str, **attributes: str) -> ET.Element:
    return ET.SubElement(parent, f"{{{EDM}}}{name}", attributes)


def service_document(state: OrgState) -> ApiResponse:
    sets = sorted(e.entity_set for e in state.entities.values())
    value: list[dict[str, Any]] = [{"name": s, "kind": "EntitySet", "url": s} for s in sets]
    value.append({"name": "EntityDefinitions", "kind": "EntitySet", "url": "EntityDefinitions"})
    return json_response(200, {"@odata.context": f"{state.org.api_base}$metadata", "value": value})


def _entity_type(schema: ET.Element, state: OrgState, entity: EntityDef) -> None:
    node = ET.SubElement(
        schema, "EntityType", Name=entity.logical_name, BaseType="mscrm.crmbaseentity"
    )
    key = _el(node, "Key")
    _el(key, "PropertyRef", Name=entity.primary_id)
    for attr in entity.attributes.values():
        kind = "Edm.Guid" if attr.is_lookup else edm_type(attr)
        _el(node, "Property", Name=attr.property_name, Type=kind)
    _el(node, "Property", Name="versionnumber", Type="Edm.Int64")
    for nav in entity.navigation.values():
        link = _el(node, "NavigationProperty", Name=nav.name, Type=f"mscrm.{nav.target}")
        target = state.entities[nav.target]
        ET.SubElement(
            link,
            "ReferentialConstraint",
            Property=f"_{nav.lookup}_value",
            ReferencedProperty=target.primary_id,
        )
    for collection in entity.collections.values():
        ET.SubElement(
            node,
            "NavigationProperty",
            Name=collection.name,
            Type=f"Collection(mscrm.{collection.target})",
        )


def _operations(schema: ET.Element) -> None:
    for name, fields in _COMPLEX.items():
        complex_type = _el(schema, "ComplexType", Name=name)
        for field_name, kind in fields:
            _el(complex_type, "Property", Name=field_name, Type=kind, Nullable="false")
    _el(schema, "EnumType", Name="AccessRights", IsFlags="true")
    for name, returns in _FUNCTIONS:
        function = _el(schema, "Function", Name=name)
        _el(function, "ReturnType", Type=f"mscrm.{returns}", Nullable="false")
    for name in _ACTIONS:
        action = _el(schema, "Action", Name=name, IsBound="true")
        _el(action, "Parameter", Name="entityset", Type="Collection(mscrm.crmbaseentity)")
        _el(action, "Parameter", Name="Targets", Type="Collection(mscrm.crmbaseentity)")


def metadata_document(state: OrgState) -> ApiResponse:
    """``GET $metadata``: CSDL XML (``application/xml``)."""
    ET.register_namespace("edmx", EDMX)
    ET.register_namespace("", EDM)
    root = ET.Element(f"{{{EDMX}}}Edmx", Version="4.0")
    services = ET.SubElement(root, f"{{{EDMX}}}DataServices")
    schema = ET.SubElement(services, f"{{{EDM}}}Schema", Namespace=NS, Alias="mscrm")
    _el(schema, "EntityType", Name="crmbaseentity", Abstract="true")
    for entity in state.entities.values():
        _entity_type(schema, state, entity)
    _operations(schema)
    container = _el(schema, "EntityContainer", Name="System")
    for entity in state.entities.values():
        entity_set = ET.SubElement(
            container, "EntitySet", Name=entity.entity_set, EntityType=f"{NS}.{entity.logical_name}"
        )
        for nav in entity.navigation.values():
            ET.SubElement(
                entity_set,
                "NavigationPropertyBinding",
                Path=nav.name,
                Target=state.entities[nav.target].entity_set,
            )
    for name, _ in _FUNCTIONS:
        _el(container, "FunctionImport", Name=name, Function=f"{NS}.{name}")
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return ApiResponse(200, [("Content-Type", "application/xml"), ("OData-Version", "4.0")], body)
