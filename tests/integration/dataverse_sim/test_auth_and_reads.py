"""The Dataverse simulator over real HTTPS with tokens from the Entra ID simulator: authentication,
impersonation, reads with $select/$expand/annotations, and the documented read errors."""

from __future__ import annotations

import httpx
import jwt

from tests.integration.dataverse_sim.support import (
    ANNAS_OPEN,
    APP_USER,
    BENS_OPEN,
    MISSING,
    OTHER_APP,
    SEED_OPPORTUNITIES,
    SYSTEMUSERS,
    TENANT,
    USERS,
    SimClient,
)

ANNOTATIONS = {"Prefer": 'odata.include-annotations="*"'}
FV = "@OData.Community.Display.V1.FormattedValue"


async def test_health_and_json_headers(sim: SimClient) -> None:
    health = await sim.control("GET", "health")
    assert health["status"] == "ok" and health["orgs"] == {"contoso": sim.pair.org_url}
    response = await sim.api("GET", "WhoAmI()", await sim.user_token("anna"))
    assert response.headers["OData-Version"] == "4.0"
    assert response.headers["Content-Type"].startswith("application/json")


async def test_missing_or_bad_tokens_get_401_with_the_authority_challenge(sim: SimClient) -> None:
    challenge = (
        f"Bearer authorization_uri={sim.pair.entra_url}/{TENANT}/oauth2/authorize, "
        f"resource_id={sim.pair.org_url}/"
    )
    no_token = await sim.api("GET", "WhoAmI()", None)
    wrong_audience = await sim.api(
        "GET", "WhoAmI()", await sim.user_token("anna", aud="https://other.example")
    )
    expired = await sim.api("GET", "WhoAmI()", await sim.user_token("anna", iat=1, nbf=1, exp=2))
    garbage = await sim.api("GET", "WhoAmI()", "not-a-jwt")
    for response in (no_token, wrong_audience, expired, garbage):
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == challenge
        assert response.content == b""


async def test_tokens_of_another_tenant_or_without_the_scope_are_refused(sim: SimClient) -> None:
    fabrikam = USERS["frank"]
    other_tenant = await sim.user_token("frank")  # issued by Fabrikam's tenant
    no_scope = await sim.user_token("anna", scp="access_as_user")
    assert (await sim.api("GET", "WhoAmI()", other_tenant)).status_code == 401
    assert (await sim.api("GET", "WhoAmI()", no_scope)).status_code == 401
    assert fabrikam["tenant"] != TENANT


async def test_users_who_are_not_in_the_org_or_disabled_get_403(sim: SimClient) -> None:
    dana = await sim.api("GET", "WhoAmI()", await sim.user_token("dana"))
    assert dana.status_code == 403
    assert dana.json()["error"] == {
        "code": "0x80072560",
        "message": "The user is not a member of the organization.",
    }
    stranger_app = await sim.api("GET", "WhoAmI()", sim.app_token(OTHER_APP))
    assert stranger_app.status_code == 403 and stranger_app.json()["error"]["code"] == "0x80072560"

    await sim.control(
        "POST", f"users/{SYSTEMUSERS['chris']['systemuserid']}", json={"isdisabled": True}
    )
    chris = await sim.api("GET", "WhoAmI()", await sim.user_token("chris"))
    assert chris.status_code == 403
    assert (
        "is disabled. Disabled users cannot access the system" in chris.json()["error"]["message"]
    )


async def test_key_rotation_is_picked_up(sim: SimClient) -> None:
    before = await sim.user_token("anna")
    await sim.http.post(f"{sim.pair.entra_url}/_sim/rotate-keys", json={})
    after = await sim.user_token("anna")
    assert jwt.get_unverified_header(before)["kid"] != jwt.get_unverified_header(after)["kid"]
    assert (await sim.api("GET", "WhoAmI()", after)).status_code == 200


async def test_app_only_token_from_msal_maps_to_the_application_user(sim: SimClient) -> None:
    response = await sim.api("GET", "WhoAmI()", sim.app_token())
    assert response.status_code == 200
    assert response.json()["UserId"] == APP_USER["systemuserid"]


async def test_impersonation_needs_the_delegate_privilege(sim: SimClient) -> None:
    anna = USERS["anna"]
    as_anna = await sim.api(
        "GET", "WhoAmI()", sim.app_token(), headers={"CallerObjectId": anna["oid"]}
    )
    assert as_anna.status_code == 200
    assert as_anna.json()["UserId"] == SYSTEMUSERS["anna"]["systemuserid"]

    # A user without prvActOnBehalfOfAnotherUser cannot impersonate.
    ben_as_anna = await sim.api(
        "GET", "WhoAmI()", await sim.user_token("ben"), headers={"CallerObjectId": anna["oid"]}
    )
    assert ben_as_anna.status_code == 403
    assert ben_as_anna.json()["error"] == {
        "code": "0x8004A110",
        "message": "User does not have the privilege to act on behalf another user.",
    }


