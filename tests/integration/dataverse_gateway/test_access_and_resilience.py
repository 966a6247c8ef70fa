"""The access rule's questions (``check_read``, ``my_access``) and the caller's resilience hooks
(forced token refresh on 401, time budget, busy vs unreachable) against the Dataverse simulator
over real HTTPS. Request counts come from the simulator's request log."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import AsyncIterator, Callable

import pytest

from shared.adapters.dataverse import DataverseGateway, RetryPolicy
from shared.adapters.wire import Wire
from shared.domain.crm import CrmCaller
from shared.domain.errors import CrmAccessDenied, CrmRecordNotFound, CrmUnavailable, ReauthRequired
from shared.domain.orgs import CrmOrg
from tests.integration.dataverse_gateway.conftest import MakeCaller
from tests.integration.dataverse_sim.support import (
    ANNAS_OPEN,
    BENS_OPEN,
    MISSING,
    SYSTEMUSERS,
    TENANT,
    USERS,
    SimClient,
)

pytestmark = pytest.mark.filterwarnings("error")

ACCESS = "Microsoft.Dynamics.CRM.RetrievePrincipalAccess"


def summary(log: list[dict[str, object]]) -> list[tuple[object, object]]:
    return [(e["method"], e["status"]) for e in log]


# --- check_read ------------------------------------------------------------------------------------


async def test_check_read_is_exactly_one_request(
    sim: SimClient, gateway: DataverseGateway, org: CrmOrg, user: MakeCaller
) -> None:
    anna = await user("anna")
    await sim.clear_log()

    await gateway.check_read(org=org, opportunity_id=BENS_OPEN, caller=anna)

    log = await sim.request_log()
    assert summary(log) == [("GET", 200)]
    assert log[0]["path"] == f"/api/data/v9.2/opportunities({BENS_OPEN})?$select=opportunityid"


async def test_check_read_refusals_are_one_request_each(
    sim: SimClient, gateway: DataverseGateway, org: CrmOrg, user: MakeCaller
) -> None:
    anna, chris, dana = await user("anna"), await user("chris"), await user("dana")
    chris_id = SYSTEMUSERS["chris"]["systemuserid"]
    await sim.clear_log()

    with pytest.raises(CrmRecordNotFound) as deleted:
        await gateway.check_read(org=org, opportunity_id=MISSING, caller=anna)
    with pytest.raises(CrmAccessDenied) as not_member:
        await gateway.check_read(org=org, opportunity_id=ANNAS_OPEN, caller=dana)
    own_only = {"prvReadOpportunity": "User"}
    await sim.control("POST", f"users/{chris_id}", json={"privileges": own_only})
    with pytest.raises(CrmAccessDenied) as not_his:
        await gateway.check_read(org=org, opportunity_id=ANNAS_OPEN, caller=chris)
    await sim.control(
        "POST", f"users/{chris_id}", json={"privileges": {"prvReadOpportunity": "None"}}
    )
    with pytest.raises(CrmAccessDenied) as no_privilege:
        await gateway.check_read(org=org, opportunity_id=ANNAS_OPEN, caller=chris)

    assert "0x80040217" in deleted.value.detail
    assert "0x80072560" in not_member.value.detail
    assert "0x80048306" in not_his.value.detail
    assert "0x80040220" in no_privilege.value.detail
    assert [e["status"] for e in await sim.request_log()] == [404, 403, 403, 403]


async def test_check_read_of_a_disabled_user(
    sim: SimClient, gateway: DataverseGateway, org: CrmOrg, user: MakeCaller
) -> None:
    ben = await user("ben")
    await sim.control(
        "POST", f"users/{SYSTEMUSERS['ben']['systemuserid']}", json={"isdisabled": True}
    )
    await sim.clear_log()
    with pytest.raises(CrmAccessDenied):
        await gateway.check_read(org=org, opportunity_id=BENS_OPEN, caller=ben)
    assert len(await sim.request_log()) == 1


# --- my_access -------------------------------------------------------------------------------------


async def test_my_access_is_two_requests_cold_and_one_warm(
    sim: SimClient, gateway: DataverseGateway, org: CrmOrg, user: MakeCaller
) -> None:
    anna = await user("anna")
    anna_id = SYSTEMUSERS["anna"]["systemuserid"]
    await sim.clear_log()

    # Her own record: read, write and append-to (a follow-up task may be regarding it).
    assert await gateway.my_access(org=org, opportunity_id=ANNAS_OPEN, caller=anna) == {
        "ReadAccess",
        "WriteAccess",
        "AppendToAccess",
    }
    cold = await sim.request_log()
    assert summary(cold) == [("GET", 200), ("GET", 200)]
    assert cold[0]["path"] == "/api/data/v9.2/WhoAmI()"
    assert f"/systemusers({anna_id})/{ACCESS}(Target=@tid)" in str(cold[1]["path"])
    await sim.clear_log()

    assert await gateway.my_access(org=org, opportunity_id=BENS_OPEN, caller=anna) == {"ReadAccess"}
    warm = await sim.request_log()
    assert summary(warm) == [("GET", 200)] and ACCESS in str(warm[0]["path"])


async def test_my_access_as_an_impersonating_app_is_the_reps_access(
    sim: SimClient,
    gateway: DataverseGateway,
    org: CrmOrg,
    user: MakeCaller,
    app_caller: Callable[[str | None], CrmCaller],
) -> None:
    """With CallerObjectId, WhoAmI answers the impersonated rep (the WhoAmI reference: "the user
    under whose context the code is running"), so the rights are the rep's, not the app user's
    (which may write every opportunity)."""
    anna_oid, ben_oid = USERS["anna"]["oid"], USERS["ben"]["oid"]
    await sim.clear_log()

    as_anna = await gateway.my_access(
        org=org, opportunity_id=BENS_OPEN, caller=app_caller(anna_oid)
    )
    as_ben = await gateway.my_access(org=org, opportunity_id=BENS_OPEN, caller=app_caller(ben_oid))
    again = await gateway.my_access(org=org, opportunity_id=BENS_OPEN, caller=app_caller(anna_oid))

    assert as_anna == again == {"ReadAccess"} and "WriteAccess" in as_ben
    log = await sim.request_log()
    assert len(log) == 5  # 2 + 2 cold (one app key, two reps) + 1 warm
    assert [e["caller_object_id"] for e in log] == [anna_oid] * 2 + [ben_oid] * 2 + [anna_oid]
    assert SYSTEMUSERS["anna"]["systemuserid"] in str(log[1]["path"])
    assert SYSTEMUSERS["ben"]["systemuserid"] in str(log[3]["path"])
    assert all(ACCESS in str(e["path"]) for e in (log[1], log[3], log[4]))


# --- 401 → one forced refresh ----------------------------------------------------------------------


async def test_an_expired_token_is_refreshed_once(
    sim: SimClient, gateway: DataverseGateway, org: CrmOrg
) -> None:
    expired = await sim.user_token("anna", iat=1, nbf=1, exp=2)
    fresh = await sim.user_token("anna")
    refreshed: list[str] = []

    async def token(resource: str) -> str:
        return expired

    async def refresh(resource: str) -> str:
        refreshed.append(resource)
        return fresh

    anna = CrmCaller(key=f"{TENANT}:{USERS['anna']['oid']}", token=token, refresh=refresh)
    await sim.clear_log()

    opp = await gateway.get_opportunity(org=org, opportunity_id=ANNAS_OPEN, caller=anna)

    assert opp.id == ANNAS_OPEN and refreshed == [org.url]
    assert summary(await sim.request_log()) == [("GET", 401), ("GET", 200)]


async def test_a_token_still_refused_after_the_refresh_is_reauth(
    sim: SimClient, gateway: DataverseGateway, org: CrmOrg
) -> None:
    expired = await sim.user_token("anna", iat=1, nbf=1, exp=2)

    async def token(resource: str) -> str:
        return expired

    anna = CrmCaller(key=f"{TENANT}:anna", token=token, refresh=token)
    await sim.clear_log()
    with pytest.raises(ReauthRequired):
        await gateway.check_read(org=org, opportunity_id=ANNAS_OPEN, caller=anna)
    assert summary(await sim.request_log()) == [("GET", 401), ("GET", 401)]


# --- budget ------------------------------------------------------------------------------------------


async def test_an_interactive_budget_ends_a_slow_read(
    sim: SimClient, wire: Wire, org: CrmOrg, user: MakeCaller
) -> None:
    # Background policy: a long deadline and several attempts; the caller's budget is shorter.
    policy = RetryPolicy(max_attempts=4, backoff_base=0.05, deadline_seconds=60)
    gateway = DataverseGateway(wire=wire, policy=policy)
    anna = await user("anna")
    interactive = CrmCaller(key=anna.key, token=anna.token, budget_seconds=0.5)
    await sim.faults(latency_ms=2000)
    await sim.clear_log()

    with pytest.raises(CrmUnavailable) as caught:
        await asyncio.wait_for(
            gateway.get_opportunity(org=org, opportunity_id=ANNAS_OPEN, caller=interactive),
            timeout=10,
        )

    assert caught.value.code == "crm_unreachable"
    assert len(await sim.request_log()) == 1  # no time left for a second attempt

    # The same slow Dataverse within the full deadline: background work gets its answer.
    opp = await gateway.get_opportunity(org=org, opportunity_id=ANNAS_OPEN, caller=anna)
    assert opp.id == ANNAS_OPEN


# --- unreachable ---------------------------------------------------------------------------------------


@pytest.fixture
async def resetting_port() -> AsyncIterator[int]:
    """A TCP server that accepts and at once resets every connection (RST via SO_LINGER 0)."""

    def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.close()

    server = await asyncio.start_server(reset, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


async def test_a_resetting_connection_is_unreachable(wire: Wire, resetting_port: int) -> None:
    async def token(resource: str) -> str:
        return "never-read-by-anyone"

    reset_org = CrmOrg(tenant_id=TENANT, name="reset", url=f"https://127.0.0.1:{resetting_port}")
    gateway = DataverseGateway(wire=wire, policy=RetryPolicy(max_attempts=2, backoff_base=0.01))
    with pytest.raises(CrmUnavailable) as caught:
        await gateway.check_read(
            org=reset_org, opportunity_id=ANNAS_OPEN, caller=CrmCaller(key="k", token=token)
        )
    assert caught.value.code == "crm_unreachable"
