"""The Dataverse simulator as an ASGI app: the Web API under ``/api/data/v9.x/`` and a control API
under ``/_sim/`` (no authentication — it is a test and demo backdoor, never part of Dataverse).

Per request on ``/api/data``: authenticate the bearer token (auth.py) → resolve the systemuser and
any ``CallerObjectId`` impersonation → count it in flight for that user → apply scripted faults
(faults.py) → route (api.py) → log it. See README.md for every endpoint.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlsplit

import httpx
from fastapi import Body, FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from devstack.dataverse import errors
from devstack.dataverse.api import ApiRequest, ApiResponse, WebApi, error_response
from devstack.dataverse.auth import JwksCache, TokenError, TokenVerifier, www_authenticate
from devstack.dataverse.errors import DataverseError
from devstack.dataverse.faults import FaultInjector, FaultSettings, LogEntry
from devstack.dataverse.model import (
    Depth,
    EntityDef,
    Lookup,
    OrgState,
    attribute_from_seed,
    load_org,
    read_seed,
)
from devstack.dataverse.odata import GUID_RE, parse_prefer
from devstack.dataverse.records import coerce_input, json_value
from devstack.dataverse.security import Principal

logger = logging.getLogger("devstack.dataverse")

API_VERSIONS = ("v9.0", "v9.1", "v9.2")
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
MAX_LOG = 200_000


@dataclass
class SimConfig:
    """What the CLI (or a test) configures: the seed, the orgs (name → URL) and where to find the
    Entra ID simulator's signing keys."""

    seed_path: Path
    orgs: dict[str, str]
    entra_url: str
    ca_file: Path | None = None
    # Tests may inject the JWKS source; by default it is fetched from the Entra simulator.
    jwks_fetch: Callable[[], Awaitable[dict[str, Any]]] | None = None
    leeway_seconds: float = 0.0


