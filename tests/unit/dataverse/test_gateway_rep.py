"""Gateway operations behind the rep's pages: a page of opportunities in one In query, users'
names, follow-up tasks, Dynamics' predictive score upsert and the table check."""

from __future__ import annotations

import json
from datetime import date
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest

from shared.domain.crm import FollowUpTask, PredictiveScore
from shared.domain.errors import CrmAccessDenied, CrmRecordNotFound, InvalidInput
from tests.unit.dataverse.helpers import (
    OPP,
    ORG,
    USER,
    caller,
    collection,
    error,
    json_response,
    make_gateway,
    opportunity_row,
)

OPP2 = "0aa00000-0000-4000-8000-000000000002"
OID = "a1000000-0000-4000-8000-000000000001"


def query_of(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(str(request.url)).query).items()}


async def test_a_page_of_opportunities_is_one_in_query() -> None:
    gateway, recorder, _ = make_gateway(
        lambda r: collection([opportunity_row(), opportunity_row(opportunityid=OPP2)])
    )
    found = await gateway.get_opportunities(
        org=ORG, opportunity_ids=[OPP.upper(), OPP2, OPP], caller=caller()
    )
    assert len(recorder.requests) == 1
    query = query_of(recorder.requests[0])
    assert query["$filter"] == (
        f"Microsoft.Dynamics.CRM.In(PropertyName='opportunityid',PropertyValues=['{OPP}','{OPP2}'])"
    )
    assert query["$expand"] == "parentaccountid($select=name)"
    assert "OData.Community.Display.V1.FormattedValue" in recorder.requests[0].headers["Prefer"]
    assert [o.id for o in found] == [OPP, OPP2]


async def test_no_ids_no_request_and_too_many_are_refused() -> None:
    gateway, recorder, _ = make_gateway(lambda r: collection([]))
    assert await gateway.get_opportunities(org=ORG, opportunity_ids=[], caller=caller()) == []
    ids = [f"0aa00000-0000-4000-8000-{i:012d}" for i in range(51)]
    with pytest.raises(InvalidInput):
        await gateway.get_opportunities(org=ORG, opportunity_ids=ids, caller=caller())
    assert recorder.requests == []


async def test_the_owner_comes_with_the_read() -> None:
    gateway, _, _ = make_gateway(lambda r: collection([opportunity_row()]))
    opp = await gateway.get_opportunity(org=ORG, opportunity_id=OPP, caller=caller())
    assert opp.owner_id == USER and opp.owner_type == "systemuser"


async def test_user_names_are_one_query_by_entra_object_id() -> None:
    answer = json_response(
        200,
        {"value": [{"fullname": "Ben Becker", "azureactivedirectoryobjectid": OID.upper()}]},
    )
    gateway, recorder, _ = make_gateway(lambda r: answer)
    names = await gateway.user_names(org=ORG, object_ids=[OID, OID], caller=caller())
    assert names == {OID: "Ben Becker"}
    assert len(recorder.requests) == 1
    query = query_of(recorder.requests[0])
    assert query["$filter"] == f"azureactivedirectoryobjectid eq {OID}"
    assert query["$select"] == "fullname,azureactivedirectoryobjectid"
    assert await gateway.user_names(org=ORG, object_ids=[], caller=caller()) == {}
    assert len(recorder.requests) == 1


