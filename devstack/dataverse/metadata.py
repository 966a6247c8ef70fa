"""``EntityDefinitions`` and ``Attributes``: table and column definitions, with OData type casts.

Follows query-metadata-web-api.md and retrieve-metadata-name-metadataid.md (MicrosoftDocs/powerapps-docs
developer/data-platform/webapi/): ``EntityDefinitions(LogicalName='account')``,
``…/Attributes(LogicalName='emailaddress1')``, ``$select``/``$filter`` on the ``AttributeMetadata``
base type (enum values need the namespace: ``Microsoft.Dynamics.CRM.AttributeTypeCode'Integer'``),
and casts such as ``…/Microsoft.Dynamics.CRM.PicklistAttributeMetadata`` to reach derived-type
properties (MinValue/MaxValue/Precision live on IntegerAttributeMetadata, DecimalAttributeMetadata,
DoubleAttributeMetadata, MoneyAttributeMetadata, BigIntAttributeMetadata — attributemetadata reference).
Labels are ``Label`` objects with ``LocalizedLabels`` and ``UserLocalizedLabel`` (the caller's
language). ``AttributeTypeName`` is a complex value ``{"Value": "IntegerType"}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from devstack.dataverse import errors
from devstack.dataverse.formatting import GERMAN, LANGUAGE_KEYS
from devstack.dataverse.model import AttributeDef, EntityDef, stable_id
from devstack.dataverse.odata import FilterExpr, evaluate_filter, filter_paths
from devstack.dataverse.records import json_value

NS = "Microsoft.Dynamics.CRM."

# AttributeType → derived metadata type (Customer and Owner are LookupAttributeMetadata).
_CAST_BY_TYPE = {
    "Integer": "IntegerAttributeMetadata",
    "BigInt": "BigIntAttributeMetadata",
    "Decimal": "DecimalAttributeMetadata",
    "Double": "DoubleAttributeMetadata",
    "Money": "MoneyAttributeMetadata",
    "String": "StringAttributeMetadata",
    "Memo": "MemoAttributeMetadata",
    "Lookup": "LookupAttributeMetadata",
    "Customer": "LookupAttributeMetadata",
    "Owner": "LookupAttributeMetadata",
    "Picklist": "PicklistAttributeMetadata",
    "State": "StateAttributeMetadata",
    "Status": "StatusAttributeMetadata",
    "DateTime": "DateTimeAttributeMetadata",
    "Boolean": "BooleanAttributeMetadata",
    "Uniqueidentifier": "UniqueIdentifierAttributeMetadata",
}
_DERIVED_PROPERTIES: dict[str, tuple[str, ...]] = {
    "IntegerAttributeMetadata": ("MinValue", "MaxValue", "Format"),
    "BigIntAttributeMetadata": ("MinValue", "MaxValue"),
    "DecimalAttributeMetadata": ("MinValue", "MaxValue", "Precision"),
    "DoubleAttributeMetadata": ("MinValue", "MaxValue", "Precision"),
    "MoneyAttributeMetadata": (
        "MinValue",
        "MaxValue",
        "Precision",
        "PrecisionSource",
        "IsBaseCurrency",
    ),
    "StringAttributeMetadata": ("MaxLength", "Format"),
    "MemoAttributeMetadata": ("MaxLength", "Format"),
    "LookupAttributeMetadata": ("Targets",),
    "PicklistAttributeMetadata": ("DefaultFormValue",),
    "StateAttributeMetadata": ("DefaultFormValue",),
    "StatusAttributeMetadata": ("DefaultFormValue",),
    "DateTimeAttributeMetadata": ("Format", "DateTimeBehavior"),
    "BooleanAttributeMetadata": ("DefaultValue",),
    "UniqueIdentifierAttributeMetadata": (),
}
BASE_ATTRIBUTE_PROPERTIES = (
    "MetadataId",
    "LogicalName",
    "SchemaName",
    "EntityLogicalName",
    "AttributeType",
    "AttributeTypeName",
    "DisplayName",
    "Description",
    "IsValidForUpdate",
    "IsValidForCreate",
    "IsValidForRead",
    "IsSecured",
    "IsCustomAttribute",
    "IsPrimaryId",
    "IsPrimaryName",
    "RequiredLevel",
    "CanBeSecuredForRead",
    "CanBeSecuredForCreate",
    "CanBeSecuredForUpdate",
    "AttributeOf",
    "IsLogical",
    "IsManaged",
)
ENTITY_PROPERTIES = (
    "MetadataId",
    "LogicalName",
    "SchemaName",
    "EntitySetName",
    "LogicalCollectionName",
    "PrimaryIdAttribute",
    "PrimaryNameAttribute",
    "ObjectTypeCode",
    "OwnershipType",
    "IsOptimisticConcurrencyEnabled",
    "IsCustomEntity",
    "DisplayName",
    "DisplayCollectionName",
)


def cast_name(attr: AttributeDef) -> str:
    return _CAST_BY_TYPE.get(attr.attribute_type, "AttributeMetadata")


def parse_cast(segment: str) -> str:
    """``Microsoft.Dynamics.CRM.IntegerAttributeMetadata`` → ``IntegerAttributeMetadata``; 400 else."""
    if not segment.startswith(NS) or segment[len(NS) :] not in _DERIVED_PROPERTIES:
        raise errors.bad_request(f"The type '{segment}' is not a known attribute metadata type.")
    return segment[len(NS) :]


def label_object(labels: dict[str, str], *, language: int, key: str) -> dict[str, Any]:
    localized = [
        {
            "Label": text,
            "LanguageCode": next((lcid for lcid, k in LANGUAGE_KEYS.items() if k == lang), 1033),
            "IsManaged": True,
            "MetadataId": stable_id("label", key, lang),
            "HasChanged": None,
        }
        for lang, text in labels.items()
    ]
    wanted = GERMAN if language == GERMAN else 1033
    user = next((item for item in localized if item["LanguageCode"] == wanted), None)
    if user is None and localized:
        user = localized[0]
    return {"LocalizedLabels": localized, "UserLocalizedLabel": user}


def attribute_properties(entity: EntityDef, attr: AttributeDef, *, language: int) -> dict[str, Any]:
    """Every property of the attribute: base AttributeMetadata plus its derived type's."""
    schema = attr.logical_name if attr.is_custom else attr.logical_name.capitalize()
    props: dict[str, Any] = {
        "MetadataId": attr.metadata_id,
        "LogicalName": attr.logical_name,
        "SchemaName": schema,
        "EntityLogicalName": entity.logical_name,
        "AttributeType": attr.attribute_type,
        "AttributeTypeName": {"Value": attr.type_name},
        "DisplayName": label_object(attr.labels, language=language, key=attr.metadata_id),
        "Description": label_object({}, language=language, key=attr.metadata_id + "d"),
        "IsValidForUpdate": attr.is_valid_for_update,
        "IsValidForCreate": attr.is_valid_for_create,
        "IsValidForRead": attr.is_valid_for_read,
        "IsSecured": attr.is_secured,
        "IsCustomAttribute": attr.is_custom,
        "IsPrimaryId": attr.logical_name == entity.primary_id,
        "IsPrimaryName": attr.logical_name == entity.primary_name,
        "RequiredLevel": {
            "Value": attr.required_level,
            "CanBeChanged": attr.required_level != "SystemRequired",
            "ManagedPropertyLogicalName": "canmodifyrequirementlevelsettings",
        },
        "CanBeSecuredForRead": attr.is_custom or attr.is_secured,
        "CanBeSecuredForCreate": attr.is_custom or attr.is_secured,
        "CanBeSecuredForUpdate": attr.is_custom or attr.is_secured,
        "AttributeOf": None,
        "IsLogical": False,
        "IsManaged": not attr.is_custom,
    }
    cast = cast_name(attr)
    derived: dict[str, Any] = {
        "MinValue": json_value(attr.min_value),
        "MaxValue": json_value(attr.max_value),
        "Precision": attr.precision,
        "PrecisionSource": 2 if cast == "MoneyAttributeMetadata" else None,
        "IsBaseCurrency": False,
        "MaxLength": attr.max_length,
        "Format": {
            "IntegerAttributeMetadata": "None",
            "StringAttributeMetadata": "Text",
            "MemoAttributeMetadata": "TextArea",
            "DateTimeAttributeMetadata": "DateOnly"
            if attr.date_behavior == "DateOnly"
            else "DateAndTime",
        }.get(cast),
        "DateTimeBehavior": {"Value": attr.date_behavior or "UserLocal"},
        "Targets": attr.targets,
        "DefaultFormValue": attr.options[0].value if attr.options else None,
        "DefaultValue": False,
    }
    for name in _DERIVED_PROPERTIES.get(cast, ()):
        props[name] = derived[name]
    return props


