"""JSON ↔ domain for the Dataverse Web API: request values out (ids, column names, exact number
literals, bulk bodies) and answers in (opportunity rows, attribute metadata, WhoAmI, access rights).
Nothing here does I/O; nothing outside ``shared/adapters/dataverse`` sees an OData annotation.

Annotation names: https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors
("Request annotations"); column shapes: .../webapi/query/select-columns.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from shared.domain.crm import (
    CrmIdentity,
    FieldInfo,
    FieldUpdate,
    FollowUpTask,
    NumericKind,
    Opportunity,
    OpportunityState,
    PredictiveScore,
)
from shared.domain.errors import CrmRejected, InvalidInput

FORMATTED = "OData.Community.Display.V1.FormattedValue"
LOOKUP_LOGICAL_NAME = "Microsoft.Dynamics.CRM.lookuplogicalname"
GLOBAL_METADATA_VERSION = "Microsoft.Dynamics.CRM.globalmetadataversion"

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_COLUMN = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
_STATES = {1: OpportunityState.WON, 2: OpportunityState.LOST}

# --- domain → request ------------------------------------------------------------------------------


def guid(value: str, what: str) -> str:
    """A record id as it goes into a URL: braces stripped, lower case, refused unless a GUID."""
    value = value.strip().strip("{}")
    if not _GUID.match(value):
        raise InvalidInput(f"{what} is not a GUID", params={"what": what})
    return value.lower()


def column(name: str) -> str:
    """A column logical name as it goes into ``$select`` or a body; refused unless plain."""
    if not _COLUMN.match(name):
        raise InvalidInput("not a valid column logical name", params={"field": name})
    return name


def number_literal(value: int | float | Decimal) -> str:
    """The exact JSON literal for a column value: Decimals keep their digits (no float rounding)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise InvalidInput("a numeric value is required", params={"value": repr(value)})
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInput("the value must be a finite number")
        return repr(value)
    if not value.is_finite():
        raise InvalidInput("the value must be a finite number")
    return format(value, "f")


def update_multiple_body(updates: Sequence[FieldUpdate]) -> bytes | None:
    """The ``UpdateMultiple`` body, one target per opportunity with all its columns merged
    (https://learn.microsoft.com/power-apps/developer/data-platform/bulk-operations); None when
    there is nothing to write. Literals are written by hand so Decimals keep their exact digits."""
    targets: dict[str, dict[str, str]] = {}
    for update in updates:
        oid = guid(update.opportunity_id, "opportunity id")
        targets.setdefault(oid, {})[column(update.field)] = number_literal(update.value)
    if not targets:
        return None
    items = []
    for oid, columns in targets.items():
        members = [
            '"@odata.type": "Microsoft.Dynamics.CRM.opportunity"',
            f'"opportunityid": "{oid}"',
            *(f'"{name}": {literal}' for name, literal in columns.items()),
        ]
        items.append("{" + ", ".join(members) + "}")
    return ('{"Targets": [' + ", ".join(items) + "]}").encode()


# --- answer → domain -------------------------------------------------------------------------------


def metadata_version(payload: Mapping[str, Any]) -> str | None:
    """The ``globalmetadataversion`` annotation of a collection answer, if Dataverse sent one."""
    raw = payload.get(f"@{GLOBAL_METADATA_VERSION}")
    return str(raw) if raw is not None else None


def to_opportunity(
    row: Mapping[str, Any], extras: Sequence[str], version: str | None
) -> Opportunity:
    """One row of the cockpit read (its ``$select``, ``$expand`` and formatted values)."""
    state_code = row.get("statecode")
    state = _STATES.get(int(state_code) if state_code is not None else 0, OpportunityState.OPEN)
    account = row.get("parentaccountid")
    account_name = account.get("name") if isinstance(account, dict) else None
    close_date = row.get("estimatedclosedate")
    probability = row.get("closeprobability")
    return Opportunity(
        id=str(row.get("opportunityid")),
        name=str(row.get("name") or ""),
        state=state,
        status_display=_formatted(row, "statuscode"),
        account_name=account_name or _formatted(row, "_parentaccountid_value"),
        customer_name=_formatted(row, "_customerid_value"),
        owner_name=_formatted(row, "_ownerid_value"),
        estimated_value=_decimal(row.get("estimatedvalue")),
        estimated_value_display=_formatted(row, "estimatedvalue"),
        estimated_close_date=date.fromisoformat(str(close_date)[:10]) if close_date else None,
        estimated_close_date_display=_formatted(row, "estimatedclosedate"),
        sales_stage_display=_formatted(row, "salesstage"),
        pipeline_phase=row.get("stepname"),
        probability=int(probability) if probability is not None else None,
        extra_values={name: _decimal(row.get(name)) for name in extras},
        etag=row.get("@odata.etag"),
        metadata_version=version,
        owner_id=_lower(row.get("_ownerid_value")),
        owner_type=_lower(row.get(f"_ownerid_value@{LOOKUP_LOGICAL_NAME}")),
    )


