"""The simulator's control API under ``/_sim/`` (no authentication — a test and demo backdoor,
never part of Dataverse): faults, service protection limits, switches, the request log, users,
metadata changes and raw records."""

from __future__ import annotations

import base64
import time
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import Body, FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict

from devstack.dataverse.control_records import api_error, record_routes
from devstack.dataverse.errors import DataverseError
from devstack.dataverse.faults import FaultSettings
from devstack.dataverse.model import (
    Depth,
    attribute_from_seed,
)
from devstack.dataverse.protection import ProtectionSettings
from devstack.dataverse.records import json_value
from devstack.dataverse.simulator import Simulator
from devstack.dataverse.solution_package import read_package
from devstack.dataverse.solutions import apply_package

# AttributeTypeCode names (webapi/reference/attributetypecode).
KNOWN_ATTRIBUTE_TYPES = frozenset(
    {
        "Boolean",
        "Customer",
        "DateTime",
        "Decimal",
        "Double",
        "Integer",
        "Lookup",
        "Memo",
        "Money",
        "Owner",
        "PartyList",
        "Picklist",
        "State",
        "Status",
        "String",
        "Uniqueidentifier",
        "CalendarRules",
        "Virtual",
        "BigInt",
        "ManagedProperty",
        "EntityName",
    }
)


class ConfigBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    closed_opportunity_updates: Literal["reject", "allow"]


class UserSettingsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    uilanguageid: Literal[1033, 1031] | None = None
    localeid: Literal[1033, 1031] | None = None
    isdisabled: bool | None = None
    privileges: dict[str, str] | None = None
    field_security_profiles: list[str] | None = None


def register_control(app: FastAPI, sim: Simulator) -> None:
    """Adds the ``/_sim`` routes to ``app``."""
    _fault_routes(app, sim)
    _log_routes(app, sim)
    _switch_routes(app, sim)
    _metadata_routes(app, sim)
    _table_routes(app, sim)
    _solution_routes(app, sim)
    record_routes(app, sim)


