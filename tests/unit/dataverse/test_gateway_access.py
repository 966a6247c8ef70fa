"""The access rule's two questions to Dataverse: ``check_read`` (may this caller read?) and
``my_access`` (which rights has this caller?), over httpx.MockTransport."""

from __future__ import annotations

from urllib.parse import unquote

import httpx
import pytest

from shared.adapters.dataverse import RetryPolicy
from shared.domain.crm import CrmCaller
from shared.domain.errors import (
    CrmAccessDenied,
    CrmBusy,
    CrmRecordNotFound,
    CrmRejected,
    CrmUnavailable,
    InvalidInput,
    ReauthRequired,
)
from shared.domain.orgs import CrmOrg
from tests.unit.dataverse.helpers import (
    OPP,
    ORG,
    TENANT,
    USER,
    FakeClock,
    Recorder,
    caller,
    error,
    json_response,
    make_gateway,
)

BEN_OPP = "0aa00000-0000-4000-8000-000000000003"
OTHER_ORG = CrmOrg(tenant_id=TENANT, name="fabrikam", url="https://fabrikam.crm4.example")
REP = "a11ce000-0000-4000-8000-000000000001"
OTHER_REP = "a11ce000-0000-4000-8000-000000000002"


# --- check_read ------------------------------------------------------------------------------------


async def test_check_read_is_one_retrieve_of_the_primary_key() -> None:
    gateway, recorder, _ = make_gateway(lambda r: json_response(200, {"opportunityid": OPP}))

    await gateway.check_read(org=ORG, opportunity_id=OPP.upper(), caller=caller())

    assert len(recorder.requests) == 1
    request = recorder.requests[0]
    assert request.method == "GET"
    assert unquote(request.url.path) == f"/api/data/v9.2/opportunities({OPP})"
    assert unquote(request.url.query.decode()) == "$select=opportunityid"
    assert request.headers["Authorization"] == f"Bearer token-for-{ORG.url}"
    assert request.headers["OData-Version"] == "4.0"
    assert "Prefer" not in request.headers


@pytest.mark.parametrize(
    "answer, expected",
    [
        (
            error(404, "0x80040217", f"opportunity With Id = {OPP} Does Not Exist"),
            CrmRecordNotFound,
        ),
        (error(403, "0x80040220", "missing prvReadOpportunity"), CrmAccessDenied),
        (error(403, "0x80048306", "does not have ReadAccess"), CrmAccessDenied),
        (error(403, "0x80072560", "not a member of the organization"), CrmAccessDenied),
        (httpx.Response(401), ReauthRequired),
        (error(429, "0x80072322", headers={"Retry-After": "1"}), CrmBusy),
        (error(503, "0x80040216"), CrmUnavailable),
    ],
)
async def test_check_read_raises_the_domain_errors(
    answer: httpx.Response, expected: type[Exception]
) -> None:
    clock = FakeClock()
    policy = RetryPolicy(max_attempts=1, sleep=clock.sleep, rand=lambda: 0.5)
    gateway, recorder, _ = make_gateway(lambda r: answer, clock=clock, policy=policy)
    with pytest.raises(expected):
        await gateway.check_read(org=ORG, opportunity_id=OPP, caller=caller())
    assert len(recorder.requests) == 1


async def test_check_read_refuses_a_bad_id_without_a_request() -> None:
    gateway, recorder, _ = make_gateway(lambda r: httpx.Response(200))
    with pytest.raises(InvalidInput):
        await gateway.check_read(org=ORG, opportunity_id="opportunities(x)", caller=caller())
    assert recorder.requests == []


# --- my_access -------------------------------------------------------------------------------------


class Dataverse:
    """WhoAmI answers the systemuserid of whoever the request acts as (the CallerObjectId when
    present); RetrievePrincipalAccess answers the rights stored per (systemuser, opportunity)."""

    def __init__(self) -> None:
        self.users = {None: USER, REP: "5e000000-0000-4000-8000-00000000000a"}
        self.users[OTHER_REP] = "5E000000-0000-4000-8000-00000000000B"  # upper case, as some do
        self.rights = {
            (USER, OPP): "ReadAccess, WriteAccess, AppendAccess",
            (USER, BEN_OPP): "None",
        }

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = unquote(request.url.path)
        if path.endswith("/WhoAmI()"):
            user = self.users[request.headers.get("CallerObjectId")]
            return json_response(
                200, {"UserId": user, "BusinessUnitId": "b", "OrganizationId": "o"}
            )
        prefix = "/api/data/v9.2/systemusers("
        assert path.startswith(prefix), path
        user = path[len(prefix) : len(prefix) + 36]
        assert (
            path[len(prefix) + 36 :]
            == ")/Microsoft.Dynamics.CRM.RetrievePrincipalAccess(Target=@tid)"
        )
        query = unquote(request.url.query.decode())
        assert query.startswith("@tid={'@odata.id':'opportunities(") and query.endswith(")'}")
        opportunity = query.removeprefix("@tid={'@odata.id':'opportunities(")[:36]
        return json_response(200, {"AccessRights": self.rights.get((user, opportunity), "None")})


