"""The solution tables an import fills: publisher, solution, solutioncomponent, webresource
(entity set ``webresourceset``), environmentvariabledefinition and environmentvariablevalue.

Columns follow the Dataverse table references
(https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/solution,
…/publisher, …/solutioncomponent, …/webresource, …/environmentvariabledefinition,
…/environmentvariablevalue); only the columns an import sets and a client reads are modelled.
"""

from __future__ import annotations

from devstack.dataverse.model import AttributeDef, CollectionNav, EntityDef, NavDef, OptionDef
from devstack.dataverse.tables import attr_def

# solutioncomponent.componenttype (componenttype choices of the solutioncomponent reference).
COMPONENT_TYPES = {
    "Entity": 1,
    "Attribute": 2,
    "Role": 20,
    "RibbonCustomization": 50,
    "SystemForm": 60,
    "WebResource": 61,
    "EnvironmentVariableDefinition": 380,
    "EnvironmentVariableValue": 381,
}
# webresource.webresourcetype.
WEB_RESOURCE_TYPES = {
    1: "HTML",
    2: "CSS",
    3: "Script (JScript)",
    4: "XML",
    5: "PNG",
    6: "JPG",
    7: "GIF",
    8: "Silverlight (XAP)",
    9: "Style Sheet (XSL)",
    10: "ICO",
    11: "Vector format (SVG)",
    12: "String (RESX)",
}
# environmentvariabledefinition.type.
VARIABLE_TYPES = {
    100000000: "String",
    100000001: "Number",
    100000002: "Boolean",
    100000003: "JSON",
    100000004: "Data source",
    100000005: "Secret",
}


MEMO = 1_048_576


def _options(values: dict[int, str]) -> list[OptionDef]:
    return [OptionDef(value, {"en": label, "de": label}) for value, label in values.items()]


def _id(entity: str, name: str, label: str) -> AttributeDef:
    return attr_def(entity, name, "Uniqueidentifier", label, label, is_valid_for_update=False)


def _text(entity: str, name: str, label: str, length: int = 256) -> AttributeDef:
    return attr_def(entity, name, "String", label, label, max_length=length)


def _table(
    name: str,
    entity_set: str,
    schema: str,
    primary_name: str,
    attributes: list[AttributeDef],
    **extra: object,
) -> EntityDef:
    return EntityDef(
        logical_name=name,
        entity_set=entity_set,
        schema_name=schema,
        primary_id=f"{name}id",
        primary_name=primary_name,
        object_type_code=0,
        ownership="OrganizationOwned",
        labels={"en": schema, "de": schema},
        attributes={a.logical_name: a for a in [_id(name, f"{name}id", schema), *attributes]},
        **extra,  # type: ignore[arg-type]
    )


def _publisher_table() -> EntityDef:
    return _table(
        "publisher",
        "publishers",
        "Publisher",
        "friendlyname",
        [
            _text("publisher", "uniquename", "Name"),
            _text("publisher", "friendlyname", "Display Name"),
            _text("publisher", "customizationprefix", "Prefix", 8),
            attr_def(
                "publisher", "customizationoptionvalueprefix", "Integer", "Choice prefix", "Präfix"
            ),
        ],
    )


def _solution_table() -> EntityDef:
    return _table(
        "solution",
        "solutions",
        "Solution",
        "friendlyname",
        [
            _text("solution", "uniquename", "Name"),
            _text("solution", "friendlyname", "Display Name"),
            _text("solution", "version", "Version", 64),
            attr_def("solution", "ismanaged", "Boolean", "Package Type", "Pakettyp"),
            attr_def("solution", "installedon", "DateTime", "Installed On", "Installiert am"),
            attr_def(
                "solution",
                "publisherid",
                "Lookup",
                "Publisher",
                "Herausgeber",
                targets=["publisher"],
            ),
        ],
        navigation={"publisherid": NavDef("publisherid", "publisherid", "publisher")},
        collections={
            "solution_solutioncomponent": CollectionNav(
                "solution_solutioncomponent", "solutioncomponent", "solutionid"
            )
        },
    )


def _component_table() -> EntityDef:
    return _table(
        "solutioncomponent",
        "solutioncomponents",
        "SolutionComponent",
        "objectid",
        [
            attr_def(
                "solutioncomponent",
                "componenttype",
                "Picklist",
                "Object Type Code",
                "Objekttyp",
                options=_options({v: k for k, v in COMPONENT_TYPES.items()}),
            ),
            _id("solutioncomponent", "objectid", "Regarding"),
            attr_def(
                "solutioncomponent",
                "solutionid",
                "Lookup",
                "Solution",
                "Lösung",
                targets=["solution"],
            ),
        ],
        navigation={"solutionid": NavDef("solutionid", "solutionid", "solution")},
    )


def _webresource_table() -> EntityDef:
    return _table(
        "webresource",
        "webresourceset",
        "WebResource",
        "name",
        [
            _text("webresource", "name", "Name"),
            _text("webresource", "displayname", "Display Name", 200),
            attr_def(
                "webresource",
                "webresourcetype",
                "Picklist",
                "Type",
                "Typ",
                options=_options(WEB_RESOURCE_TYPES),
            ),
            attr_def("webresource", "content", "Memo", "Content", "Inhalt", max_length=MEMO),
            attr_def("webresource", "ismanaged", "Boolean", "State", "Status"),
        ],
    )


def solution_entities() -> dict[str, EntityDef]:
    tables = (_publisher_table(), _solution_table(), _component_table(), _webresource_table())
    return {e.logical_name: e for e in tables}


def variable_entities() -> dict[str, EntityDef]:
    definition = _table(
        "environmentvariabledefinition",
        "environmentvariabledefinitions",
        "EnvironmentVariableDefinition",
        "schemaname",
        [
            _text("environmentvariabledefinition", "schemaname", "Schema Name"),
            _text("environmentvariabledefinition", "displayname", "Display Name", 100),
            attr_def(
                "environmentvariabledefinition",
                "type",
                "Picklist",
                "Type",
                "Typ",
                options=_options(VARIABLE_TYPES),
            ),
            attr_def(
                "environmentvariabledefinition",
                "defaultvalue",
                "Memo",
                "Default Value",
                "Standardwert",
                max_length=2000,
            ),
        ],
        collections={
            "environmentvariabledefinition_environmentvariablevalue": CollectionNav(
                "environmentvariabledefinition_environmentvariablevalue",
                "environmentvariablevalue",
                "environmentvariabledefinitionid",
            )
        },
    )
    value = _table(
        "environmentvariablevalue",
        "environmentvariablevalues",
        "EnvironmentVariableValue",
        "schemaname",
        [
            _text("environmentvariablevalue", "schemaname", "Schema Name"),
            attr_def("environmentvariablevalue", "value", "Memo", "Value", "Wert", max_length=2000),
            attr_def(
                "environmentvariablevalue",
                "environmentvariabledefinitionid",
                "Lookup",
                "Environment Variable Definition",
                "Umgebungsvariablendefinition",
                targets=["environmentvariabledefinition"],
            ),
        ],
        navigation={
            "EnvironmentVariableDefinitionId": NavDef(
                "EnvironmentVariableDefinitionId",
                "environmentvariabledefinitionid",
                "environmentvariabledefinition",
            )
        },
    )
    return {definition.logical_name: definition, value.logical_name: value}
