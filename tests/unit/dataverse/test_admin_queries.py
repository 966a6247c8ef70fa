"""The admin console's Dataverse reads against a recording transport: request shapes, paging by
@odata.nextLink (one request per page, the Prefer header on every page, never another host), the
installed solution and the application user."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import httpx
import pytest

from shared.adapters.dataverse import RetryPolicy
from shared.adapters.dataverse.admin_queries import DataverseAdminGateway
from shared.adapters.wire import HttpxWire
from shared.domain.crm import OpportunityState
from shared.domain.errors import CrmRejected
from tests.unit.dataverse.helpers import ORG, FakeClock, Recorder, caller, json_response

API = f"{ORG.url}/api/data/v9.2/"
COOKIE = "%3Ccookie%20pagenumber=%222%22%20pagingcookie=%22%253ccookie%2520page%253d%25221%2522%253e%22%20/%3E"


def gateway(handler) -> tuple[DataverseAdminGateway, Recorder]:
    clock = FakeClock()
    recorder = Recorder(handler, clock)
    client = httpx.AsyncClient(transport=httpx.MockTransport(recorder), timeout=10.0)
    policy = RetryPolicy(sleep=clock.sleep, rand=lambda: 0.5)
    return DataverseAdminGateway(wire=HttpxWire(client), policy=policy, clock=clock), recorder


def page(rows: list[dict], next_link: str | None = None) -> httpx.Response:
    body: dict = {"value": rows}
    if next_link:
        body["@odata.nextLink"] = next_link
    return json_response(200, body)


def row(n: int, state: int = 0, **values) -> dict:
    return {"opportunityid": f"0AA00000-0000-4000-8000-{n:012d}", "statecode": state, **values}


async def test_pages_are_followed_one_request_each() -> None:
    first = (
        f"{API}opportunities?$select=opportunityid,statecode,actualclosedate&$filter=statecode ne 0"
    )

    def handler(request: httpx.Request) -> httpx.Response:
        if "$skiptoken" not in str(request.url):
            return page(
                [row(1, 1, actualclosedate="2026-03-31")],
                f"{first.replace(' ', '%20')}&$skiptoken={COOKIE}",
            )
        return page([row(2, 2, actualclosedate=None)])

    admin, recorder = gateway(handler)
    pages = [
        p
        async for p in admin.opportunity_pages(
            org=ORG, caller=caller(), closed_only=True, close_date=True
        )
    ]
    assert [[r.id for r in p] for p in pages] == [
        ["0aa00000-0000-4000-8000-000000000001"],
        ["0aa00000-0000-4000-8000-000000000002"],
    ]
    assert (pages[0][0].state, pages[0][0].close_date) == (OpportunityState.WON, date(2026, 3, 31))
    assert pages[1][0].state is OpportunityState.LOST
    assert len(recorder.requests) == 2
    assert {r.headers["Prefer"] for r in recorder.requests} == {"odata.maxpagesize=5000"}
    # The link's own encoding survives the round trip (the cookie is encoded once more inside).
    assert str(recorder.requests[1].url).endswith(COOKIE)


async def test_numeric_columns_come_back_exact() -> None:
    admin, recorder = gateway(lambda r: page([row(1, cockpit_score=56.5)]))
    [rows] = [
        p async for p in admin.opportunity_pages(org=ORG, caller=caller(), fields=["cockpit_score"])
    ]
    assert rows[0].values == {"cockpit_score": Decimal("56.5")}
    assert "$select=opportunityid,statecode,cockpit_score" in str(recorder.requests[0].url)
    assert "$filter" not in str(recorder.requests[0].url)


async def test_a_next_link_to_another_host_is_never_followed() -> None:
    admin, recorder = gateway(
        lambda r: page([], "https://evil.example/api/data/v9.2/opportunities")
    )
    with pytest.raises(CrmRejected):
        async for _ in admin.opportunity_pages(org=ORG, caller=caller()):
            pass
    assert len(recorder.requests) == 1


async def test_the_installed_solution_and_the_application_user() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if "solutions" in str(request.url):
            return page(
                [{"uniquename": "OpportunityCockpit", "version": "1.2.0.0", "ismanaged": True}]
            )
        return page([{"systemuserid": "5e000000-0000-4000-8000-000000000009", "isdisabled": True}])

    admin, recorder = gateway(handler)
    found = await admin.installed_solution(
        org=ORG, unique_name="OpportunityCockpit", caller=caller()
    )
    assert found is not None and (found.version, found.managed) == ("1.2.0.0", True)
    user = await admin.application_user(
        org=ORG, app_id="5C0C4B1E-9D2A-4F6E-8B3C-7A1D2E3F4A05", caller=caller()
    )
    assert user is not None and user.disabled
    urls = [httpx.URL(str(r.url)) for r in recorder.requests]
    assert urls[0].params["$filter"] == "uniquename eq 'OpportunityCockpit'"
    assert urls[1].params["$filter"] == "applicationid eq 5c0c4b1e-9d2a-4f6e-8b3c-7a1d2e3f4a05"
    empty, _ = gateway(lambda r: page([]))
    assert (
        await empty.installed_solution(org=ORG, unique_name="OpportunityCockpit", caller=caller())
        is None
    )
