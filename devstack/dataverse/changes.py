"""Validated writes: request bodies to stored values, type and range checks, ``@odata.bind``,
column security and the opportunity's state rules.

Sources: update-delete-entities-using-web-api.md and create-entity-web-api.md (bodies,
``@odata.bind``), execute-batch-operations-using-web-api.md (the 0x80044331 validation wording),
column-level-security.md and web-service-error-codes.md (secured columns), and for won/lost
opportunities the notes in errors.py.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from devstack.dataverse import errors
from devstack.dataverse.errors import DataverseError
from devstack.dataverse.model import AttributeDef, EntityDef, Lookup, OrgState, stable_id
from devstack.dataverse.odata import GUID_RE
from devstack.dataverse.records import Ctx, json_value
from devstack.dataverse.security import require, secured_update_denied

_BIND = re.compile(r"^(?:.*/)?(?P<set>[A-Za-z_]\w*)\((?P<id>[0-9a-fA-F-]{36})\)$")
_INT_RANGES = {"Integer": (-(2**31), 2**31 - 1), "BigInt": (-(2**63), 2**63 - 1)}


def edm_type(attr: AttributeDef) -> str:
    return {
        "Integer": "Edm.Int32",
        "BigInt": "Edm.Int64",
        "Decimal": "Edm.Decimal",
        "Money": "Edm.Decimal",
        "Double": "Edm.Double",
        "Picklist": "Edm.Int32",
        "State": "Edm.Int32",
        "Status": "Edm.Int32",
        "Boolean": "Edm.Boolean",
        "DateTime": "Edm.DateTimeOffset",
        "Uniqueidentifier": "Edm.Guid",
    }.get(attr.attribute_type, "Edm.String")


def _cannot_convert(attr: AttributeDef, value: Any) -> DataverseError:
    # The OData deserializer's wording for a literal of the wrong type (0x0, 400).
    return errors.bad_request(
        f"Cannot convert the literal '{value}' to the expected type '{edm_type(attr)}'."
    )


def _out_of_range(entity: EntityDef, attr: AttributeDef, value: Any) -> DataverseError:
    low = json_value(attr.min_value)
    high = json_value(attr.max_value)
    return DataverseError(
        400,
        errors.VALIDATION_ERROR,
        f"A validation error occurred. The value {json_value(value)} of '{attr.logical_name}' on "
        f"record of type '{entity.logical_name}' is outside the valid range. Accepted Values: "
        f"{low} to {high}",
    )


def coerce_input(entity: EntityDef, attr: AttributeDef, value: Any) -> Any:
    """Validate a JSON value (parsed with Decimal floats) for ``attr``; return the stored form."""
    if value is None:
        if attr.required_level == "SystemRequired":
            raise DataverseError(
                400,
                errors.VALIDATION_ERROR,
                f"A validation error occurred. '{attr.logical_name}' is required and cannot be null.",
            )
        return None
    kind = attr.attribute_type
    if kind in ("Integer", "BigInt", "Picklist", "State", "Status"):
        return _coerce_whole_number(entity, attr, value)
    if kind in ("Decimal", "Money", "Double"):
        return _coerce_decimal(entity, attr, value)
    if kind in ("String", "Memo"):
        return _coerce_text(entity, attr, value)
    if kind == "Boolean":
        if not isinstance(value, bool):
            raise _cannot_convert(attr, value)
        return value
    if kind == "DateTime":
        return _coerce_date_time(attr, value)
    if kind == "Uniqueidentifier":
        if not isinstance(value, str) or not GUID_RE.match(value):
            raise _cannot_convert(attr, value)
        return value.lower()
    raise _cannot_convert(attr, value)


def _coerce_whole_number(entity: EntityDef, attr: AttributeDef, value: Any) -> int:
    """Integer and BigInt columns, and choices (Picklist, State, Status) by option value."""
    kind = attr.attribute_type
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise _cannot_convert(attr, value)
    if isinstance(value, Decimal):
        if value != value.to_integral_value():
            raise _cannot_convert(attr, value)
        value = int(value)
    number: int = value
    low, high = _INT_RANGES.get(kind, (-(2**31), 2**31 - 1))
    if not low <= number <= high:
        raise _cannot_convert(attr, number)
    if kind in ("Picklist", "State", "Status"):
        if attr.options and attr.option(number) is None:
            raise _out_of_range(entity, attr, number)
        return number
    _check_range(entity, attr, Decimal(number))
    return number


def _coerce_decimal(entity: EntityDef, attr: AttributeDef, value: Any) -> Decimal:
    """Decimal, Money and Double columns."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise _cannot_convert(attr, value)
    number = Decimal(value)
    if not number.is_finite():
        raise _cannot_convert(attr, value)
    _check_range(entity, attr, number)
    if attr.attribute_type in ("Decimal", "Money") and attr.precision is not None:
        # Decimal and currency columns store `Precision` decimal places.
        try:
            number = number.quantize(Decimal(1).scaleb(-attr.precision), rounding=ROUND_HALF_EVEN)
        except InvalidOperation as exc:
            raise _cannot_convert(attr, value) from exc
    return number


