"""PATCH semantics, column security, closed opportunities, metadata with casts, WhoAmI /
RetrievePrincipalAccess, $batch, UpdateMultiple and msdyn_predictivescores — over real HTTPS."""

from __future__ import annotations

from typing import Any

from tests.integration.dataverse_sim.support import (
    ANNAS_LOST,
    ANNAS_OPEN,
    ANNAS_WON,
    BENS_OPEN,
    MISSING,
    SEED_OPPORTUNITIES,
    SYSTEMUSERS,
    SimClient,
)

STAR = {"If-Match": "*"}
DETAILS = {"Prefer": 'odata.include-annotations="Microsoft.PowerApps.CDS.ErrorDetails.*"'}


async def test_patch_if_match_star_updates_and_bumps_the_etag(sim: SimClient) -> None:
    before = await sim.record(ANNAS_OPEN)
    response = await sim.api(
        "PATCH",
        f"opportunities({ANNAS_OPEN})",
        await sim.user_token("anna"),
        headers=STAR,
        json={"closeprobability": 55},
    )
    assert response.status_code == 204
    assert (
        response.headers["OData-EntityId"]
        == f"{sim.pair.org_url}/api/data/v9.2/opportunities({ANNAS_OPEN})"
    )
    after = await sim.record(ANNAS_OPEN)
    assert after["closeprobability"] == 55 and after["@odata.etag"] != before["@odata.etag"]


async def test_patch_never_creates_with_if_match_and_upserts_without(sim: SimClient) -> None:
    token = await sim.user_token("anna")
    star = await sim.api(
        "PATCH", f"opportunities({MISSING})", token, headers=STAR, json={"closeprobability": 1}
    )
    assert star.status_code == 404
    assert star.json()["error"]["message"] == f"opportunity With Id = {MISSING} Does Not Exist"
    # Without If-Match a PATCH is an upsert: Anna may not create opportunities.
    upsert = await sim.api("PATCH", f"opportunities({MISSING})", token, json={"name": "New deal"})
    assert upsert.status_code == 403
    assert "is missing prvCreateOpportunity privilege" in upsert.json()["error"]["message"]


async def test_etag_mismatch_is_412(sim: SimClient) -> None:
    token = await sim.user_token("anna")
    read = await sim.api("GET", f"opportunities({ANNAS_OPEN})?$select=name", token)
    etag = read.json()["@odata.etag"]
    await sim.control(
        "PATCH", f"records/opportunities/{ANNAS_OPEN}", json={"name": "Changed in Dynamics"}
    )
    stale = await sim.api(
        "PATCH",
        f"opportunities({ANNAS_OPEN})",
        token,
        headers={"If-Match": etag},
        json={"closeprobability": 30},
    )
    assert stale.status_code == 412
    assert stale.json()["error"]["message"] == (
        "The version of the existing record doesn't match the RowVersion property provided."
    )
    fresh = (await sim.record(ANNAS_OPEN))["@odata.etag"]
    ok = await sim.api(
        "PATCH",
        f"opportunities({ANNAS_OPEN})",
        token,
        headers={"If-Match": fresh},
        json={"closeprobability": 30},
    )
    assert ok.status_code == 204


async def test_return_representation(sim: SimClient) -> None:
    response = await sim.api(
        "PATCH",
        f"opportunities({ANNAS_OPEN})?$select=closeprobability,cockpit_winprobability",
        await sim.user_token("anna"),
        headers={**STAR, "Prefer": "return=representation"},
        content=b'{"cockpit_winprobability": 12.25, "closeprobability": 12}',
    )
    assert response.status_code == 200
    body = response.json()
    assert body["cockpit_winprobability"] == 12.25 and body["closeprobability"] == 12
    assert body["@odata.etag"].startswith('W/"')


