"""DataverseGateway over real HTTPS against the Dataverse simulator: request counts, mapping, every
error path as its domain error, metadata refresh, the bulk update."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from shared.adapters.dataverse import DataverseGateway, RetryPolicy
from shared.adapters.wire import Wire
from shared.domain.crm import CrmCaller, FieldUpdate, OpportunityState
from shared.domain.errors import (
    ConfigurationInvalid,
    CrmAccessDenied,
    CrmBusy,
    CrmConflict,
    CrmFieldSecured,
    CrmRecordClosed,
    CrmRecordNotFound,
    CrmRejected,
    CrmUnavailable,
    ReauthRequired,
)
from shared.domain.orgs import CrmOrg
from tests.integration.dataverse_gateway.conftest import MakeCaller
from tests.integration.dataverse_sim.support import (
    ANNAS_LOST,
    ANNAS_OPEN,
    ANNAS_WON,
    BENS_OPEN,
    MISSING,
    SYSTEMUSERS,
    TENANT,
    USERS,
    SimClient,
)

pytestmark = pytest.mark.filterwarnings("error")


async def test_cockpit_read_is_exactly_one_request(
    sim: SimClient, gateway: DataverseGateway, org: CrmOrg, user: MakeCaller
) -> None:
    anna = await user("anna")
    await sim.clear_log()

    opp = await gateway.get_opportunity(
        org=org, opportunity_id=ANNAS_OPEN, caller=anna, extra_fields=["cockpit_winprobability"]
    )

    log = await sim.request_log()
    assert len(log) == 1 and log[0]["method"] == "GET" and log[0]["status"] == 200
    assert opp.name == "CRM rollout 2027" and opp.state is OpportunityState.OPEN
    assert (
        opp.account_name == "Contoso Pharmaceuticals"
        and opp.customer_name == "Contoso Pharmaceuticals"
    )
    assert opp.owner_name == "Anna Adams" and opp.status_display == "In Progress"
    assert opp.estimated_value == Decimal(120000) and opp.estimated_value_display == "€120,000.00"
    assert (
        opp.estimated_close_date == date(2027, 3, 31)
        and opp.estimated_close_date_display == "3/31/2027"
    )
    assert opp.sales_stage_display == "Qualify" and opp.pipeline_phase == "1-Qualify"
    assert opp.probability == 20 and opp.extra_values == {"cockpit_winprobability": None}
    assert (
        opp.etag
        and opp.etag.startswith('W/"')
        and opp.metadata_version
        and opp.metadata_version.isdigit()
    )


async def test_display_strings_follow_the_reps_settings(
    sim: SimClient, gateway: DataverseGateway, org: CrmOrg, user: MakeCaller
) -> None:
    await sim.control(
        "POST",
        f"users/{SYSTEMUSERS['anna']['systemuserid']}",
        json={"uilanguageid": 1031, "localeid": 1031},
    )
    opp = await gateway.get_opportunity(
        org=org, opportunity_id=ANNAS_OPEN, caller=await user("anna")
    )
    assert (opp.estimated_value_display, opp.estimated_close_date_display, opp.status_display) == (
        "120.000,00 €",
        "31.03.2027",
        "In Bearbeitung",
    )


async def test_closed_states_are_mapped(
    gateway: DataverseGateway, org: CrmOrg, user: MakeCaller
) -> None:
    anna = await user("anna")
    assert (
        await gateway.get_opportunity(org=org, opportunity_id=ANNAS_WON, caller=anna)
    ).state is OpportunityState.WON
    assert (
        await gateway.get_opportunity(org=org, opportunity_id=ANNAS_LOST, caller=anna)
    ).state is OpportunityState.LOST


async def test_write_is_exactly_one_patch_once_metadata_is_warm(
    sim: SimClient, gateway: DataverseGateway, org: CrmOrg, user: MakeCaller
) -> None:
    anna = await user("anna")
    info = await gateway.field_info(org=org, field="cockpit_winprobability", caller=anna)
    assert (info.min_value, info.max_value, info.precision) == (Decimal(0), Decimal(100), 2)
    opp = await gateway.get_opportunity(org=org, opportunity_id=ANNAS_OPEN, caller=anna)
    await sim.clear_log()

    # what the write-back service does: check the (cached) metadata, then write
    await gateway.field_info(org=org, field="cockpit_winprobability", caller=anna)
    await gateway.write_number(
        org=org,
        opportunity_id=ANNAS_OPEN,
        field="cockpit_winprobability",
        value=Decimal("66.67"),
        caller=anna,
        etag=opp.etag,
    )

    log = await sim.request_log()
    assert [(e["method"], e["status"]) for e in log] == [("PATCH", 204)]
    assert (await sim.record(ANNAS_OPEN))["cockpit_winprobability"] == 66.67


async def test_metadata_refreshes_after_globalmetadataversion_changes(
    sim: SimClient, gateway: DataverseGateway, org: CrmOrg, user: MakeCaller
) -> None:
    anna = await user("anna")
    await gateway.get_opportunity(org=org, opportunity_id=ANNAS_OPEN, caller=anna)
    before = await gateway.field_info(org=org, field="closeprobability", caller=anna)
    await sim.control(
        "POST",
        "metadata/opportunity/attributes/closeprobability",
        json={"MaxValue": 50, "IsSecured": True},
    )
    await sim.clear_log()

    cached = await gateway.field_info(org=org, field="closeprobability", caller=anna)
    assert cached == before and await sim.request_log() == []  # nothing told us yet

    opp = await gateway.get_opportunity(org=org, opportunity_id=ANNAS_OPEN, caller=anna)
    after = await gateway.field_info(org=org, field="closeprobability", caller=anna)

    assert before.max_value == 100 and not before.is_secured
    assert after.max_value == 50 and after.is_secured
    paths = [e["path"] for e in await sim.request_log()]
    assert (
        len(paths) == 3
        and "EntityDefinitions" in paths[1]
        and "IntegerAttributeMetadata" in paths[2]
    )
    assert opp.metadata_version is not None


async def test_numeric_fields_lists_updatable_numeric_columns_in_five_requests(
    sim: SimClient, gateway: DataverseGateway, org: CrmOrg, user: MakeCaller
) -> None:
    anna = await user("anna")
    await sim.clear_log()
    fields = await gateway.numeric_fields(org=org, caller=anna)
    assert len(await sim.request_log()) == 5
    names = {f.logical_name: f for f in fields}
    assert set(names) == {
        "closeprobability",
        "estimatedvalue",
        "cockpit_winprobability",
        "cockpit_securedscore",
        "cockpit_scoredouble",
        "cockpit_scorebig",
        "cockpit_smallscore",
    }
    assert "msdyn_opportunityscore" not in names  # not valid for update
    assert names["cockpit_scorebig"].max_value == Decimal(9223372036854775807)
    assert names["cockpit_securedscore"].is_secured
    assert names["cockpit_smallscore"].max_value == 10
    await gateway.field_info(org=org, field="cockpit_scoredouble", caller=anna)
    assert len(await sim.request_log()) == 5  # warmed by the list


async def test_who_am_i_and_impersonation(
    gateway: DataverseGateway,
    org: CrmOrg,
    user: MakeCaller,
    app_caller: Callable[[str | None], CrmCaller],
) -> None:
    anna = await user("anna")
    identity = await gateway.who_am_i(org=org, caller=anna)
    assert identity.user_id == SYSTEMUSERS["anna"]["systemuserid"]
    as_anna = app_caller(USERS["anna"]["oid"])
    assert (await gateway.who_am_i(org=org, caller=as_anna)).user_id == identity.user_id
    await gateway.write_number(
        org=org, opportunity_id=ANNAS_OPEN, field="closeprobability", value=45, caller=as_anna
    )
    with pytest.raises(CrmAccessDenied):  # the intersection: Anna may not write Ben's
        await gateway.write_number(
            org=org, opportunity_id=BENS_OPEN, field="closeprobability", value=45, caller=as_anna
        )


# --- every error path ----------------------------------------------------------------------------


async def test_deleted_opportunity(
    gateway: DataverseGateway, org: CrmOrg, user: MakeCaller, sim: SimClient
) -> None:
    anna = await user("anna")
    with pytest.raises(CrmRecordNotFound):
        await gateway.get_opportunity(org=org, opportunity_id=MISSING, caller=anna)
    with pytest.raises(CrmRecordNotFound):
        await gateway.write_number(
            org=org, opportunity_id=MISSING, field="closeprobability", value=1, caller=anna
        )
    await sim.control("DELETE", f"records/opportunities/{ANNAS_OPEN}")
    with pytest.raises(CrmRecordNotFound):
        await gateway.get_opportunity(org=org, opportunity_id=ANNAS_OPEN, caller=anna)


async def test_no_read_privilege_and_no_record_access(
    sim: SimClient, gateway: DataverseGateway, org: CrmOrg, user: MakeCaller
) -> None:
    chris_id = SYSTEMUSERS["chris"]["systemuserid"]
    chris = await user("chris")
    await sim.control(
        "POST", f"users/{chris_id}", json={"privileges": {"prvReadOpportunity": "None"}}
    )
    with pytest.raises(CrmAccessDenied) as missing:
        await gateway.get_opportunity(org=org, opportunity_id=ANNAS_OPEN, caller=chris)
    assert "0x80040220" in missing.value.detail
    await sim.control(
        "POST", f"users/{chris_id}", json={"privileges": {"prvReadOpportunity": "User"}}
    )
    with pytest.raises(CrmAccessDenied) as depth:
        await gateway.get_opportunity(org=org, opportunity_id=ANNAS_OPEN, caller=chris)
    assert "0x80048306" in depth.value.detail


async def test_no_write_privilege_and_not_the_owner(
    gateway: DataverseGateway, org: CrmOrg, user: MakeCaller
) -> None:
    with pytest.raises(CrmAccessDenied) as chris:
        await gateway.write_number(
            org=org,
            opportunity_id=ANNAS_OPEN,
            field="closeprobability",
            value=1,
            caller=await user("chris"),
        )
    assert "0x80040220" in chris.value.detail
    with pytest.raises(CrmAccessDenied) as anna:
        await gateway.write_number(
            org=org,
            opportunity_id=BENS_OPEN,
            field="closeprobability",
            value=1,
            caller=await user("anna"),
        )
    assert "0x80048306" in anna.value.detail


async def test_not_a_member_of_the_org(
    gateway: DataverseGateway, org: CrmOrg, user: MakeCaller
) -> None:
    with pytest.raises(CrmAccessDenied) as caught:
        await gateway.get_opportunity(org=org, opportunity_id=ANNAS_OPEN, caller=await user("dana"))
    assert "0x80072560" in caught.value.detail


async def test_impersonation_without_the_delegate_privilege(
    sim: SimClient,
    gateway: DataverseGateway,
    org: CrmOrg,
    app_caller: Callable[[str | None], CrmCaller],
) -> None:
    app_user = next(u for u in SYSTEMUSERS.values() if u.get("applicationid"))
    await sim.control(
        "POST",
        f"users/{app_user['systemuserid']}",
        json={"privileges": {"prvActOnBehalfOfAnotherUser": "None"}},
    )
    with pytest.raises(CrmAccessDenied) as caught:
        await gateway.who_am_i(org=org, caller=app_caller(USERS["anna"]["oid"]))
    assert "0x8004A110" in caught.value.detail


async def test_secured_field(gateway: DataverseGateway, org: CrmOrg, user: MakeCaller) -> None:
    with pytest.raises(CrmFieldSecured):
        await gateway.write_number(
            org=org,
            opportunity_id=ANNAS_OPEN,
            field="cockpit_securedscore",
            value=50,
            caller=await user("anna"),
        )
    await gateway.write_number(
        org=org,
        opportunity_id=ANNAS_OPEN,
        field="cockpit_securedscore",
        value=50,
        caller=await user("ben"),
    )


async def test_closed_opportunity(
    sim: SimClient, gateway: DataverseGateway, org: CrmOrg, user: MakeCaller
) -> None:
    anna = await user("anna")
    with pytest.raises(CrmRecordClosed):
        await gateway.write_number(
            org=org, opportunity_id=ANNAS_LOST, field="closeprobability", value=5, caller=anna
        )
    await sim.control("POST", "config", json={"closed_opportunity_updates": "allow"})
    await gateway.write_number(
        org=org, opportunity_id=ANNAS_LOST, field="closeprobability", value=5, caller=anna
    )


async def test_conflict(
    sim: SimClient, gateway: DataverseGateway, org: CrmOrg, user: MakeCaller
) -> None:
    anna = await user("anna")
    opp = await gateway.get_opportunity(org=org, opportunity_id=ANNAS_OPEN, caller=anna)
    await sim.control("PATCH", f"records/opportunities/{ANNAS_OPEN}", json={"closeprobability": 90})
    with pytest.raises(CrmConflict):
        await gateway.write_number(
            org=org,
            opportunity_id=ANNAS_OPEN,
            field="closeprobability",
            value=30,
            caller=anna,
            etag=opp.etag,
        )
    assert (await sim.record(ANNAS_OPEN))["closeprobability"] == 90


async def test_reauth_needed(sim: SimClient, gateway: DataverseGateway, org: CrmOrg) -> None:
    expired = await sim.user_token("anna", iat=1, nbf=1, exp=2)

    async def token(resource: str) -> str:
        return expired

    with pytest.raises(ReauthRequired):
        await gateway.get_opportunity(
            org=org, opportunity_id=ANNAS_OPEN, caller=CrmCaller(key=f"{TENANT}:anna", token=token)
        )


async def test_crm_busy(sim: SimClient, wire: Wire, org: CrmOrg, user: MakeCaller) -> None:
    await sim.faults(throttle_rate=1.0, retry_after=1)
    gateway = DataverseGateway(wire=wire, policy=RetryPolicy(max_attempts=2, deadline_seconds=20))
    await sim.clear_log()
    with pytest.raises(CrmBusy) as caught:
        await gateway.get_opportunity(org=org, opportunity_id=ANNAS_OPEN, caller=await user("anna"))
    assert caught.value.retry_after == 1
    log = await sim.request_log()
    assert [e["status"] for e in log] == [429, 429]
    assert log[1]["start"] >= log[0]["end"] + 1


async def test_crm_unavailable(sim: SimClient, wire: Wire, org: CrmOrg, user: MakeCaller) -> None:
    await sim.faults(unavailable_rate=1.0, unavailable_status=503)
    gateway = DataverseGateway(
        wire=wire,
        policy=RetryPolicy(max_attempts=3, backoff_base=0.01, deadline_seconds=20),
    )
    with pytest.raises(CrmUnavailable) as caught:
        await gateway.write_number(
            org=org,
            opportunity_id=ANNAS_OPEN,
            field="closeprobability",
            value=1,
            caller=await user("anna"),
        )
    assert caught.value.code == "crm_unavailable"  # Dataverse answered: not "unreachable"
    assert [e["status"] for e in await sim.request_log()] == [503, 503, 503]


async def test_connection_refused_is_unavailable(wire: Wire) -> None:
    from devstack.process import free_port

    async def token(resource: str) -> str:
        return "never-sent-anywhere-that-answers"

    nowhere = CrmOrg(tenant_id=TENANT, name="gone", url=f"https://localhost:{free_port()}")
    gateway = DataverseGateway(wire=wire, policy=RetryPolicy(max_attempts=2, backoff_base=0.01))
    with pytest.raises(CrmUnavailable) as caught:
        await gateway.who_am_i(org=nowhere, caller=CrmCaller(key="k", token=token))
    assert "ConnectError" in caught.value.detail
    assert caught.value.code == "crm_unreachable"


async def test_rejected_requests(gateway: DataverseGateway, org: CrmOrg, user: MakeCaller) -> None:
    anna = await user("anna")
    with pytest.raises(CrmRejected) as out_of_range:
        await gateway.write_number(
            org=org, opportunity_id=ANNAS_OPEN, field="closeprobability", value=101, caller=anna
        )
    assert "0x80044331" in out_of_range.value.detail
    with pytest.raises(CrmRejected) as unknown:
        await gateway.get_opportunity(
            org=org, opportunity_id=ANNAS_OPEN, caller=anna, extra_fields=["cockpit_nothing"]
        )
    assert "Could not find a property named 'cockpit_nothing'" in unknown.value.detail
    with pytest.raises(ConfigurationInvalid):
        await gateway.field_info(org=org, field="cockpit_nothing", caller=anna)


# --- bulk ------------------------------------------------------------------------------------------


async def test_update_many_is_one_all_or_nothing_request(
    sim: SimClient, gateway: DataverseGateway, org: CrmOrg, user: MakeCaller
) -> None:
    updates = [
        FieldUpdate(ANNAS_OPEN, "closeprobability", 61),
        FieldUpdate(BENS_OPEN, "closeprobability", 62),
    ]
    await sim.clear_log()
    with pytest.raises(CrmAccessDenied):
        await gateway.update_many(org=org, updates=updates, caller=await user("anna"))
    assert (await sim.record(ANNAS_OPEN))["closeprobability"] == 20
    await gateway.update_many(org=org, updates=updates, caller=await user("ben"))
    assert (await sim.record(BENS_OPEN))["closeprobability"] == 62
    assert (await sim.record(ANNAS_OPEN))["closeprobability"] == 61
    log = await sim.request_log()
    assert [(e["method"], e["status"]) for e in log] == [("POST", 403), ("POST", 204)]
    assert all(
        e["path"].endswith("/opportunities/Microsoft.Dynamics.CRM.UpdateMultiple") for e in log
    )