async def test_a_follow_up_task_regards_the_opportunity_and_belongs_to_its_owner() -> None:
    entity_id = f"{ORG.url}/api/data/v9.2/tasks(7a5c0000-0000-4000-8000-000000000001)"
    gateway, recorder, _ = make_gateway(
        lambda r: httpx.Response(204, headers={"OData-EntityId": entity_id})
    )
    task = FollowUpTask(
        opportunity_id=OPP,
        subject="Follow-up: Budget?",
        description="Ask who owns the budget.",
        owner_id=USER,
        owner_type="systemuser",
    )
    task_id = await gateway.create_task(org=ORG, task=task, caller=caller())
    assert task_id == "7a5c0000-0000-4000-8000-000000000001"
    request = recorder.requests[0]
    assert request.method == "POST" and unquote(request.url.path) == "/api/data/v9.2/tasks"
    body = json.loads(request.content)
    assert body == {
        "subject": "Follow-up: Budget?",
        "description": "Ask who owns the budget.",
        "regardingobjectid_opportunity_task@odata.bind": f"/opportunities({OPP})",
        "ownerid@odata.bind": f"/systemusers({USER})",
    }
    team = FollowUpTask(OPP, "s", "d", owner_id=USER, owner_type="team")
    await gateway.create_task(org=ORG, task=team, caller=caller())
    assert json.loads(recorder.requests[1].content)["ownerid@odata.bind"] == f"/teams({USER})"


async def test_a_refused_task_is_the_domain_error() -> None:
    gateway, _, _ = make_gateway(lambda r: error(403, "0x80040220", "missing prvCreateActivity"))
    with pytest.raises(CrmAccessDenied):
        await gateway.create_task(
            org=ORG, task=FollowUpTask(OPP, "s", "d", USER, "systemuser"), caller=caller()
        )


async def test_the_predictive_score_is_an_upsert_by_alternate_key() -> None:
    gateway, recorder, _ = make_gateway(lambda r: httpx.Response(204))
    score = PredictiveScore(
        opportunity_id=OPP, score=57, trend=0, grade=1, scored_on=date(2026, 11, 22)
    )
    await gateway.upsert_predictive_score(org=ORG, score=score, caller=caller())
    request = recorder.requests[0]
    assert request.method == "PATCH"
    assert unquote(request.url.path) == (
        f"/api/data/v9.2/msdyn_predictivescores(msdyn_entityid='{OPP}',"
        "msdyn_entitytype='opportunity')"
    )
    assert "If-Match" not in request.headers and "If-None-Match" in request.headers
    assert json.loads(request.content) == {
        "msdyn_score": 57,
        "msdyn_scoretrend": 0,
        "msdyn_grade": 1,
        "msdyn_scoredon": "2026-11-22",
    }


async def test_a_missing_score_table_is_not_found_and_the_check_says_no() -> None:
    missing = error(
        404, "0x8006088a", "Resource not found for the segment 'msdyn_predictivescores'."
    )
    gateway, recorder, _ = make_gateway(lambda r: missing)
    with pytest.raises(CrmRecordNotFound):
        await gateway.upsert_predictive_score(
            org=ORG, score=PredictiveScore(OPP, 1, 3, 3, date(2026, 1, 1)), caller=caller()
        )
    assert (
        await gateway.table_exists(org=ORG, logical_name="msdyn_predictivescore", caller=caller())
        is False
    )
    assert "EntityDefinitions(LogicalName='msdyn_predictivescore')" in unquote(
        str(recorder.requests[-1].url)
    )
    present, _, _ = make_gateway(lambda r: json_response(200, {"LogicalName": "x"}))
    assert await present.table_exists(
        org=ORG, logical_name="msdyn_predictivescore", caller=caller()
    )


async def test_field_labels_keep_every_language() -> None:
    attribute = {
        "LogicalName": "closeprobability",
        "AttributeType": "Integer",
        "DisplayName": {
            "LocalizedLabels": [
                {"Label": "Probability", "LanguageCode": 1033},
                {"Label": "Wahrscheinlichkeit", "LanguageCode": 1031},
            ],
            "UserLocalizedLabel": {"Label": "Probability", "LanguageCode": 1033},
        },
        "IsValidForUpdate": True,
    }
    answers = iter(
        [json_response(200, attribute), json_response(200, {"MinValue": 0, "MaxValue": 100})]
    )
    gateway, _, _ = make_gateway(lambda r: next(answers))
    info = await gateway.field_info(org=ORG, field="closeprobability", caller=caller())
    assert info.label(1031) == "Wahrscheinlichkeit" and info.label(1033) == "Probability"
    assert info.label(1036) == "Probability"  # unknown language: what Dataverse gave the reader