def _coerce_text(entity: EntityDef, attr: AttributeDef, value: Any) -> str:
    """String and Memo columns, up to their maximum length."""
    if not isinstance(value, str):
        raise _cannot_convert(attr, value)
    if attr.max_length is not None and len(value) > attr.max_length:
        # Wording from execute-batch-operations-using-web-api.md (0x80044331 example).
        raise DataverseError(
            400,
            errors.VALIDATION_ERROR,
            f"A validation error occurred.  The length of the '{attr.logical_name}' attribute of "
            f"the '{entity.logical_name}' entity exceeded the maximum allowed length of "
            f"'{attr.max_length}'.",
        )
    return value


def _coerce_date_time(attr: AttributeDef, value: Any) -> date | datetime:
    """An ISO 8601 string; a date-only column keeps the date part."""
    if not isinstance(value, str):
        raise _cannot_convert(attr, value)
    try:
        if attr.date_behavior == "DateOnly":
            return date.fromisoformat(value[:10])
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise _cannot_convert(attr, value) from exc


def _check_range(entity: EntityDef, attr: AttributeDef, number: Decimal) -> None:
    if attr.min_value is not None and number < attr.min_value:
        raise _out_of_range(entity, attr, number)
    if attr.max_value is not None and number > attr.max_value:
        raise _out_of_range(entity, attr, number)


def _unknown_body_property(entity: EntityDef, name: str) -> DataverseError:
    # The OData deserializer's message for an undeclared property in a request body (0x0, 400).
    return errors.bad_request(
        f"The property '{name}' does not exist on type '{entity.type_name}'. Make sure to only use "
        "property names that are defined by the type."
    )


def parse_changes(
    ctx: Ctx, entity: EntityDef, body: dict[str, Any], *, creating: bool
) -> dict[str, Any]:
    """Validate a create/update body; return {logical name: stored value}. Raises 400/403."""
    changes: dict[str, Any] = {}
    for key, value in body.items():
        if key == "@odata.type":
            if str(value).lstrip("#") != entity.type_name:
                raise errors.bad_request(
                    f"The entity type '{value}' does not match the expected type '{entity.type_name}'."
                )
            continue
        if key.endswith("@odata.bind"):
            attr, target = _bind_target(entity, key[: -len("@odata.bind")])
            if attr is None:
                raise _unknown_body_property(entity, key)
            changes[attr.logical_name] = _bind(ctx.state, attr, value, only=target)
            continue
        attr = entity.by_property(key)
        if attr is None or attr.is_lookup:
            raise _unknown_body_property(entity, key)
        if attr.logical_name == entity.primary_id:
            changes[attr.logical_name] = coerce_input(entity, attr, value)
            continue
        allowed = attr.is_valid_for_create if creating else attr.is_valid_for_update
        if not allowed:
            # Dataverse refuses columns whose metadata says they cannot be set by this operation
            # (AttributeMetadata.IsValidForCreate/IsValidForUpdate). The exact message is not
            # documented; InvalidArgument is the closest documented code.
            raise DataverseError(
                400,
                errors.INVALID_ARGUMENT,
                f"Attribute '{attr.logical_name}' of entity '{entity.logical_name}' is not valid for "
                f"{'create' if creating else 'update'}.",
            )
        changes[attr.logical_name] = coerce_input(entity, attr, value)
    return changes


def _bind_target(entity: EntityDef, name: str) -> tuple[AttributeDef | None, str | None]:
    """The lookup column behind a single-valued navigation property (``parentaccountid``,
    ``ownerid``, ``regardingobjectid_opportunity_task``) and the one table it may point at
    (associate-disassociate-entities-using-web-api.md: ``<navigation property>@odata.bind``)."""
    nav = entity.navigation.get(name)
    if nav is not None:
        return entity.attributes.get(nav.lookup), nav.target
    attr = entity.attributes.get(name)
    return (attr, None) if attr is not None and attr.is_lookup else (None, None)


def _bind(
    state: OrgState, attr: AttributeDef, value: Any, *, only: str | None = None
) -> Lookup | None:
    if value is None:
        return None
    match = _BIND.match(str(value))
    if match is None:
        raise errors.bad_request(f"The value '{value}' is not a valid entity reference.")
    target = state.entity_by_set(match["set"])
    if only is not None and target is not None and target.logical_name != only:
        target = None
    if target is None or (attr.targets and target.logical_name not in attr.targets):
        raise errors.bad_request(
            f"The value '{value}' is not a valid reference for '{attr.logical_name}'."
        )
    record_id = match["id"].lower()
    if record_id not in state.rows[target.logical_name]:
        raise errors.not_found(target.logical_name, record_id)
    return Lookup(record_id, target.logical_name)