def project(
    props: dict[str, Any], select: list[str] | None, keep: tuple[str, ...] = ("MetadataId",)
) -> dict[str, Any]:
    if select is None:
        return props
    out = {name: props[name] for name in select if name in props}
    for name in keep:
        out.setdefault(name, props[name])
    return out


def validate_attribute_select(select: list[str] | None, cast: str | None) -> None:
    allowed = set(BASE_ATTRIBUTE_PROPERTIES) | set(_DERIVED_PROPERTIES.get(cast or "", ()))
    type_name = f"{NS}{cast or 'AttributeMetadata'}"
    for name in select or []:
        if name not in allowed:
            raise errors.unknown_property(name, type_name)


def validate_attribute_filter(expr: FilterExpr, cast: str | None) -> None:
    allowed = set(BASE_ATTRIBUTE_PROPERTIES) | set(_DERIVED_PROPERTIES.get(cast or "", ()))
    type_name = f"{NS}{cast or 'AttributeMetadata'}"
    for path in filter_paths(expr):
        if path[0] not in allowed:
            raise errors.unknown_property(path[0], type_name)


def _path_reader(props: dict[str, Any]) -> Callable[[tuple[str, ...]], Any]:
    def read(path: tuple[str, ...]) -> Any:
        value: Any = props
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        return value

    return read