async def test_write_privileges(sim: SimClient) -> None:
    chris = await sim.api(
        "PATCH",
        f"opportunities({ANNAS_OPEN})",
        await sim.user_token("chris"),
        headers=STAR,
        json={"closeprobability": 1},
    )
    assert chris.status_code == 403 and chris.json()["error"]["code"] == "0x80040220"
    assert "is missing prvWriteOpportunity privilege" in chris.json()["error"]["message"]
    anna_on_bens = await sim.api(
        "PATCH",
        f"opportunities({BENS_OPEN})",
        await sim.user_token("anna"),
        headers=STAR,
        json={"closeprobability": 1},
    )
    assert anna_on_bens.status_code == 403
    assert anna_on_bens.json()["error"]["message"].startswith(
        f"Principal with id = {SYSTEMUSERS['anna']['systemuserid']} does not have WriteAccess right(s) "
        f"for record with id = {BENS_OPEN} of entity opportunity."
    )
    ben = await sim.api(
        "PATCH",
        f"opportunities({ANNAS_OPEN})",
        await sim.user_token("ben"),
        headers=STAR,
        json={"closeprobability": 1},
    )
    assert ben.status_code == 204


async def test_secured_column_update_needs_a_profile(sim: SimClient) -> None:
    anna = await sim.api(
        "PATCH",
        f"opportunities({ANNAS_OPEN})",
        await sim.user_token("anna"),
        headers=STAR,
        json={"cockpit_securedscore": 50},
    )
    assert anna.status_code == 403 and anna.json()["error"]["code"] == "0x8004F507"
    ben = await sim.api(
        "PATCH",
        f"opportunities({ANNAS_OPEN})",
        await sim.user_token("ben"),
        headers=STAR,
        json={"cockpit_securedscore": 50},
    )
    assert ben.status_code == 204


async def test_closed_opportunities_follow_the_switch(sim: SimClient) -> None:
    token = await sim.user_token("anna")
    rejected = await sim.api(
        "PATCH",
        f"opportunities({ANNAS_LOST})",
        token,
        headers={**STAR, **DETAILS},
        json={"closeprobability": 5},
    )
    assert rejected.status_code == 400
    error = rejected.json()["error"]
    assert error["code"] == "0x80040265"
    assert error["@Microsoft.PowerApps.CDS.ErrorDetails.SubErrorCode"] == "4711"
    assert (await sim.control("GET", "config")) == {"closed_opportunity_updates": "reject"}

    await sim.control("POST", "config", json={"closed_opportunity_updates": "allow"})
    allowed = await sim.api(
        "PATCH", f"opportunities({ANNAS_WON})", token, headers=STAR, json={"closeprobability": 99}
    )
    assert allowed.status_code == 204

    bad = await sim.http.post(
        f"{sim.pair.org_url}/_sim/config", json={"closed_opportunity_updates": "maybe"}
    )
    assert bad.status_code == 422


async def test_state_changes_need_win_or_lose_and_reopening_is_allowed(sim: SimClient) -> None:
    token = await sim.user_token("anna")
    win = await sim.api(
        "PATCH", f"opportunities({ANNAS_OPEN})", token, headers=STAR, json={"statecode": 1}
    )
    assert win.status_code == 400 and "WinOpportunityRequest" in win.json()["error"]["message"]
    reopen = await sim.api(
        "PATCH", f"opportunities({ANNAS_LOST})", token, headers=STAR, json={"statecode": 0}
    )
    assert reopen.status_code == 204
    record = await sim.record(ANNAS_LOST)
    assert (record["statecode"], record["statuscode"]) == (0, 1)


async def test_body_validation(sim: SimClient) -> None:
    token = await sim.user_token("anna")

    async def patch(body: bytes) -> dict[str, Any]:
        response = await sim.api(
            "PATCH", f"opportunities({ANNAS_OPEN})", token, headers=STAR, content=body
        )
        assert response.status_code == 400, response.text
        result: dict[str, Any] = response.json()["error"]
        return result

    assert (await patch(b'{"closeprobability": 101}'))["code"] == "0x80044331"
    assert (await patch(b'{"closeprobability": 1.5}'))["message"].startswith(
        "Cannot convert the literal '1.5'"
    )
    assert (await patch(b'{"closeprobability": "x"}'))["code"] == "0x0"
    assert "does not exist on type" in (await patch(b'{"nope": 1}'))["message"]
    assert (await patch(b'{"msdyn_opportunityscore": 5}'))[
        "code"
    ] == "0x80040203"  # not valid for update
    assert (
        "maximum allowed length of '300'"
        in (await patch(('{"name": "' + "x" * 301 + '"}').encode()))["message"]
    )
    assert (await patch(b"[1, 2]"))["code"] == "0x0"
    assert (await patch(b"{not json"))["code"] == "0x0"