def check_field_security(
    ctx: Ctx, entity: EntityDef, changes: dict[str, Any], *, creating: bool
) -> None:
    for name in changes:
        attr = entity.attributes[name]
        if not attr.is_secured:
            continue
        op = "create" if creating else "update"
        if not ctx.principal.field_permission(ctx.state, entity.logical_name, name, op):
            if creating:
                raise DataverseError(
                    403,
                    "0x8004F502",  # AttributePrivilegeCreateIsMissing (web-service-error-codes.md)
                    "The user does not have create permissions to a secured field. The requested "
                    "operation could not be completed.",
                )
            raise secured_update_denied(name, entity.logical_name)


def check_opportunity_state(ctx: Ctx, row: dict[str, Any] | None, changes: dict[str, Any]) -> None:
    """Opportunity state rules: Won/Lost only through WinOpportunity/LoseOpportunity; writes to a
    closed opportunity per the ``closed_opportunity_updates`` switch (see errors.py for why)."""
    target_state = changes.get("statecode")
    if target_state in (1, 2):
        # community: bcolpaert/Colso.Xrm.DataTransporter#23 — "This message can not be used to set
        # the state of opportunity to Lost … use the LoseOpportunityRequest"; state changes to Won or
        # Lost go through WinOpportunity / LoseOpportunity (webapi/reference/winopportunity).
        name, message = (
            ("Won", "WinOpportunityRequest")
            if target_state == 1
            else ("Lost", "LoseOpportunityRequest")
        )
        raise DataverseError(
            400,
            errors.INVALID_ARGUMENT,
            f"This message can not be used to set the state of opportunity to {name}. In order to set "
            f"state of opportunity to {name} use the {message} message instead.",
        )
    if row is None or row.get("statecode") not in (1, 2):
        return
    reopening = target_state == 0
    other = [k for k in changes if k not in ("statecode", "statuscode")]
    if reopening and not other:
        return  # reopening (statecode back to 0) is how a closed opportunity becomes editable
    if ctx.closed_opportunity_updates == "reject" and not reopening:
        raise DataverseError(
            400,
            errors.PLUGIN_ERROR,
            errors.CLOSED_OPPORTUNITY_MESSAGE,
            details={
                "OperationStatus": "0",
                "SubErrorCode": errors.CLOSED_OPPORTUNITY_SUBERRORCODE,
            },
        )


def apply_changes(
    ctx: Ctx, entity: EntityDef, row: dict[str, Any], changes: dict[str, Any]
) -> None:
    for name, value in changes.items():
        if name == entity.primary_id:
            continue
        row[name] = value
    if (
        entity.logical_name == "opportunity"
        and "statecode" in changes
        and "statuscode" not in changes
    ):
        # Reopening sets the state's default status ("0 Open (default status 1)").
        row["statuscode"] = 1 if changes["statecode"] == 0 else row.get("statuscode")
    row["versionnumber"] = ctx.state.next_version()


def new_row(
    ctx: Ctx, entity: EntityDef, changes: dict[str, Any], record_id: str | None
) -> dict[str, Any]:
    rid = (record_id or changes.get(entity.primary_id) or str(uuid.uuid4())).lower()
    row: dict[str, Any] = {a: None for a in entity.attributes}
    row[entity.primary_id] = rid
    if entity.ownership == "UserOwned" and "ownerid" in entity.attributes:
        row["ownerid"] = Lookup(ctx.principal.user.systemuserid, "systemuser")
    if "transactioncurrencyid" in entity.attributes:
        row["transactioncurrencyid"] = Lookup(
            stable_id("currency", ctx.state.org.currency), "transactioncurrency"
        )
    for name, value in changes.items():
        row[name] = value
    if entity.logical_name == "opportunity":
        row["statecode"] = 0
        row["statuscode"] = row.get("statuscode") or 1
    elif entity.logical_name == "task":
        # A new task is Open / Not Started (task entity reference: statecode, statuscode).
        row["statecode"] = row.get("statecode") or 0
        row["statuscode"] = row.get("statuscode") or 2
    row["versionnumber"] = ctx.state.next_version()
    return row


def check_links(ctx: Ctx, entity: EntityDef, body: dict[str, Any], changes: dict[str, Any]) -> None:
    """Linking rows needs Append on this table and AppendTo on the row linked to; giving a row
    another owner needs Assign (security-roles-privileges: Append, Append To, Assign)."""
    bound = {
        attr.logical_name
        for key in body
        if key.endswith("@odata.bind")
        and (attr := _bind_target(entity, key[: -len("@odata.bind")])[0]) is not None
    }
    for name in bound:
        value = changes.get(name)
        if not isinstance(value, Lookup):
            continue
        if name == "ownerid":
            if value.id != ctx.principal.user.systemuserid:
                require(ctx.state, ctx.principal, entity, "Assign")
            continue
        target = ctx.state.entities[value.entity]
        require(ctx.state, ctx.principal, entity, "Append")
        row = ctx.state.rows[value.entity].get(value.id)
        require(ctx.state, ctx.principal, target, "AppendTo", row, value.id)
