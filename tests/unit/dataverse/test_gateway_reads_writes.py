"""DataverseGateway request shapes and mapping, over httpx.MockTransport."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest

from shared.domain.crm import FieldUpdate, OpportunityState
from shared.domain.errors import (
    CrmAccessDenied,
    CrmRecordNotFound,
    InvalidInput,
    ReauthRequired,
)
from tests.unit.dataverse.helpers import (
    OPP,
    ORG,
    caller,
    collection,
    error,
    make_gateway,
    opportunity_row,
)

BEN_OPP = "0aa00000-0000-4000-8000-000000000003"


def query_of(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(str(request.url)).query).items()}


async def test_cockpit_read_is_one_request_with_select_expand_and_annotations() -> None:
    gateway, recorder, _ = make_gateway(lambda r: collection([opportunity_row()]))

    opp = await gateway.get_opportunity(org=ORG, opportunity_id=OPP, caller=caller())

    assert len(recorder.requests) == 1
    request = recorder.requests[0]
    assert request.method == "GET"
    assert unquote(request.url.path) == "/api/data/v9.2/opportunities"
    query = query_of(request)
    assert query["$select"].split(",")[:3] == ["name", "closeprobability", "estimatedvalue"]
    assert "_ownerid_value" in query["$select"].split(",")
    assert query["$expand"] == "parentaccountid($select=name)"
    assert query["$filter"] == f"opportunityid eq {OPP}"
    headers = request.headers
    assert headers["Authorization"] == f"Bearer token-for-{ORG.url}"
    assert headers["OData-MaxVersion"] == "4.0" and headers["OData-Version"] == "4.0"
    assert headers["If-None-Match"] == "null"
    assert headers["Accept"] == "application/json"
    assert "OData.Community.Display.V1.FormattedValue" in headers["Prefer"]
    assert "Microsoft.Dynamics.CRM.globalmetadataversion" in headers["Prefer"]
    assert "CallerObjectId" not in headers

    assert opp.id == OPP
    assert opp.name == "CRM rollout 2027"
    assert opp.state is OpportunityState.OPEN
    assert opp.status_display == "In Progress"
    assert opp.account_name == "Contoso Pharmaceuticals"
    assert opp.customer_name == "Contoso Pharmaceuticals"
    assert opp.owner_name == "Anna Adams"
    assert opp.estimated_value == Decimal("120000.5")
    assert opp.estimated_value_display == "€120,000.00"
    assert opp.estimated_close_date == date(2027, 3, 31)
    assert opp.estimated_close_date_display == "3/31/2027"
    assert opp.sales_stage_display == "Qualify"
    assert opp.pipeline_phase == "1-Qualify"
    assert opp.probability == 20
    assert opp.etag == 'W/"1000021"'
    assert opp.metadata_version == "5000000"
    assert opp.extra_values == {}


async def test_extra_fields_are_selected_once_and_returned_as_exact_decimals() -> None:
    row = opportunity_row(cockpit_winprobability=12.35, cockpit_securedscore=None)
    gateway, recorder, _ = make_gateway(lambda r: collection([row]))

    opp = await gateway.get_opportunity(
        org=ORG,
        opportunity_id=OPP.upper(),
        caller=caller(),
        extra_fields=[
            "cockpit_winprobability",
            "cockpit_securedscore",
            "closeprobability",
            "cockpit_winprobability",
        ],
    )

    select = query_of(recorder.requests[0])["$select"].split(",")
    assert select.count("cockpit_winprobability") == 1 and select.count("closeprobability") == 1
    assert opp.extra_values == {
        "cockpit_winprobability": Decimal("12.35"),
        "cockpit_securedscore": None,
    }


@pytest.mark.parametrize("state, expected", [(1, OpportunityState.WON), (2, OpportunityState.LOST)])
async def test_state_comes_from_statecode(state: int, expected: OpportunityState) -> None:
    gateway, _, _ = make_gateway(lambda r: collection([opportunity_row(statecode=state)]))
    opp = await gateway.get_opportunity(org=ORG, opportunity_id=OPP, caller=caller())
    assert opp.state is expected and opp.state.closed


@pytest.mark.parametrize(
    "follow_up, expected",
    [
        (
            error(404, "0x80040217", f"opportunity With Id = {OPP} Does Not Exist"),
            CrmRecordNotFound,
        ),
        (
            error(403, "0x80048306", "Principal with id = … does not have ReadAccess"),
            CrmAccessDenied,
        ),
    ],
)
async def test_empty_query_is_explained_by_one_retrieve(
    follow_up: httpx.Response, expected: type
) -> None:
    answers = iter([collection([]), follow_up])
    gateway, recorder, _ = make_gateway(lambda r: next(answers))

    with pytest.raises(expected):
        await gateway.get_opportunity(org=ORG, opportunity_id=OPP, caller=caller())

    assert len(recorder.requests) == 2
    assert unquote(recorder.requests[1].url.path) == f"/api/data/v9.2/opportunities({OPP})"


@pytest.mark.parametrize("bad", ["not-a-guid", "", "0aa00000-0000-4000-8000-00000000000Z"])
async def test_bad_ids_are_refused_before_any_request(bad: str) -> None:
    gateway, recorder, _ = make_gateway(lambda r: collection([]))
    with pytest.raises(InvalidInput):
        await gateway.get_opportunity(org=ORG, opportunity_id=bad, caller=caller())
    with pytest.raises(InvalidInput):
        await gateway.write_number(
            org=ORG, opportunity_id=bad, field="closeprobability", value=1, caller=caller()
        )
    assert recorder.requests == []


@pytest.mark.parametrize("field", ["Name", "x;drop", "a b", "_ownerid_value)", ""])
async def test_bad_column_names_are_refused(field: str) -> None:
    gateway, recorder, _ = make_gateway(lambda r: collection([]))
    with pytest.raises(InvalidInput):
        await gateway.get_opportunity(
            org=ORG, opportunity_id=OPP, caller=caller(), extra_fields=[field]
        )
    with pytest.raises(InvalidInput):
        await gateway.write_number(
            org=ORG, opportunity_id=OPP, field=field, value=1, caller=caller()
        )
    assert recorder.requests == []


@pytest.mark.parametrize(
    "value, literal",
    [
        (55, "55"),
        (Decimal("12.345"), "12.345"),
        (Decimal("1E+2"), "100"),
        (Decimal("0.1000000000000000000001"), "0.1000000000000000000001"),
        (0.5, "0.5"),
    ],
)
async def test_write_is_one_patch_with_if_match_star_and_exact_value(
    value: int | float | Decimal, literal: str
) -> None:
    gateway, recorder, _ = make_gateway(lambda r: httpx.Response(204))

    await gateway.write_number(
        org=ORG, opportunity_id=OPP, field="cockpit_winprobability", value=value, caller=caller()
    )

    assert len(recorder.requests) == 1
    request = recorder.requests[0]
    assert request.method == "PATCH"
    assert unquote(request.url.path) == f"/api/data/v9.2/opportunities({OPP})"
    assert request.headers["If-Match"] == "*"
    assert request.headers["Content-Type"].startswith("application/json")
    assert request.content.decode() == f'{{"cockpit_winprobability": {literal}}}'
    assert json.loads(request.content) is not None


async def test_write_with_etag_sends_it() -> None:
    gateway, recorder, _ = make_gateway(lambda r: httpx.Response(204))
    await gateway.write_number(
        org=ORG,
        opportunity_id=OPP,
        field="closeprobability",
        value=40,
        caller=caller(),
        etag='W/"777"',
    )
    assert recorder.requests[0].headers["If-Match"] == 'W/"777"'


@pytest.mark.parametrize("value", [True, float("nan"), float("inf"), Decimal("NaN"), "12"])
async def test_write_refuses_non_numbers(value: Any) -> None:
    gateway, recorder, _ = make_gateway(lambda r: httpx.Response(204))
    with pytest.raises(InvalidInput):
        await gateway.write_number(
            org=ORG, opportunity_id=OPP, field="closeprobability", value=value, caller=caller()
        )
    assert recorder.requests == []


async def test_impersonation_sends_caller_object_id() -> None:
    gateway, recorder, _ = make_gateway(lambda r: httpx.Response(204))
    rep = "a11ce000-0000-4000-8000-000000000001"
    await gateway.write_number(
        org=ORG,
        opportunity_id=OPP,
        field="closeprobability",
        value=1,
        caller=caller("app", impersonate=rep),
    )
    assert recorder.requests[0].headers["CallerObjectId"] == rep


async def test_token_is_fetched_for_the_org_url_on_every_attempt() -> None:
    resources: list[str] = []

    async def token(resource: str) -> str:
        resources.append(resource)
        return f"t{len(resources)}"

    from shared.domain.crm import CrmCaller

    answers = iter([error(503, "0x80040216"), httpx.Response(204)])
    gateway, recorder, _ = make_gateway(lambda r: next(answers))
    await gateway.write_number(
        org=ORG,
        opportunity_id=OPP,
        field="closeprobability",
        value=1,
        caller=CrmCaller(key="k", token=token),
    )
    assert resources == [ORG.url, ORG.url]
    assert [r.headers["Authorization"] for r in recorder.requests] == ["Bearer t1", "Bearer t2"]
    # Both attempts carry the same correlation id.
    ids = {r.headers["x-ms-client-request-id"] for r in recorder.requests}
    assert len(ids) == 1


async def test_token_failures_propagate_without_a_request() -> None:
    async def token(resource: str) -> str:
        raise ReauthRequired("silent acquisition failed")

    from shared.domain.crm import CrmCaller

    gateway, recorder, _ = make_gateway(lambda r: httpx.Response(204))
    with pytest.raises(ReauthRequired):
        await gateway.who_am_i(org=ORG, caller=CrmCaller(key="k", token=token))
    assert recorder.requests == []


async def test_update_many_is_one_update_multiple_with_exact_decimals_merged_per_record() -> None:
    gateway, recorder, _ = make_gateway(lambda r: httpx.Response(204))
    await gateway.update_many(
        org=ORG,
        updates=[
            FieldUpdate(OPP, "cockpit_winprobability", Decimal("33.30")),
            FieldUpdate(OPP, "closeprobability", 33),
            FieldUpdate(BEN_OPP, "closeprobability", 10),
        ],
        caller=caller(),
    )
    assert len(recorder.requests) == 1
    request = recorder.requests[0]
    assert request.method == "POST"
    assert unquote(request.url.path).endswith(
        "/opportunities/Microsoft.Dynamics.CRM.UpdateMultiple"
    )
    text = request.content.decode()
    assert '"cockpit_winprobability": 33.30' in text
    body = json.loads(text)
    assert body["Targets"] == [
        {
            "@odata.type": "Microsoft.Dynamics.CRM.opportunity",
            "opportunityid": OPP,
            "cockpit_winprobability": 33.3,
            "closeprobability": 33,
        },
        {
            "@odata.type": "Microsoft.Dynamics.CRM.opportunity",
            "opportunityid": BEN_OPP,
            "closeprobability": 10,
        },
    ]


async def test_update_many_failure_is_a_domain_error() -> None:
    gateway, _, _ = make_gateway(lambda r: error(403, "0x80048306"))
    with pytest.raises(CrmAccessDenied):
        await gateway.update_many(
            org=ORG, updates=[FieldUpdate(OPP, "closeprobability", 1)], caller=caller()
        )


def test_the_gateway_implements_the_port() -> None:
    from shared.adapters.dataverse import DataverseGateway
    from shared.adapters.wire import HttpxWire
    from shared.ports import CrmGateway

    gateway: CrmGateway = DataverseGateway(wire=HttpxWire(httpx.AsyncClient()))  # checked by mypy
    assert isinstance(gateway, DataverseGateway)


async def test_update_many_of_nothing_sends_nothing() -> None:
    gateway, recorder, _ = make_gateway(lambda r: httpx.Response(204))
    await gateway.update_many(org=ORG, updates=[], caller=caller())
    assert recorder.requests == []


@pytest.mark.parametrize(
    "update",
    [
        FieldUpdate("bogus", "closeprobability", 1),
        FieldUpdate(OPP, "Close Probability", 1),
        FieldUpdate(OPP, "closeprobability", float("nan")),
    ],
)
async def test_update_many_refuses_bad_input_before_any_request(update: FieldUpdate) -> None:
    gateway, recorder, _ = make_gateway(lambda r: httpx.Response(204))
    with pytest.raises(InvalidInput):
        await gateway.update_many(
            org=ORG, updates=[FieldUpdate(BEN_OPP, "closeprobability", 1), update], caller=caller()
        )
    assert recorder.requests == []