def _fault_routes(app: FastAPI, sim: Simulator) -> None:
    """Health, scripted faults and the documented service protection limits."""

    @app.get("/_sim/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "orgs": {n: s.org.url for n, s in sim.states.items()}}

    @app.get("/_sim/faults")
    async def get_faults() -> dict[str, Any]:
        return sim.faults.settings.model_dump()

    @app.post("/_sim/faults")
    async def set_faults(settings: FaultSettings) -> dict[str, Any]:
        sim.faults.configure(settings)
        return settings.model_dump()

    @app.delete("/_sim/faults")
    async def clear_faults() -> dict[str, Any]:
        sim.faults.configure(FaultSettings())
        return sim.faults.settings.model_dump()

    @app.get("/_sim/limits")
    async def get_limits() -> dict[str, Any]:
        return sim.protection.settings.model_dump()

    @app.post("/_sim/limits")
    async def set_limits(settings: ProtectionSettings) -> dict[str, Any]:
        sim.protection.configure(settings)
        return settings.model_dump()

    @app.delete("/_sim/limits")
    async def reset_limits() -> dict[str, Any]:
        sim.protection.configure(ProtectionSettings())
        return sim.protection.settings.model_dump()


def _log_routes(app: FastAPI, sim: Simulator) -> None:
    """The request log and statistics."""

    @app.get("/_sim/requests")
    async def get_requests() -> dict[str, Any]:
        return {"requests": [entry.as_json() for entry in sim.log]}

    @app.delete("/_sim/requests")
    async def clear_requests() -> dict[str, Any]:
        sim.log.clear()
        sim.faults.reset_stats()
        return {"cleared": True}

    @app.get("/_sim/stats")
    async def stats() -> dict[str, Any]:
        by_user: dict[str, int] = {}
        for entry in sim.log:
            by_user[entry.user or ""] = by_user.get(entry.user or "", 0) + 1
        return {
            "max_in_flight": dict(sim.faults.max_in_flight),
            "in_flight": {u: n for u, n in sim.faults.in_flight.items() if n},
            "requests": len(sim.log),
            "requests_by_user": by_user,
            "throttled": dict(sim.faults.throttled),
            "protection": sim.protection.stats(time.monotonic()),
        }


def _switch_routes(app: FastAPI, sim: Simulator) -> None:
    """Switches, reset and per-user settings."""

    @app.get("/_sim/config")
    async def get_config() -> dict[str, Any]:
        return {"closed_opportunity_updates": sim.closed_opportunity_updates}

    @app.post("/_sim/config")
    async def set_config(body: ConfigBody) -> dict[str, Any]:
        sim.closed_opportunity_updates = body.closed_opportunity_updates
        return {"closed_opportunity_updates": sim.closed_opportunity_updates}

    @app.post("/_sim/reset")
    async def reset() -> dict[str, Any]:
        sim.reset()
        return {"reset": True}

    @app.post("/_sim/users/{systemuserid}")
    async def user_settings(
        systemuserid: str, body: UserSettingsBody, org: Annotated[str | None, Query()] = None
    ) -> Any:
        state = sim.state_named(org)
        user = state.users.get(systemuserid.lower())
        if user is None:
            return api_error(404, f"no systemuser {systemuserid}")
        if body.uilanguageid is not None:
            user.ui_language = body.uilanguageid
        if body.localeid is not None:
            user.locale = body.localeid
        if body.isdisabled is not None:
            user.is_disabled = body.isdisabled
            state.rows["systemuser"][user.systemuserid]["isdisabled"] = body.isdisabled
        if body.privileges is not None:
            try:
                parsed = {k: Depth.parse(v) for k, v in body.privileges.items()}
            except ValueError as exc:
                return api_error(400, str(exc))
            user.privileges.update(parsed)
        if body.field_security_profiles is not None:
            unknown = [p for p in body.field_security_profiles if p not in state.field_profiles]
            if unknown:
                return api_error(400, f"unknown field security profiles: {unknown}")
            user.field_security_profiles = list(body.field_security_profiles)
        return {
            "systemuserid": user.systemuserid,
            "uilanguageid": user.ui_language,
            "localeid": user.locale,
            "isdisabled": user.is_disabled,
            "privileges": {k: v.name for k, v in user.privileges.items()},
            "field_security_profiles": user.field_security_profiles,
        }


def _metadata_routes(app: FastAPI, sim: Simulator) -> None:
    """Schema changes "made by an admin in Dynamics"."""

    @app.post("/_sim/metadata/{entity_name}/attributes/{logical_name}")
    async def change_attribute(
        entity_name: str,
        logical_name: str,
        body: Annotated[dict[str, Any], Body()],
        org: Annotated[str | None, Query()] = None,
    ) -> Any:
        state = sim.state_named(org)
        entity = state.entities.get(entity_name)
        if entity is None:
            return api_error(404, f"no table {entity_name}")
        existing = entity.attributes.get(logical_name)
        merged: dict[str, Any] = {}
        if existing is not None:
            merged = attribute_as_seed(existing)
        merged.update(body)
        merged["LogicalName"] = logical_name
        if merged.get("AttributeType") not in KNOWN_ATTRIBUTE_TYPES:
            return api_error(
                400, f"AttributeType must be one of {', '.join(sorted(KNOWN_ATTRIBUTE_TYPES))}"
            )
        try:
            entity.attributes[logical_name] = attribute_from_seed(entity.logical_name, merged)
        except (KeyError, ValueError, TypeError, ArithmeticError) as exc:
            return api_error(
                400,
                f"invalid attribute definition ({type(exc).__name__}): check "
                "MinValue/MaxValue/Precision/MaxLength are numbers",
            )
        for row in state.rows[entity.logical_name].values():
            row.setdefault(logical_name, None)
        state.bump_metadata()
        return {"globalmetadataversion": str(state.metadata_version), "attribute": merged}

    @app.delete("/_sim/metadata/{entity_name}/attributes/{logical_name}")
    async def remove_attribute(
        entity_name: str, logical_name: str, org: Annotated[str | None, Query()] = None
    ) -> Any:
        state = sim.state_named(org)
        entity = state.entities.get(entity_name)
        if entity is None or logical_name not in entity.attributes:
            return api_error(404, f"no attribute {entity_name}.{logical_name}")
        if logical_name in (entity.primary_id, entity.primary_name):
            return api_error(400, "the primary id and name cannot be removed")
        del entity.attributes[logical_name]
        for row in state.rows[entity.logical_name].values():
            row.pop(logical_name, None)
        state.bump_metadata()
        return {"globalmetadataversion": str(state.metadata_version)}


def _table_routes(app: FastAPI, sim: Simulator) -> None:
    """Table definitions as a maker sees them."""

    @app.get("/_sim/metadata/{entity_name}")
    async def table_metadata(entity_name: str, org: Annotated[str | None, Query()] = None) -> Any:
        """Column definitions in the seed's format (what the demo CRM page needs to lay out a
        form: types and labels), like a maker browsing the table in Dynamics."""
        state = sim.state_named(org)
        entity = state.entities.get(entity_name)
        if entity is None:
            return api_error(404, f"no table {entity_name}")
        return {
            "LogicalName": entity.logical_name,
            "EntitySetName": entity.entity_set,
            "PrimaryIdAttribute": entity.primary_id,
            "PrimaryNameAttribute": entity.primary_name,
            "Attributes": [
                {"LogicalName": name, **attribute_as_seed(attr)}
                for name, attr in entity.attributes.items()
            ],
        }


def attribute_as_seed(attr: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "AttributeType": attr.attribute_type,
        "AttributeTypeName": attr.type_name,
        "DisplayName": dict(attr.labels),
        "IsValidForUpdate": attr.is_valid_for_update,
        "IsValidForCreate": attr.is_valid_for_create,
        "IsValidForRead": attr.is_valid_for_read,
        "IsSecured": attr.is_secured,
        "IsCustomAttribute": attr.is_custom,
        "RequiredLevel": attr.required_level,
    }
    for key, value in (
        ("MinValue", attr.min_value),
        ("MaxValue", attr.max_value),
        ("Precision", attr.precision),
        ("MaxLength", attr.max_length),
        ("DateTimeBehavior", attr.date_behavior),
    ):
        if value is not None:
            out[key] = json_value(value)
    if attr.targets:
        out["Targets"] = list(attr.targets)
    if attr.options:
        out["Options"] = [
            {"Value": o.value, **o.labels, **({"State": o.state} if o.state is not None else {})}
            for o in attr.options
        ]
    return out


def _solution_routes(app: FastAPI, sim: Simulator) -> None:
    """Solutions "imported by an admin in the maker portal" (``make run``), and what the demo CRM
    page lays out from them (the command, the form tab, the environment variable values)."""

    @app.post("/_sim/solutions/import")
    async def import_solution(request: Request, org: Annotated[str | None, Query()] = None) -> Any:
        state = sim.state_named(org)
        try:
            solution_id = apply_package(state, read_package(await request.body()))
        except DataverseError as exc:
            return JSONResponse(
                {"error": {"code": exc.code, "message": exc.message}}, status_code=exc.status
            )
        return {"solutionid": solution_id}

    @app.get("/_sim/webresources/{name}")
    async def web_resource(name: str, org: Annotated[str | None, Query()] = None) -> Response:
        """A web resource's content as Dynamics serves it under /WebResources/{name}."""
        state = sim.state_named(org)
        row = next((r for r in state.rows["webresource"].values() if r["name"] == name), None)
        if row is None:
            return api_error(404, f"no web resource {name}")
        return Response(base64.b64decode(row["content"]), media_type="text/javascript")

    @app.get("/_sim/solutions/ui")
    async def solution_ui(org: Annotated[str | None, Query()] = None) -> Any:
        state = sim.state_named(org)
        commands = [c for p in state.imported for c in p.commands]
        tabs = [t for p in state.imported for t in p.tabs]
        values = {
            row["schemaname"]: row["value"]
            for row in state.rows["environmentvariablevalue"].values()
        }
        variables = {
            row["schemaname"]: values.get(row["schemaname"], row["defaultvalue"])
            for row in state.rows["environmentvariabledefinition"].values()
        }
        return {
            "solutions": [
                {"uniquename": p.unique_name, "version": p.version, "managed": p.managed}
                for p in state.imported
            ],
            "command": asdict(commands[-1]) if commands else None,
            "tab": asdict(tabs[-1]) if tabs else None,
            "columns": [a["LogicalName"] for p in state.imported for a in p.attributes],
            # Script web resources (type 3) of the imported solutions, in import order.
            "scripts": [
                w.name for p in state.imported for w in p.web_resources if w.type_code == 3
            ],
            "environment_variables": variables,
        }
