"""Loading an org from the seed file: users and privileges, rows of every table.

The seed's shapes are documented in devstack/seed/README.md; table shapes live in tables.py.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from devstack.dataverse.activities import task_entity
from devstack.dataverse.formatting import ENGLISH
from devstack.dataverse.model import (
    BASELINE_PRIVILEGES,
    AttributeDef,
    Depth,
    EntityDef,
    FieldPermission,
    Lookup,
    OrgConfig,
    OrgState,
    SystemUser,
    stable_id,
)
from devstack.dataverse.solution_tables import solution_entities, variable_entities
from devstack.dataverse.tables import fixed_entities, opportunity_from_seed


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _load_rows(state: OrgState, seed: dict[str, Any]) -> None:
    entities = state.entities
    currencies = {state.org.currency}
    for opp in seed.get("opportunities", []):
        if opp.get("transactioncurrency"):
            currencies.add(opp["transactioncurrency"])
    for code in sorted(currencies):
        cid = stable_id("currency", code)
        state.rows["transactioncurrency"][cid] = {
            "transactioncurrencyid": cid,
            "currencyname": code,
            "isocurrencycode": code,
            "versionnumber": state.next_version(),
        }
    for raw in seed.get("accounts", []):
        aid = raw["accountid"].lower()
        state.rows["account"][aid] = {
            "accountid": aid,
            "name": raw.get("name"),
            "versionnumber": state.next_version(),
        }
    for raw in seed.get("contacts", []):
        cid = raw["contactid"].lower()
        parent = raw.get("_parentcustomerid_value")
        state.rows["contact"][cid] = {
            "contactid": cid,
            "fullname": raw.get("fullname"),
            "parentcustomerid": Lookup(parent.lower(), raw.get("parentcustomerid_type", "account"))
            if parent
            else None,
            "versionnumber": state.next_version(),
        }
    for user in state.users.values():
        state.rows["systemuser"][user.systemuserid] = {
            "systemuserid": user.systemuserid,
            "fullname": user.fullname,
            "azureactivedirectoryobjectid": user.aad_object_id,
            "applicationid": user.application_id,
            "isdisabled": user.is_disabled,
            "businessunitid": Lookup(user.business_unit_id, "businessunit"),
            "versionnumber": state.next_version(),
        }
    opportunity = entities["opportunity"]
    for raw in seed.get("opportunities", []):
        state.rows["opportunity"][raw["opportunityid"].lower()] = opportunity_row_from_seed(
            state, opportunity, raw
        )
    for raw in seed.get("msdyn_predictivescores", []):
        sid = raw["msdyn_predictivescoreid"].lower()
        row = {k: v for k, v in raw.items()}
        row["msdyn_predictivescoreid"] = sid
        row["versionnumber"] = state.next_version()
        state.rows["msdyn_predictivescore"][sid] = row


def opportunity_row_from_seed(
    state: OrgState, entity: EntityDef, raw: dict[str, Any]
) -> dict[str, Any]:
    """Convert the seed's Web-API-like opportunity (``_x_value`` lookups, ``customerid_type``,
    ``transactioncurrency``) into a stored row."""
    row: dict[str, Any] = {"opportunityid": raw["opportunityid"].lower()}
    for attr in entity.attributes.values():
        if attr.is_lookup:
            value = raw.get(f"_{attr.logical_name}_value")
            if value is None:
                row[attr.logical_name] = None
                continue
            target = raw.get(f"{attr.logical_name}_type") or (
                attr.targets[0] if attr.targets else ""
            )
            row[attr.logical_name] = Lookup(value.lower(), target)
        elif attr.logical_name in raw:
            row[attr.logical_name] = coerce_stored(attr, raw[attr.logical_name])
    code = raw.get("transactioncurrency") or state.org.currency
    row["transactioncurrencyid"] = Lookup(stable_id("currency", code), "transactioncurrency")
    row["versionnumber"] = state.next_version()
    return row


def coerce_stored(attr: AttributeDef, value: Any) -> Any:
    """A seed/JSON value in the stored representation (Decimal numbers, dates)."""
    if value is None:
        return None
    kind = attr.attribute_type
    if kind in ("Money", "Decimal", "Double"):
        return Decimal(str(value))
    if kind in ("Integer", "BigInt", "Picklist", "State", "Status"):
        return int(value)
    if kind == "DateTime" and isinstance(value, str):
        if attr.date_behavior == "DateOnly" or len(value) == 10:
            return date.fromisoformat(value[:10])
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    if kind == "Uniqueidentifier" and isinstance(value, str):
        return value.lower()
    return value


def load_org(seed: dict[str, Any], *, name: str, url: str) -> OrgState:
    """Build one org from the parsed seed file's ``dataverse`` section."""
    dataverse = seed["dataverse"]
    raw_org = next((o for o in dataverse["orgs"] if o["name"] == name), None)
    if raw_org is None:
        raise ValueError(f"the seed has no Dataverse org named {name!r}")
    org = OrgConfig(
        name=name,
        url=url.rstrip("/"),
        tenant_id=raw_org["tenant"].lower(),
        friendly_name=raw_org.get("friendly_name", name),
        lcid=int(raw_org.get("lcid", ENGLISH)),
        currency=raw_org.get("currency", "USD"),
        url_name=raw_org.get("url_name", name),
    )
    entities = fixed_entities()
    entities["opportunity"] = opportunity_from_seed(dataverse["metadata"]["opportunity"])
    entities["task"] = task_entity()
    entities.update(solution_entities())
    entities.update(variable_entities())
    users: dict[str, SystemUser] = {}
    for raw in dataverse.get("systemusers", []):
        privileges = dict(BASELINE_PRIVILEGES)
        privileges.update({k: Depth.parse(v) for k, v in raw.get("privileges", {}).items()})
        user = SystemUser(
            systemuserid=raw["systemuserid"].lower(),
            fullname=raw["fullname"],
            aad_object_id=_lower(raw.get("azureactivedirectoryobjectid")),
            application_id=_lower(raw.get("applicationid")),
            is_disabled=bool(raw.get("isdisabled", False)),
            privileges=privileges,
            field_security_profiles=list(raw.get("field_security_profiles", [])),
            business_unit_id=org.business_unit_id,
            ui_language=int(raw.get("uilanguageid", org.lcid)),
            locale=int(raw.get("localeid", raw.get("uilanguageid", org.lcid))),
        )
        users[user.systemuserid] = user
    profiles = {
        p["name"]: [
            FieldPermission(
                entity=perm["entity"],
                attribute=perm["attribute"],
                can_read=bool(perm.get("can_read", False)),
                can_update=bool(perm.get("can_update", False)),
                can_create=bool(perm.get("can_create", perm.get("can_update", False))),
            )
            for perm in p.get("permissions", [])
        ]
        for p in dataverse.get("field_security_profiles", [])
    }
    state = OrgState(
        org=org,
        entities=entities,
        users=users,
        rows={logical: {} for logical in entities},
        field_profiles=profiles,
    )
    _load_rows(state, dataverse)
    return state


def read_seed(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