def to_field_info(attribute: Mapping[str, Any], typed: Mapping[str, Any]) -> FieldInfo:
    """``AttributeMetadata`` plus the type-cast answer (MinValue/MaxValue/Precision)."""
    name = str(attribute.get("LogicalName"))
    precision = typed.get("Precision")
    return FieldInfo(
        logical_name=name,
        display_name=_label(attribute.get("DisplayName")) or name,
        attribute_type=str(attribute.get("AttributeType")),
        is_valid_for_update=bool(attribute.get("IsValidForUpdate")),
        is_secured=bool(attribute.get("IsSecured")),
        is_custom=bool(attribute.get("IsCustomAttribute")),
        min_value=_decimal(typed.get("MinValue")),
        max_value=_decimal(typed.get("MaxValue")),
        precision=int(precision) if isinstance(precision, int | Decimal) else None,
        labels=_labels(attribute.get("DisplayName")),
    )


def numeric_kind(value: Any) -> NumericKind | None:
    try:
        return NumericKind(str(value))
    except ValueError:
        return None


def to_identity(payload: Mapping[str, Any]) -> CrmIdentity:
    """The ``WhoAmI()`` answer (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/whoami)."""
    try:
        return CrmIdentity(
            user_id=str(payload["UserId"]),
            business_unit_id=str(payload["BusinessUnitId"]),
            organization_id=str(payload["OrganizationId"]),
        )
    except KeyError as exc:
        raise CrmRejected(f"WhoAmI: unexpected answer without {exc}") from exc


def to_access_rights(payload: Mapping[str, Any]) -> frozenset[str]:
    """``RetrievePrincipalAccess``: ``AccessRights`` is a comma-separated flags string such as
    "ReadAccess, WriteAccess" (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/reference/accessrights);
    "None" is the empty set."""
    rights = str(payload.get("AccessRights") or "")
    return frozenset(r.strip() for r in rights.split(",") if r.strip() and r.strip() != "None")


def _label(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    user = value.get("UserLocalizedLabel")
    if isinstance(user, dict) and user.get("Label"):
        return str(user["Label"])
    for item in value.get("LocalizedLabels") or []:
        if isinstance(item, dict) and item.get("Label"):
            return str(item["Label"])
    return None


def _labels(value: Any) -> tuple[tuple[int, str], ...]:
    """Every ``LocalizedLabels`` entry of a Label as (LanguageCode, Label)."""
    if not isinstance(value, dict):
        return ()
    found: list[tuple[int, str]] = []
    for item in value.get("LocalizedLabels") or []:
        if (
            isinstance(item, dict)
            and item.get("Label")
            and isinstance(item.get("LanguageCode"), int)
        ):
            found.append((int(item["LanguageCode"]), str(item["Label"])))
    return tuple(found)


def to_user_names(payload: Mapping[str, Any]) -> dict[str, str]:
    """A ``systemusers`` query answer as Entra object id → full name."""
    names: dict[str, str] = {}
    for row in payload.get("value") or []:
        oid = _lower(row.get("azureactivedirectoryobjectid"))
        if oid and row.get("fullname"):
            names[oid] = str(row["fullname"])
    return names


def task_body(task: FollowUpTask) -> bytes:
    """A ``task`` create body: regarding the opportunity, owned by its owner. Navigation property
    names: task's ``regardingobjectid_opportunity_task`` and ``ownerid``
    (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/associate-disassociate-entities-using-web-api)."""
    owner_set = "teams" if task.owner_type == "team" else "systemusers"
    body = {
        "subject": task.subject[:200],
        "description": task.description[:2000],
        "regardingobjectid_opportunity_task@odata.bind": (
            f"/opportunities({guid(task.opportunity_id, 'opportunity id')})"
        ),
        "ownerid@odata.bind": f"/{owner_set}({guid(task.owner_id, 'owner id')})",
    }
    return json.dumps(body, ensure_ascii=False).encode()


def predictive_score_body(score: PredictiveScore) -> bytes:
    """The columns of a ``msdyn_predictivescore`` upsert (populate-predictive-scores)."""
    body = {
        "msdyn_score": score.score,
        "msdyn_scoretrend": score.trend,
        "msdyn_grade": score.grade,
        "msdyn_scoredon": score.scored_on.isoformat(),
    }
    return json.dumps(body).encode()


def created_id(entity_id_header: str | None) -> str | None:
    """The record id from ``OData-EntityId: …/tasks(<guid>)`` (a create answers 204 with it)."""
    if not entity_id_header:
        return None
    match = re.search(r"\(([0-9a-fA-F-]{36})\)\s*$", entity_id_header)
    return match.group(1).lower() if match else None


def _lower(value: Any) -> str | None:
    return str(value).lower() if value else None


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _formatted(row: Mapping[str, Any], name: str) -> str | None:
    value = row.get(f"{name}@{FORMATTED}")
    return str(value) if value is not None else None