class Simulator:
    """All mutable simulator state: orgs, faults, switches and the request log."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.faults = FaultInjector()
        self.log: list[LogEntry] = []
        self._seq = 0
        self.closed_opportunity_updates = "reject"
        self.states: dict[str, OrgState] = {}
        self._http: httpx.AsyncClient | None = None
        self.jwks = JwksCache(config.jwks_fetch or self._fetch_jwks)
        self.verifier = TokenVerifier(self.jwks, leeway_seconds=config.leeway_seconds)
        self.reload()

    def reload(self) -> None:
        seed = read_seed(self.config.seed_path)
        self.states = {
            name: load_org(seed, name=name, url=url) for name, url in self.config.orgs.items()
        }

    def reset(self) -> None:
        self.reload()
        self.faults = FaultInjector()
        self.log.clear()
        self.closed_opportunity_updates = "reject"

    async def _fetch_jwks(self) -> dict[str, Any]:
        if self._http is None:
            verify: ssl.SSLContext | bool = True
            if self.config.ca_file is not None:
                verify = ssl.create_default_context(cafile=str(self.config.ca_file))
            self._http = httpx.AsyncClient(verify=verify, timeout=10.0, trust_env=False)
        url = f"{self.config.entra_url.rstrip('/')}/common/discovery/keys"
        response = await self._http.get(url)
        response.raise_for_status()
        document: dict[str, Any] = response.json()
        return document

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def state_for_host(self, host: str) -> OrgState:
        for state in self.states.values():
            if urlsplit(state.org.url).netloc.lower() == host.lower():
                return state
        # One org on one port: any host name that reached us means that org.
        return next(iter(self.states.values()))

    def state_named(self, name: str | None) -> OrgState:
        if name is None:
            return next(iter(self.states.values()))
        if name not in self.states:
            raise HTTPException(404, f"no org named {name!r}; orgs: {', '.join(self.states)}")
        return self.states[name]

    async def authenticate(self, state: OrgState, request: Request) -> Principal:
        challenge = www_authenticate(
            entra_url=self.config.entra_url, tenant_id=state.org.tenant_id, org_url=state.org.url
        )
        unauthorized = DataverseError(
            401, "", "", headers={"WWW-Authenticate": challenge}, empty_body=True
        )
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorized
        try:
            access = await self.verifier.verify(
                token.strip(), audience=state.org.url, tenant_id=state.org.tenant_id
            )
        except TokenError as exc:
            logger.info("401: %s", exc)  # the reason only; never the token
            raise unauthorized from exc
        except httpx.HTTPError as exc:
            logger.warning("cannot fetch the Entra signing keys: %s", exc)
            raise unauthorized from exc
        if access.delegated:
            user = state.user_by_aad(access.object_id or "")
        else:
            user = state.user_by_app(access.app_id or "")
        if user is None:
            raise DataverseError(
                403, errors.USER_NOT_IN_ORG, "The user is not a member of the organization."
            )
        if user.is_disabled:
            raise _disabled(user.systemuserid, state)
        caller_object_id = request.headers.get("callerobjectid")
        legacy_caller = request.headers.get("mscrmcallerid")
        if not caller_object_id and not legacy_caller:
            return Principal(user, user)
        # Impersonation needs prvActOnBehalfOfAnotherUser (impersonate-another-user-web-api.md);
        # without it: CannotActOnBehalfOfAnotherUser 0x8004A110, 403 (compose-http-requests…).
        if user.privileges.get("prvActOnBehalfOfAnotherUser", Depth.NONE) == Depth.NONE:
            raise DataverseError(
                403,
                errors.CANNOT_ACT_ON_BEHALF,
                "User does not have the privilege to act on behalf another user.",
            )
        if caller_object_id:
            target = state.user_by_aad(caller_object_id.strip())
        else:
            target = state.users.get((legacy_caller or "").strip().lower())
        if target is None:
            # The docs do not show this case; an unknown impersonated user is treated like an
            # unknown caller.
            raise DataverseError(
                403, errors.USER_NOT_IN_ORG, "The user is not a member of the organization."
            )
        if target.is_disabled:
            raise _disabled(target.systemuserid, state)
        return Principal(target, user)


def _disabled(systemuserid: str, state: OrgState) -> DataverseError:
    # Message from troubleshoot/power-platform/power-apps/dataverse/dataverse-plug-ins-errors.
    return DataverseError(
        403,
        errors.USER_DISABLED,
        f"The user with SystemUserId={systemuserid} in OrganizationContext={state.org.organization_id} "
        "is disabled. Disabled users cannot access the system. Consider enabling this user. Also, "
        "users are disabled if they don't have a license assigned to them.",
    )


# --- control API bodies -------------------------------------------------------------------------


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


def _api_error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def create_app(config: SimConfig) -> FastAPI:
    """The simulator app for ``config``."""
    sim = Simulator(config)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await sim.close()

    app = FastAPI(
        title="Dataverse Web API simulator", lifespan=lifespan, openapi_url=None, docs_url=None
    )
    app.state.sim = sim

    # --- control API ----------------------------------------------------------------------------

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
        }

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
            return _api_error(404, f"no systemuser {systemuserid}")
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
                return _api_error(400, str(exc))
            user.privileges.update(parsed)
        if body.field_security_profiles is not None:
            unknown = [p for p in body.field_security_profiles if p not in state.field_profiles]
            if unknown:
                return _api_error(400, f"unknown field security profiles: {unknown}")
            user.field_security_profiles = list(body.field_security_profiles)
        return {
            "systemuserid": user.systemuserid,
            "uilanguageid": user.ui_language,
            "localeid": user.locale,
            "isdisabled": user.is_disabled,
            "privileges": {k: v.name for k, v in user.privileges.items()},
            "field_security_profiles": user.field_security_profiles,
        }

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
            return _api_error(404, f"no table {entity_name}")
        existing = entity.attributes.get(logical_name)
        merged: dict[str, Any] = {}
        if existing is not None:
            merged = _attribute_as_seed(existing)
        merged.update(body)
        merged["LogicalName"] = logical_name
        if merged.get("AttributeType") not in KNOWN_ATTRIBUTE_TYPES:
            return _api_error(
                400, f"AttributeType must be one of {', '.join(sorted(KNOWN_ATTRIBUTE_TYPES))}"
            )
        try:
            entity.attributes[logical_name] = attribute_from_seed(entity.logical_name, merged)
        except (KeyError, ValueError, TypeError, ArithmeticError) as exc:
            return _api_error(
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
            return _api_error(404, f"no attribute {entity_name}.{logical_name}")
        if logical_name in (entity.primary_id, entity.primary_name):
            return _api_error(400, "the primary id and name cannot be removed")
        del entity.attributes[logical_name]
        for row in state.rows[entity.logical_name].values():
            row.pop(logical_name, None)
        state.bump_metadata()
        return {"globalmetadataversion": str(state.metadata_version)}

    # Simulator-only backdoor for the demo CRM page and tests: raw rows, no authentication. Real
    # Dataverse has nothing like it.
    @app.get("/_sim/records/{entity_set}")
    async def list_records(entity_set: str, org: Annotated[str | None, Query()] = None) -> Any:
        state = sim.state_named(org)
        entity = state.entity_by_set(entity_set)
        if entity is None:
            return _api_error(404, f"no entity set {entity_set}")
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
            return _api_error(404, f"no {entity_set} row {record_id}")
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
            return _api_error(404, f"no {entity_set} row {record_id}")
        try:
            changes = _backdoor_changes(state, entity, body)
        except DataverseError as exc:
            return _api_error(400, exc.message)
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
            return _api_error(404, f"no {entity_set} row {record_id}")
        return {"deleted": record_id.lower()}

    # --- the Web API ----------------------------------------------------------------------------

    @app.api_route(
        "/api/data/{version}/{path:path}", methods=["GET", "POST", "PATCH", "PUT", "DELETE"]
    )
    async def web_api(request: Request, version: str, path: str) -> Response:
        return await _serve_api(sim, request, version, path)

    return app


def _attribute_as_seed(attr: Any) -> dict[str, Any]:
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


async def _serve_api(sim: Simulator, request: Request, version: str, path: str) -> Response:
    start = time.monotonic()
    state = sim.state_for_host(request.headers.get("host", ""))
    query = request.url.query
    entry = LogEntry(
        seq=sim.next_seq(),
        user=None,
        method=request.method,
        path=request.url.path + (f"?{query}" if query else ""),
        start=start,
        end=None,
        in_flight_at_start=0,
        client_request_id=request.headers.get("x-ms-client-request-id"),
        caller_object_id=request.headers.get("callerobjectid"),
    )
    sim.log.append(entry)
    if len(sim.log) > MAX_LOG:
        del sim.log[: len(sim.log) - MAX_LOG]
    user_key: str | None = None
    prefer = request.headers.getlist("prefer")
    try:
        if version not in API_VERSIONS:
            raise errors.segment_not_found(version)
        principal = await sim.authenticate(state, request)
        user_key = principal.caller.key
        entry.user = user_key
        entry.in_flight_at_start = sim.faults.enter(user_key)
        fault = sim.faults.decide(user_key, in_flight=entry.in_flight_at_start, now=start)
        if fault is not None:
            raise fault  # service-protection and outage answers come back at once
        latency = sim.faults.settings.latency_ms
        if latency:
            await asyncio.sleep(latency / 1000)
        body = await request.body()
        api_request = ApiRequest(
            method=request.method,
            path=path,
            query=parse_qsl(query, keep_blank_values=True),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
            prefer=prefer,
        )
        api = WebApi(state, principal, closed_opportunity_updates=sim.closed_opportunity_updates)
        response: ApiResponse = api.handle(api_request)
    except DataverseError as error:
        try:
            prefs = parse_prefer(prefer)
        except DataverseError:
            prefs = None
        response = error_response(error, prefs)
    finally:
        # Leave before the response is written: the client cannot see the answer (and send the
        # next request in its slot) before this request stops counting as in flight.
        if user_key is not None:
            sim.faults.leave(user_key)
        entry.end = time.monotonic()
    entry.status = response.status
    entry.code = response.code
    retry_after = next((v for k, v in response.headers if k.lower() == "retry-after"), None)
    entry.retry_after = int(retry_after) if retry_after is not None else None
    headers = dict(response.headers)
    return Response(content=response.body or b"", status_code=response.status, headers=headers)


__all__ = ["SimConfig", "Simulator", "create_app"]
