"""The control API's backdoor to rows: what the demo CRM page reads (names resolved, no security)
and what tests use to change or bulk-insert rows "as someone in Dynamics" — never part of
Dataverse."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Body, FastAPI, Query
from fastapi.responses import JSONResponse

from devstack.dataverse import errors
from devstack.dataverse.changes import coerce_input
from devstack.dataverse.errors import DataverseError
from devstack.dataverse.model import EntityDef, Lookup, OrgState, stable_id
from devstack.dataverse.odata import GUID_RE
from devstack.dataverse.records import json_value
from devstack.dataverse.simulator import Simulator


def api_error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _raw_record(state: OrgState, entity: EntityDef, row: dict[str, Any]) -> dict[str, Any]:
    """A row with names resolved: what the demo CRM page shows (no security, no formatting)."""
    out: dict[str, Any] = {"@odata.etag": f'W/"{row["versionnumber"]}"'}
    for attr in entity.attributes.values():
        value = row.get(attr.logical_name)
        out[attr.property_name] = json_value(value)
        if isinstance(value, Lookup):
            out[f"{attr.logical_name}_name"] = state.primary_name(value.entity, value.id)
            out[f"{attr.logical_name}_type"] = value.entity
    if entity.logical_name == "opportunity":
        # The short names the demo CRM page reads (account, customer, owner, currency code).
        out["account_name"] = out.get("parentaccountid_name")
        out["customer_name"] = out.get("customerid_name")
        out["owner_name"] = out.get("ownerid_name")
        out["transactioncurrency"] = out.get("transactioncurrencyid_name")
    return out


def record_routes(app: FastAPI, sim: Simulator) -> None:
    """The backdoor to rows: list, read, change, delete and bulk-insert."""
    _insert_route(app, sim)
    _row_routes(app, sim)


def _insert_route(app: FastAPI, sim: Simulator) -> None:
    @app.post("/_sim/records/{entity_set}")
    async def insert_records(
        entity_set: str,
        body: Annotated[dict[str, Any], Body()],
        org: Annotated[str | None, Query()] = None,
    ) -> Any:
        """Bulk-insert rows in the seed's format (``{"rows": [...]}``), as a data import in
        Dynamics would: for tests that need thousands of rows in bounded time."""
        state = sim.state_named(org)
        entity = state.entity_by_set(entity_set)
        rows = body.get("rows")
        if entity is None or not isinstance(rows, list):
            return api_error(400, "POST /_sim/records/{set} needs a known set and {'rows': [...]}")
        try:
            created = [_insert_row(state, entity, raw) for raw in rows]
        except DataverseError as exc:
            return api_error(400, exc.message)
        return {"inserted": len(created)}


def _row_routes(app: FastAPI, sim: Simulator) -> None:
    """Raw rows for the demo CRM page and tests."""

    # Simulator-only backdoor for the demo CRM page and tests: raw rows, no authentication. Real
    # Dataverse has nothing like it.
    @app.get("/_sim/records/{entity_set}")
    async def list_records(entity_set: str, org: Annotated[str | None, Query()] = None) -> Any:
        state = sim.state_named(org)
        entity = state.entity_by_set(entity_set)
        if entity is None:
            return api_error(404, f"no entity set {entity_set}")
        rows = state.rows[entity.logical_name].values()
        return {"value": [_raw_record(state, entity, row) for row in rows]}

    @app.get("/_sim/records/{entity_set}/{record_id}")
    async def get_record(
        entity_set: str, record_id: str, org: Annotated[str | None, Query()] = None
    ) -> Any:
        state = sim.state_named(org)
        entity = state.entity_by_set(entity_set)
        row = state.rows[entity.logical_name].get(record_id.lower()) if entity else None
        if entity is None or row is None:
            return api_error(404, f"no {entity_set} row {record_id}")
        return _raw_record(state, entity, row)

    @app.patch("/_sim/records/{entity_set}/{record_id}")
    async def patch_record(
        entity_set: str,
        record_id: str,
        body: Annotated[dict[str, Any], Body()],
        org: Annotated[str | None, Query()] = None,
    ) -> Any:
        """Change a row as "someone in Dynamics" would: no security, bumps the row version."""
        state = sim.state_named(org)
        entity = state.entity_by_set(entity_set)
        row = state.rows[entity.logical_name].get(record_id.lower()) if entity else None
        if entity is None or row is None:
            return api_error(404, f"no {entity_set} row {record_id}")
        try:
            changes = _backdoor_changes(state, entity, body)
        except DataverseError as exc:
            return api_error(400, exc.message)
        row.update(changes)
        row["versionnumber"] = state.next_version()
        return _raw_record(state, entity, row)

    @app.delete("/_sim/records/{entity_set}/{record_id}")
    async def delete_record(
        entity_set: str, record_id: str, org: Annotated[str | None, Query()] = None
    ) -> Any:
        state = sim.state_named(org)
        entity = state.entity_by_set(entity_set)
        if entity is None or state.rows[entity.logical_name].pop(record_id.lower(), None) is None:
            return api_error(404, f"no {entity_set} row {record_id}")
        return {"deleted": record_id.lower()}


def _backdoor_changes(state: OrgState, entity: EntityDef, body: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for key, value in body.items():
        attr = entity.by_property(key) or entity.attributes.get(key)
        if attr is None:
            raise errors.bad_request(f"unknown column {key}")
        if attr.is_lookup:
            if value is None:
                changes[attr.logical_name] = None
                continue
            if not isinstance(value, str) or not GUID_RE.match(value):
                raise errors.bad_request(f"{key} needs a GUID")
            target = body.get(f"{attr.logical_name}_type") or (
                attr.targets[0] if attr.targets else ""
            )
            changes[attr.logical_name] = Lookup(value.lower(), target)
            continue
        if isinstance(value, float):
            value = Decimal(str(value))
        changes[attr.logical_name] = coerce_input(entity, attr, value)
    return changes


def _insert_row(state: OrgState, entity: EntityDef, raw: dict[str, Any]) -> str:
    if not isinstance(raw, dict):
        raise errors.bad_request("each row must be a JSON object")
    rid = str(raw.get(entity.primary_id) or uuid.uuid4()).lower()
    if not GUID_RE.match(rid) or rid in state.rows[entity.logical_name]:
        raise errors.bad_request(f"row id {rid} is not a new GUID")
    row: dict[str, Any] = {name: None for name in entity.attributes}
    row.update(
        _backdoor_changes(state, entity, {k: v for k, v in raw.items() if k != entity.primary_id})
    )
    row[entity.primary_id] = rid
    if "transactioncurrencyid" in entity.attributes and row.get("transactioncurrencyid") is None:
        code = state.org.currency
        row["transactioncurrencyid"] = Lookup(stable_id("currency", code), "transactioncurrency")
    if "statecode" in entity.attributes and row.get("statecode") is None:
        row["statecode"] = 0
    row["versionnumber"] = state.next_version()
    state.rows[entity.logical_name][rid] = row
    return rid