async def test_who_am_i_and_principal_access(sim: SimClient) -> None:
    anna_id = SYSTEMUSERS["anna"]["systemuserid"]
    token = await sim.user_token("anna")

    async def rights(target: str) -> str:
        response = await sim.api(
            "GET",
            f"systemusers({anna_id})/Microsoft.Dynamics.CRM.RetrievePrincipalAccess(Target=@tid)",
            token,
            params={"@tid": f"{{'@odata.id':'opportunities({target})'}}"},
        )
        assert response.status_code == 200, response.text
        return str(response.json()["AccessRights"])

    assert await rights(ANNAS_OPEN) == "ReadAccess, WriteAccess, AppendToAccess"
    assert await rights(BENS_OPEN) == "ReadAccess"
    missing = await sim.api(
        "GET",
        f"systemusers({anna_id})/Microsoft.Dynamics.CRM.RetrievePrincipalAccess(Target=@tid)",
        token,
        params={"@tid": f"{{'@odata.id':'opportunities({MISSING})'}}"},
    )
    assert missing.status_code == 404


async def test_metadata_entity_attributes_filter_and_casts(sim: SimClient) -> None:
    token = await sim.user_token("anna")
    entity = (
        await sim.api(
            "GET",
            "EntityDefinitions(LogicalName='opportunity')?$select=LogicalName,EntitySetName,"
            "PrimaryIdAttribute,IsOptimisticConcurrencyEnabled",
            token,
        )
    ).json()
    assert (
        entity["EntitySetName"],
        entity["PrimaryIdAttribute"],
        entity["IsOptimisticConcurrencyEnabled"],
    ) == ("opportunities", "opportunityid", True)

    integers = (
        await sim.api(
            "GET",
            "EntityDefinitions(LogicalName='opportunity')/Attributes?$select=LogicalName,AttributeType"
            "&$filter=AttributeType eq Microsoft.Dynamics.CRM.AttributeTypeCode'Integer' and IsValidForUpdate eq true",
            token,
        )
    ).json()
    assert sorted(a["LogicalName"] for a in integers["value"]) == [
        "closeprobability",
        "cockpit_securedscore",
        "cockpit_smallscore",
    ]
    assert integers["value"][0]["@odata.type"] == "#Microsoft.Dynamics.CRM.IntegerAttributeMetadata"

    typed = (
        await sim.api(
            "GET",
            "EntityDefinitions(LogicalName='opportunity')/Attributes(LogicalName='cockpit_winprobability')"
            "/Microsoft.Dynamics.CRM.DecimalAttributeMetadata?$select=LogicalName,MinValue,MaxValue,Precision,DisplayName",
            token,
        )
    ).json()
    assert (typed["MinValue"], typed["MaxValue"], typed["Precision"]) == (0, 100, 2)
    assert typed["DisplayName"]["UserLocalizedLabel"]["Label"] == "Cockpit Win Probability"
    assert {lbl["LanguageCode"] for lbl in typed["DisplayName"]["LocalizedLabels"]} == {1033, 1031}

    secured = (
        await sim.api(
            "GET",
            "EntityDefinitions(LogicalName='opportunity')/Attributes(LogicalName='cockpit_securedscore')"
            "?$select=IsSecured,IsValidForUpdate,AttributeTypeName",
            token,
        )
    ).json()
    assert secured["IsSecured"] is True and secured["AttributeTypeName"] == {"Value": "IntegerType"}

    min_without_cast = await sim.api(
        "GET",
        "EntityDefinitions(LogicalName='opportunity')/Attributes(LogicalName='closeprobability')"
        "?$select=MinValue",
        token,
    )
    assert min_without_cast.status_code == 400
    assert (
        "on type 'Microsoft.Dynamics.CRM.AttributeMetadata'"
        in min_without_cast.json()["error"]["message"]
    )
    wrong_cast = await sim.api(
        "GET",
        "EntityDefinitions(LogicalName='opportunity')/Attributes(LogicalName='name')"
        "/Microsoft.Dynamics.CRM.IntegerAttributeMetadata",
        token,
    )
    assert wrong_cast.status_code == 400
    gone = await sim.api(
        "GET",
        "EntityDefinitions(LogicalName='opportunity')/Attributes(LogicalName='cockpit_nothing')",
        token,
    )
    assert gone.status_code == 404