def render_attribute(
    entity: EntityDef,
    attr: AttributeDef,
    *,
    language: int,
    select: list[str] | None,
    cast: str | None,
    in_collection: bool,
) -> dict[str, Any]:
    props = attribute_properties(entity, attr, language=language)
    out = project(props, select, ("MetadataId",))
    if in_collection and cast is None:
        # Items of a derived type carry their type in a collection of the base type.
        out = {"@odata.type": f"#{NS}{cast_name(attr)}", **out}
    return out


def list_attributes(
    entity: EntityDef,
    *,
    language: int,
    select: list[str] | None,
    cast: str | None,
    expr: FilterExpr | None,
) -> list[dict[str, Any]]:
    validate_attribute_select(select, cast)
    if expr is not None:
        validate_attribute_filter(expr, cast)
    items: list[dict[str, Any]] = []
    for attr in entity.attributes.values():
        if cast is not None and cast_name(attr) != cast:
            continue
        props = attribute_properties(entity, attr, language=language)
        if expr is not None and not evaluate_filter(expr, _path_reader(props)):
            continue
        items.append(
            render_attribute(
                entity, attr, language=language, select=select, cast=cast, in_collection=True
            )
        )
    return items


def entity_properties(entity: EntityDef, *, language: int) -> dict[str, Any]:
    return {
        "MetadataId": entity.metadata_id,
        "LogicalName": entity.logical_name,
        "SchemaName": entity.schema_name,
        "EntitySetName": entity.entity_set,
        "LogicalCollectionName": entity.entity_set,
        "PrimaryIdAttribute": entity.primary_id,
        "PrimaryNameAttribute": entity.primary_name,
        "ObjectTypeCode": entity.object_type_code,
        "OwnershipType": entity.ownership,
        "IsOptimisticConcurrencyEnabled": entity.is_optimistic_concurrency_enabled,
        "IsCustomEntity": False,
        "DisplayName": label_object(entity.labels, language=language, key=entity.metadata_id),
        "DisplayCollectionName": label_object(
            entity.labels, language=language, key=entity.metadata_id + "c"
        ),
    }


def render_entity(entity: EntityDef, *, language: int, select: list[str] | None) -> dict[str, Any]:
    for name in select or []:
        if name not in ENTITY_PROPERTIES:
            raise errors.unknown_property(name, f"{NS}EntityMetadata")
    return project(entity_properties(entity, language=language), select, ("MetadataId",))


def filter_entities(
    entities: list[EntityDef], *, language: int, expr: FilterExpr | None
) -> list[EntityDef]:
    if expr is None:
        return entities
    for path in filter_paths(expr):
        if path[0] not in ENTITY_PROPERTIES:
            raise errors.unknown_property(path[0], f"{NS}EntityMetadata")
    return [
        e
        for e in entities
        if evaluate_filter(expr, _path_reader(entity_properties(e, language=language)))
    ]


def render_key(entity: EntityDef, names: tuple[str, ...], *, language: int) -> dict[str, Any]:
    """One alternate key as EntityKeyMetadata (webapi/reference/entitykeymetadata)."""
    logical = f"{entity.logical_name}_{'_'.join(names)}_key"
    key_id = stable_id("key", entity.logical_name, *names)
    return {
        "MetadataId": key_id,
        "LogicalName": logical,
        "SchemaName": logical,
        "EntityLogicalName": entity.logical_name,
        "KeyAttributes": list(names),
        "DisplayName": label_object({"en": logical, "de": logical}, language=language, key=key_id),
        "EntityKeyIndexStatus": "Active",
        "IsManaged": True,
        "IsCustomizable": {"Value": False, "CanBeChanged": False},
        "IntroducedVersion": "1.0",
        "HasChanged": None,
        "AsyncJob": None,
    }