def kinds(recorder: Recorder) -> list[str]:
    return ["WhoAmI" if r.url.path.endswith("WhoAmI()") else "Access" for r in recorder.requests]


async def test_my_access_costs_two_requests_cold_and_one_warm() -> None:
    gateway, recorder, _ = make_gateway(Dataverse())

    cold = await gateway.my_access(org=ORG, opportunity_id=OPP, caller=caller())
    assert cold == {"ReadAccess", "WriteAccess", "AppendAccess"}
    assert kinds(recorder) == ["WhoAmI", "Access"]
    assert unquote(recorder.requests[1].url.path).startswith(f"/api/data/v9.2/systemusers({USER})/")

    warm = await gateway.my_access(org=ORG, opportunity_id=BEN_OPP, caller=caller())
    assert warm == frozenset()  # "None"
    assert kinds(recorder) == ["WhoAmI", "Access", "Access"]


async def test_the_user_id_is_remembered_per_caller_and_org() -> None:
    gateway, recorder, _ = make_gateway(Dataverse())
    await gateway.my_access(org=ORG, opportunity_id=OPP, caller=caller())
    await gateway.my_access(org=OTHER_ORG, opportunity_id=OPP, caller=caller())
    await gateway.my_access(org=ORG, opportunity_id=OPP, caller=caller(f"{TENANT}:ben"))
    await gateway.my_access(org=ORG, opportunity_id=OPP, caller=caller())
    assert kinds(recorder) == ["WhoAmI", "Access"] * 3 + ["Access"]
    assert recorder.requests[2].url.host == "fabrikam.crm4.example"


async def test_an_impersonating_caller_asks_for_the_impersonated_reps_rights() -> None:
    gateway, recorder, _ = make_gateway(Dataverse())
    app = f"{TENANT}:app"

    await gateway.my_access(org=ORG, opportunity_id=OPP, caller=caller(app, impersonate=REP))
    await gateway.my_access(org=ORG, opportunity_id=OPP, caller=caller(app, impersonate=OTHER_REP))
    await gateway.my_access(org=ORG, opportunity_id=OPP, caller=caller(app, impersonate=REP))

    # Same app key, two reps: each rep's own WhoAmI, never one rep's id for the other.
    assert kinds(recorder) == ["WhoAmI", "Access", "WhoAmI", "Access", "Access"]
    assert [r.headers["CallerObjectId"] for r in recorder.requests] == [REP, REP] + [
        OTHER_REP
    ] * 2 + [REP]
    paths = [unquote(r.url.path) for r in recorder.requests]
    assert "systemusers(5e000000-0000-4000-8000-00000000000a)" in paths[1]
    assert "systemusers(5e000000-0000-4000-8000-00000000000b)" in paths[3]  # lower-cased
    assert "systemusers(5e000000-0000-4000-8000-00000000000a)" in paths[4]


async def test_a_failed_who_am_i_is_not_remembered() -> None:
    answers = iter([error(503, "0x80040216")])
    server = Dataverse()

    def handler(request: httpx.Request) -> httpx.Response:
        first = next(answers, None)
        return first if first is not None else server(request)

    clock = FakeClock()
    policy = RetryPolicy(max_attempts=1, sleep=clock.sleep, rand=lambda: 0.5)
    gateway, recorder, _ = make_gateway(handler, clock=clock, policy=policy)
    with pytest.raises(CrmUnavailable):
        await gateway.my_access(org=ORG, opportunity_id=OPP, caller=caller())
    assert await gateway.my_access(org=ORG, opportunity_id=OPP, caller=caller()) == {
        "ReadAccess",
        "WriteAccess",
        "AppendAccess",
    }
    assert kinds(recorder) == ["WhoAmI", "WhoAmI", "Access"]


async def test_a_who_am_i_without_a_guid_is_rejected() -> None:
    gateway, recorder, _ = make_gateway(
        lambda r: json_response(200, {"UserId": "me", "BusinessUnitId": "b", "OrganizationId": "o"})
    )
    with pytest.raises(CrmRejected):
        await gateway.my_access(org=ORG, opportunity_id=OPP, caller=caller())
    assert len(recorder.requests) == 1


async def test_my_access_errors_are_domain_errors() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("WhoAmI()"):
            return Dataverse()(request)
        return error(404, "0x80040217", "opportunity With Id = … Does Not Exist")

    gateway, _, _ = make_gateway(handler)
    with pytest.raises(CrmRecordNotFound):
        await gateway.my_access(org=ORG, opportunity_id=OPP, caller=caller())


async def test_my_access_refuses_a_bad_id_without_a_request() -> None:
    gateway, recorder, _ = make_gateway(Dataverse())
    with pytest.raises(InvalidInput):
        await gateway.my_access(org=ORG, opportunity_id="x')", caller=caller())
    assert recorder.requests == []


def test_budget_must_be_positive() -> None:
    async def token(resource: str) -> str:
        return "t"

    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            CrmCaller(key="k", token=token, budget_seconds=bad)