async def test_metadata_changes_bump_globalmetadataversion(sim: SimClient) -> None:
    token = await sim.user_token("anna")
    prefer = {"Prefer": 'odata.include-annotations="Microsoft.Dynamics.CRM.globalmetadataversion"'}
    path = f"opportunities?$select=name&$filter=opportunityid eq {ANNAS_OPEN}"
    before = (await sim.api("GET", path, token, headers=prefer)).json()[
        "@Microsoft.Dynamics.CRM.globalmetadataversion"
    ]
    changed = await sim.control(
        "POST", "metadata/opportunity/attributes/closeprobability", json={"MaxValue": 50}
    )
    after = (await sim.api("GET", path, token, headers=prefer)).json()[
        "@Microsoft.Dynamics.CRM.globalmetadataversion"
    ]
    assert changed["globalmetadataversion"] == after and int(after) > int(before)
    over = await sim.api(
        "PATCH", f"opportunities({ANNAS_OPEN})", token, headers=STAR, json={"closeprobability": 60}
    )
    assert over.status_code == 400

    await sim.control("DELETE", "metadata/opportunity/attributes/cockpit_scoredouble")
    removed = await sim.api(
        "GET", f"opportunities({ANNAS_OPEN})?$select=cockpit_scoredouble", token
    )
    assert removed.status_code == 400