async def test_impersonation_intersects_privileges(sim: SimClient) -> None:
    # The app user may write every opportunity, Anna only her own: as Anna, Ben's is denied.
    headers = {"CallerObjectId": USERS["anna"]["oid"], "If-Match": "*"}
    denied = await sim.api(
        "PATCH",
        f"opportunities({BENS_OPEN})",
        sim.app_token(),
        headers=headers,
        json={"closeprobability": 5},
    )
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "0x80048306"
    own = await sim.api(
        "PATCH",
        f"opportunities({ANNAS_OPEN})",
        sim.app_token(),
        headers=headers,
        json={"closeprobability": 5},
    )
    assert own.status_code == 204


async def test_retrieve_with_select_expand_and_annotations(sim: SimClient) -> None:
    token = await sim.user_token("anna")
    response = await sim.api(
        "GET",
        f"opportunities({ANNAS_OPEN})?$select=name,estimatedvalue,estimatedclosedate,statecode,"
        "_parentaccountid_value,_customerid_value,_ownerid_value&$expand=parentaccountid($select=name)",
        token,
        headers=ANNOTATIONS,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["@odata.context"].startswith(
        f"{sim.pair.org_url}/api/data/v9.2/$metadata#opportunities("
    )
    assert body["@odata.etag"] == response.headers["ETag"]
    assert body["name"] == "CRM rollout 2027"
    assert body["estimatedvalue"] == 120000 and body[f"estimatedvalue{FV}"] == "€120,000.00"
    assert body[f"estimatedclosedate{FV}"] == "3/31/2027"
    assert body[f"statecode{FV}"] == "Open"
    assert body[f"_ownerid_value{FV}"] == "Anna Adams"
    assert body["_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"] == "systemuser"
    assert (
        body["_customerid_value@Microsoft.Dynamics.CRM.associatednavigationproperty"]
        == "customerid_account"
    )
    assert body["parentaccountid"]["name"] == "Contoso Pharmaceuticals"
    assert body["parentaccountid"]["@odata.etag"].startswith('W/"')
    # money brings its currency along (select-columns.md)
    assert body[f"_transactioncurrencyid_value{FV}"] == "Euro"
    assert "globalmetadataversion" not in " ".join(body)
    assert response.headers["Preference-Applied"] == 'odata.include-annotations="*"'


async def test_without_prefer_there_are_no_annotations(sim: SimClient) -> None:
    response = await sim.api(
        "GET",
        f"opportunities({ANNAS_OPEN})?$select=name,_ownerid_value",
        await sim.user_token("anna"),
    )
    assert set(response.json()) == {
        "@odata.context",
        "@odata.etag",
        "name",
        "_ownerid_value",
        "opportunityid",
    }


async def test_formatted_values_follow_the_users_language(sim: SimClient) -> None:
    await sim.control(
        "POST",
        f"users/{SYSTEMUSERS['anna']['systemuserid']}",
        json={"uilanguageid": 1031, "localeid": 1031},
    )
    response = await sim.api(
        "GET",
        f"opportunities({ANNAS_OPEN})?$select=estimatedvalue,estimatedclosedate,salesstage",
        await sim.user_token("anna"),
        headers=ANNOTATIONS,
    )
    body = response.json()
    assert body[f"estimatedvalue{FV}"] == "120.000,00 €"
    assert body[f"estimatedclosedate{FV}"] == "31.03.2027"
    assert body[f"salesstage{FV}"] == "Qualifizieren"


async def test_query_returns_globalmetadataversion_when_asked(sim: SimClient) -> None:
    token = await sim.user_token("anna")
    response = await sim.api(
        "GET",
        f"opportunities?$select=name&$filter=opportunityid eq {ANNAS_OPEN}",
        token,
        headers={
            "Prefer": 'odata.include-annotations="Microsoft.Dynamics.CRM.globalmetadataversion"'
        },
    )
    body = response.json()
    assert body["@Microsoft.Dynamics.CRM.globalmetadataversion"].isdigit()
    assert [row["name"] for row in body["value"]] == ["CRM rollout 2027"]
    everything = (await sim.api("GET", "opportunities?$select=name&$top=5", token)).json()
    assert (
        len(everything["value"]) == 5
        and "@Microsoft.Dynamics.CRM.globalmetadataversion" not in everything
    )


async def test_documented_read_errors(sim: SimClient) -> None:
    token = await sim.user_token("anna")
    unknown_column = await sim.api("GET", f"opportunities({ANNAS_OPEN})?$select=Name", token)
    assert unknown_column.status_code == 400
    assert unknown_column.json()["error"] == {
        "code": "0x0",
        "message": "Could not find a property named 'Name' on type 'Microsoft.Dynamics.CRM.opportunity'.",
    }
    navigation_in_select = await sim.api(
        "GET", f"opportunities({ANNAS_OPEN})?$select=ownerid", token
    )
    assert navigation_in_select.status_code == 400
    wrong_case_set = await sim.api("GET", "Opportunities", token)
    assert wrong_case_set.status_code == 404
    assert wrong_case_set.json()["error"]["code"] == "0x8006088a"
    missing = await sim.api("GET", f"opportunities({MISSING})?$select=name", token)
    assert missing.status_code == 404
    assert missing.json()["error"] == {
        "code": "0x80040217",
        "message": f"opportunity With Id = {MISSING} Does Not Exist",
    }


async def test_read_privileges_and_depth(sim: SimClient) -> None:
    chris = SYSTEMUSERS["chris"]["systemuserid"]
    await sim.control("POST", f"users/{chris}", json={"privileges": {"prvReadOpportunity": "None"}})
    token = await sim.user_token("chris")
    denied = await sim.api("GET", f"opportunities({ANNAS_OPEN})?$select=name", token)
    assert denied.status_code == 403
    error = denied.json()["error"]
    assert error["code"] == "0x80040220"
    assert error["message"].startswith(f"Principal user (Id={chris}, type=8")
    assert "is missing prvReadOpportunity privilege" in error["message"]
    assert "on OTC=3 for entity 'opportunity'" in error["message"]

    await sim.control("POST", f"users/{chris}", json={"privileges": {"prvReadOpportunity": "User"}})
    record = await sim.api("GET", f"opportunities({ANNAS_OPEN})?$select=name", token)
    assert record.status_code == 403 and record.json()["error"]["code"] == "0x80048306"
    assert "does not have ReadAccess right(s)" in record.json()["error"]["message"]
    # Queries silently leave out rows beyond the privilege depth (Chris owns none).
    query = await sim.api("GET", "opportunities?$select=name", token)
    assert query.json()["value"] == []


async def test_secured_column_reads_as_null_without_a_profile(sim: SimClient) -> None:
    await sim.control(
        "PATCH", f"records/opportunities/{ANNAS_OPEN}", json={"cockpit_securedscore": 70}
    )
    path = f"opportunities({ANNAS_OPEN})?$select=cockpit_securedscore"
    anna = (await sim.api("GET", path, await sim.user_token("anna"))).json()
    ben = (await sim.api("GET", path, await sim.user_token("ben"))).json()
    assert anna["cockpit_securedscore"] is None
    assert ben["cockpit_securedscore"] == 70


async def test_conditional_get(sim: SimClient) -> None:
    token = await sim.user_token("anna")
    first = await sim.api("GET", f"opportunities({ANNAS_OPEN})?$select=name", token)
    again = await sim.api(
        "GET",
        f"opportunities({ANNAS_OPEN})?$select=name",
        token,
        headers={"If-None-Match": first.headers["ETag"]},
    )
    assert again.status_code == 304
    with_annotations = await sim.api(
        "GET",
        f"opportunities({ANNAS_OPEN})?$select=name",
        token,
        headers={"If-None-Match": first.headers["ETag"], **ANNOTATIONS},
    )
    assert with_annotations.status_code == 200


async def test_unsupported_method_or_version(sim: SimClient) -> None:
    token = await sim.user_token("anna")
    assert (await sim.api("DELETE", "WhoAmI()", token)).status_code == 405
    response = await sim.http.get(
        f"{sim.pair.org_url}/api/data/v8.0/WhoAmI()", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 404
    assert isinstance(response, httpx.Response)


async def test_seeded_own_records_rep_and_disabled_user(sim: SimClient) -> None:
    """The demo seed's Eva reads and writes only what she owns; Gus is a disabled user."""
    eva = await sim.user_token("eva")
    own = [
        o for o in SEED_OPPORTUNITIES if o["_ownerid_value"] == SYSTEMUSERS["eva"]["systemuserid"]
    ]
    assert own and all(o["statecode"] == 0 for o in own)
    listed = (await sim.api("GET", "opportunities?$select=name", eva)).json()["value"]
    assert sorted(row["opportunityid"] for row in listed) == sorted(o["opportunityid"] for o in own)
    write_own = await sim.api(
        "PATCH",
        f"opportunities({own[0]['opportunityid']})",
        eva,
        headers={"If-Match": "*"},
        json={"closeprobability": 30},
    )
    assert write_own.status_code == 204
    for method, body in (("GET", None), ("PATCH", {"closeprobability": 30})):
        other = await sim.api(
            method, f"opportunities({ANNAS_OPEN})", eva, headers={"If-Match": "*"}, json=body
        )
        assert other.status_code == 403 and other.json()["error"]["code"] == "0x80048306"

    gus = await sim.api("GET", "WhoAmI()", await sim.user_token("gus"))
    assert gus.status_code == 403
    assert f"SystemUserId={SYSTEMUSERS['gus']['systemuserid']}" in gus.json()["error"]["message"]
