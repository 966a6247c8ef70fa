"""Fakes for gateway unit tests: a recording MockTransport, a fake clock and callers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from shared.adapters.dataverse import DataverseGateway, RetryPolicy
from shared.adapters.wire import HttpxWire
from shared.domain.crm import CrmCaller
from shared.domain.orgs import CrmOrg

TENANT = "c0a7b2e1-5d4f-4c8a-9e21-3b6f0d9a1c01"
ORG = CrmOrg(tenant_id=TENANT, name="contoso", url="https://contoso.crm4.example")
OPP = "0aa00000-0000-4000-8000-000000000001"
USER = "5e000000-0000-4000-8000-000000000001"

Handler = Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response]]


def caller(
    key: str = f"{TENANT}:anna",
    *,
    impersonate: str | None = None,
    refresh: Callable[[str], Awaitable[str]] | None = None,
    budget: float | None = None,
) -> CrmCaller:
    async def token(resource: str) -> str:
        return f"token-for-{resource}"

    return CrmCaller(
        key=key,
        token=token,
        impersonate_object_id=impersonate,
        refresh=refresh,
        budget_seconds=budget,
    )


def json_response(
    status: int, payload: Any, headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.Response(
        status,
        content=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json; odata.metadata=minimal", **(headers or {})},
    )


def error(
    status: int,
    code: str,
    message: str = "",
    headers: dict[str, str] | None = None,
    **annotations: str,
) -> httpx.Response:
    body: dict[str, Any] = {"code": code, "message": message or f"error {code}"}
    body.update({f"@Microsoft.PowerApps.CDS.ErrorDetails.{k}": v for k, v in annotations.items()})
    return json_response(status, {"error": body}, headers)


@dataclass
class FakeClock:
    """Monotonic seconds that only move when someone sleeps."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@dataclass
class Recorder:
    """A MockTransport handler that records requests (and the fake time they arrived)."""

    handler: Handler
    clock: FakeClock | None = None
    requests: list[httpx.Request] = field(default_factory=list)
    times: list[float] = field(default_factory=list)

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.times.append(self.clock() if self.clock else 0.0)
        result = self.handler(request)
        if isinstance(result, httpx.Response):
            return result
        return await result


def make_gateway(
    handler: Handler,
    *,
    clock: FakeClock | None = None,
    policy: RetryPolicy | None = None,
    ttl: float = 600.0,
) -> tuple[DataverseGateway, Recorder, FakeClock]:
    clock = clock or FakeClock()
    recorder = Recorder(handler, clock)
    policy = policy or RetryPolicy(sleep=clock.sleep, rand=lambda: 0.5)
    client = httpx.AsyncClient(transport=httpx.MockTransport(recorder), timeout=10.0)
    gateway = DataverseGateway(wire=HttpxWire(client), policy=policy, metadata_ttl=ttl, clock=clock)
    return gateway, recorder, clock


def opportunity_row(**overrides: Any) -> dict[str, Any]:
    fv = "@OData.Community.Display.V1.FormattedValue"
    ln = "@Microsoft.Dynamics.CRM.lookuplogicalname"
    row: dict[str, Any] = {
        "@odata.etag": 'W/"1000021"',
        "name": "CRM rollout 2027",
        f"closeprobability{fv}": "20",
        "closeprobability": 20,
        f"estimatedvalue{fv}": "€120,000.00",
        "estimatedvalue": 120000.5,
        f"estimatedclosedate{fv}": "3/31/2027",
        "estimatedclosedate": "2027-03-31",
        f"statecode{fv}": "Open",
        "statecode": 0,
        f"statuscode{fv}": "In Progress",
        "statuscode": 1,
        f"salesstage{fv}": "Qualify",
        "salesstage": 0,
        "stepname": "1-Qualify",
        f"_customerid_value{fv}": "Contoso Pharmaceuticals",
        f"_customerid_value{ln}": "account",
        "_customerid_value": "acc00000-0000-4000-8000-000000000001",
        f"_parentaccountid_value{fv}": "Contoso Pharmaceuticals",
        f"_parentaccountid_value{ln}": "account",
        "_parentaccountid_value": "acc00000-0000-4000-8000-000000000001",
        f"_ownerid_value{fv}": "Anna Adams",
        f"_ownerid_value{ln}": "systemuser",
        "_ownerid_value": USER,
        "opportunityid": OPP,
        "parentaccountid": {
            "@odata.etag": 'W/"1000005"',
            "name": "Contoso Pharmaceuticals",
            "accountid": "acc00000-0000-4000-8000-000000000001",
        },
    }
    row.update(overrides)
    return row


def collection(rows: list[dict[str, Any]], version: str | None = "5000000") -> httpx.Response:
    payload: dict[str, Any] = {"@odata.context": f"{ORG.url}/api/data/v9.2/$metadata#opportunities"}
    if version is not None:
        payload["@Microsoft.Dynamics.CRM.globalmetadataversion"] = version
    payload["value"] = rows
    return json_response(200, payload)