async def test_batch_changeset_is_atomic_and_continue_on_error_reports_each_part(
    sim: SimClient,
) -> None:
    token = await sim.user_token("anna")
    boundary, changeset = "batch_t1", "changeset_t1"

    def part(method: str, url: str, body: str) -> str:
        return (
            f"Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
            f"{method} {url} HTTP/1.1\r\nContent-Type: application/json\r\nIf-Match: *\r\n\r\n{body}\r\n"
        )

    atomic = (
        f"--{boundary}\r\nContent-Type: multipart/mixed; boundary={changeset}\r\n\r\n"
        f"--{changeset}\r\nContent-ID: 1\r\n"
        + part("PATCH", f"/api/data/v9.2/opportunities({ANNAS_OPEN})", '{"closeprobability": 77}')
        + f"--{changeset}\r\nContent-ID: 2\r\n"
        + part("PATCH", f"/api/data/v9.2/opportunities({BENS_OPEN})", '{"closeprobability": 77}')
        + f"--{changeset}--\r\n--{boundary}--\r\n"
    )
    response = await sim.api(
        "POST",
        "$batch",
        token,
        content=atomic.encode(),
        headers={"Content-Type": f"multipart/mixed; boundary={boundary}"},
    )
    assert response.status_code == 403  # first error becomes the batch status
    assert "HTTP/1.1 403 Forbidden" in response.text and "Content-ID: 2" in response.text
    assert (await sim.record(ANNAS_OPEN))["closeprobability"] == 20  # rolled back

    separate = (
        f"--{boundary}\r\n"
        + part(
            "PATCH",
            f"{sim.pair.org_url}/api/data/v9.2/opportunities({BENS_OPEN})",
            '{"closeprobability": 1}',
        )
        + f"--{boundary}\r\n"
        + part("PATCH", f"opportunities({ANNAS_OPEN})", '{"closeprobability": 66}')
        + f"--{boundary}--\r\n"
    )
    response = await sim.api(
        "POST",
        "$batch",
        token,
        content=separate.encode(),
        headers={
            "Content-Type": f'multipart/mixed; boundary="{boundary}"',
            "Prefer": "odata.continue-on-error",
        },
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("multipart/mixed; boundary=batchresponse_")
    assert response.text.index("403 Forbidden") < response.text.index("204 No Content")
    assert (await sim.record(ANNAS_OPEN))["closeprobability"] == 66
    # The batch is one request in the log.
    log = await sim.request_log()
    assert [e["path"] for e in log].count("/api/data/v9.2/$batch") == 2


async def test_update_multiple_is_all_or_nothing(sim: SimClient) -> None:
    token = await sim.user_token("anna")

    def target(oid: str, value: int) -> dict[str, Any]:
        return {
            "@odata.type": "Microsoft.Dynamics.CRM.opportunity",
            "opportunityid": oid,
            "closeprobability": value,
        }

    failing = await sim.api(
        "POST",
        "opportunities/Microsoft.Dynamics.CRM.UpdateMultiple",
        token,
        json={"Targets": [target(ANNAS_OPEN, 11), target(BENS_OPEN, 11)]},
    )
    assert failing.status_code == 403
    assert (await sim.record(ANNAS_OPEN))["closeprobability"] == 20
    ok = await sim.api(
        "POST",
        "opportunities/Microsoft.Dynamics.CRM.UpdateMultiple",
        await sim.user_token("ben"),
        json={"Targets": [target(ANNAS_OPEN, 11), target(BENS_OPEN, 12)]},
    )
    assert ok.status_code == 204
    assert (await sim.record(BENS_OPEN))["closeprobability"] == 12


async def test_predictive_scores_table(sim: SimClient) -> None:
    app = sim.app_token()
    score = {
        "msdyn_name": "Cockpit",
        "msdyn_score": 64,
        "msdyn_scoretrend": 0,
        "msdyn_grade": 1,  # Grade B (a choice, not text)
        "msdyn_entityid": ANNAS_OPEN,
        "msdyn_entitytype": "opportunity",
    }
    created = await sim.api("POST", "msdyn_predictivescores", app, json=score)
    assert created.status_code == 204, created.text
    duplicate = await sim.api("POST", "msdyn_predictivescores", app, json=score)
    assert duplicate.status_code == 412
    by_key = f"msdyn_predictivescores(msdyn_entityid='{ANNAS_OPEN}',msdyn_entitytype='opportunity')"
    patched = await sim.api(
        "PATCH", by_key, app, headers=STAR, json={"msdyn_score": 70, "msdyn_scoretrend": 1}
    )
    assert patched.status_code == 204
    anna = await sim.user_token("anna")
    read = await sim.api(
        "GET",
        f"{by_key}?$select=msdyn_score,msdyn_scoretrend",
        anna,
        headers={"Prefer": 'odata.include-annotations="*"'},
    )
    assert read.json()["msdyn_score"] == 70
    assert read.json()["msdyn_scoretrend@OData.Community.Display.V1.FormattedValue"] == "Steady"
    assert (
        await sim.api(
            "POST", "msdyn_predictivescores", anna, json={**score, "msdyn_entityid": BENS_OPEN}
        )
    ).status_code == 403


async def test_backdoor_records_resolve_names(sim: SimClient) -> None:
    rows = (await sim.control("GET", "records/opportunities"))["value"]
    assert len(rows) == len(SEED_OPPORTUNITIES)
    first = await sim.record(ANNAS_OPEN)
    assert (
        first["ownerid_name"] == "Anna Adams"
        and first["parentaccountid_name"] == "Contoso Pharmaceuticals"
    )
    short_names = (first["owner_name"], first["account_name"], first["customer_name"])
    assert short_names == ("Anna Adams", "Contoso Pharmaceuticals", "Contoso Pharmaceuticals")
    assert first["transactioncurrency"] == "EUR"
    assert (
        await sim.http.get(f"{sim.pair.org_url}/_sim/records/opportunities/{MISSING}")
    ).status_code == 404
