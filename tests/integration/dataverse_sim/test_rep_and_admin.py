"""What the rep UX and the admin console read and write: follow-up tasks regarding an opportunity
(binding, Append/AppendTo/Assign privileges, visible per opportunity), the application user's
state and privileges for health checks, 10,000 opportunities updated through UpdateMultiple, paged
queries over closed opportunities, and users' full names."""

from __future__ import annotations

import time
import uuid
from typing import Any

from tests.integration.dataverse_sim.support import (
    ANNAS_OPEN,
    APP_USER,
    BENS_OPEN,
    COCKPIT,
    SEED_OPPORTUNITIES,
    SYSTEMUSERS,
    SimClient,
)

REPRESENTATION = {"Prefer": "return=representation"}
# What a "follow-up tasks" role adds to the demo's reps (an admin assigns it in Dynamics):
# linking tasks to opportunities (AppendTo) and giving a task to the opportunity's owner (Assign).
TASK_ROLE = {
    "anna": {"prvAppendToOpportunity": "Organization", "prvAssignActivity": "Organization"},
    "eva": {"prvAppendToOpportunity": "User"},
}


async def _grant_task_role(sim: SimClient) -> None:
    for who, privileges in TASK_ROLE.items():
        await sim.control(
            "POST", f"users/{SYSTEMUSERS[who]['systemuserid']}", json={"privileges": privileges}
        )


def _task(opportunity: str, owner: str, subject: str = "Call the buyer") -> dict[str, Any]:
    return {
        "subject": subject,
        "regardingobjectid_opportunity_task@odata.bind": f"/opportunities({opportunity})",
        "ownerid@odata.bind": f"/systemusers({owner})",
    }


async def test_a_task_for_the_owner_regarding_the_opportunity(sim: SimClient) -> None:
    await _grant_task_role(sim)
    anna = await sim.user_token("anna")
    ben_id = SYSTEMUSERS["ben"]["systemuserid"]
    created = await sim.api(
        "POST", "tasks", anna, headers=REPRESENTATION, json=_task(BENS_OPEN, ben_id)
    )
    assert created.status_code == 201, created.text
    task = created.json()
    assert task["_regardingobjectid_value"] == BENS_OPEN and task["_ownerid_value"] == ben_id
    assert task["statecode"] == 0 and task["statuscode"] == 2  # Open / Not Started
    assert created.headers["OData-EntityId"].endswith(f"tasks({task['activityid']})")
    timeline = (
        await sim.api(
            "GET",
            f"opportunities({BENS_OPEN})?$select=name&$expand=Opportunity_Tasks($select=subject)",
            anna,
        )
    ).json()
    assert [t["subject"] for t in timeline["Opportunity_Tasks"]] == ["Call the buyer"]
    listed = await sim.api(
        "GET", f"tasks?$select=subject&$filter=_regardingobjectid_value eq {BENS_OPEN}", anna
    )
    assert [t["subject"] for t in listed.json()["value"]] == ["Call the buyer"]


async def test_task_privileges_append_to_and_assign(sim: SimClient) -> None:
    await _grant_task_role(sim)
    ben_id = SYSTEMUSERS["ben"]["systemuserid"]
    eva_id = SYSTEMUSERS["eva"]["systemuserid"]
    eva = await sim.user_token("eva")
    # Eva may append to her own opportunities only (prvAppendToOpportunity at User depth).
    denied = await sim.api("POST", "tasks", eva, json=_task(BENS_OPEN, eva_id))
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "0x80048306"
    assert "AppendToAccess" in denied.json()["error"]["message"]
    own = next(o for o in SEED_OPPORTUNITIES if o["_ownerid_value"] == eva_id)["opportunityid"]
    assert (await sim.api("POST", "tasks", eva, json=_task(own, eva_id))).status_code == 204
    # Giving the task to someone else needs prvAssignActivity, which Eva lacks.
    assign = await sim.api("POST", "tasks", eva, json=_task(own, ben_id))
    assert assign.status_code == 403 and "prvAssignActivity" in assign.json()["error"]["message"]
    chris = await sim.user_token("chris")
    no_append_to = await sim.api(
        "POST", "tasks", chris, json=_task(ANNAS_OPEN, SYSTEMUSERS["chris"]["systemuserid"])
    )
    assert no_append_to.status_code == 403
    assert "prvAppendToOpportunity" in no_append_to.json()["error"]["message"]
    # The regarding navigation property is regardingobjectid_opportunity_task; another name is
    # an undeclared property.
    wrong = await sim.api(
        "POST",
        "tasks",
        await sim.user_token("anna"),
        json={
            "subject": "x",
            "regardingobjectid_opportunity@odata.bind": f"/opportunities({ANNAS_OPEN})",
        },
    )
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "0x0"


async def test_application_user_state_and_privileges_for_health(sim: SimClient) -> None:
    ben = await sim.user_token("ben")
    found = await sim.api(
        "GET",
        f"systemusers?$select=fullname,isdisabled&$filter=applicationid eq {COCKPIT['client_id']}",
        ben,
    )
    (row,) = found.json()["value"]
    assert row["systemuserid"] == APP_USER["systemuserid"] and row["isdisabled"] is False
    privileges = await sim.api(
        "GET",
        f"systemusers({APP_USER['systemuserid']})/Microsoft.Dynamics.CRM.RetrieveUserPrivileges()",
        ben,
    )
    assert privileges.status_code == 200, privileges.text
    depth = {p["PrivilegeName"]: p["Depth"] for p in privileges.json()["RolePrivileges"]}
    for name, level in APP_USER["privileges"].items():
        expected = {"User": "Basic", "BusinessUnit": "Local", "Organization": "Global"}[level]
        assert depth[name] == expected
    await sim.control("POST", f"users/{APP_USER['systemuserid']}", json={"isdisabled": True})
    again = await sim.api(
        "GET", f"systemusers({APP_USER['systemuserid']})?$select=isdisabled,fullname", ben
    )
    assert again.json()["isdisabled"] is True
    name = await sim.api(
        "GET",
        f"systemusers({SYSTEMUSERS['ben']['systemuserid']})?$select=fullname",
        await sim.user_token("anna"),
    )
    assert name.json()["fullname"] == "Ben Becker"


async def test_update_multiple_over_10000_opportunities(sim: SimClient) -> None:
    started = time.monotonic()
    ids = [str(uuid.uuid4()) for _ in range(10_000)]
    rows = [
        {
            "opportunityid": i,
            "name": f"Bulk {n}",
            "_ownerid_value": SYSTEMUSERS["ben"]["systemuserid"],
            "estimatedvalue": 1000,
        }
        for n, i in enumerate(ids)
    ]
    inserted = await sim.control("POST", "records/opportunities", json={"rows": rows})
    assert inserted == {"inserted": 10_000}
    await sim.clear_log()
    ben = await sim.user_token("ben")
    for start in range(0, len(ids), 1000):
        targets = [
            {
                "@odata.type": "Microsoft.Dynamics.CRM.opportunity",
                "opportunityid": i,
                "closeprobability": 42,
            }
            for i in ids[start : start + 1000]
        ]
        response = await sim.api(
            "POST",
            "opportunities/Microsoft.Dynamics.CRM.UpdateMultiple",
            ben,
            json={"Targets": targets},
        )
        assert response.status_code == 204, response.text
    assert len(await sim.request_log()) == 10  # 1 % of one PATCH per record
    counted = await sim.api("GET", "opportunities/$count?$filter=closeprobability eq 42", ben)
    assert counted.text == "5000"  # $count stops at 5,000 (count-rows.md)
    sample = await sim.record(ids[-1])
    assert sample["closeprobability"] == 42
    assert time.monotonic() - started < 60


async def test_paged_query_over_closed_opportunities_of_a_page_of_ids(sim: SimClient) -> None:
    ben = await sim.user_token("ben")
    page_ids = [o["opportunityid"] for o in SEED_OPPORTUNITIES]
    listed = ",".join(f"'{i}'" for i in page_ids)
    query = (
        "opportunities?$select=name,statecode,actualclosedate"
        f"&$filter=statecode ne 0 and Microsoft.Dynamics.CRM.In(PropertyName='opportunityid',"
        f"PropertyValues=[{listed}])&$orderby=actualclosedate desc"
    )
    response = await sim.api("GET", query, ben, headers={"Prefer": "odata.maxpagesize=1"})
    rows: list[dict[str, Any]] = []
    while True:
        body = response.json()
        rows.extend(body["value"])
        if "@odata.nextLink" not in body:
            break
        response = await sim.http.get(
            body["@odata.nextLink"],
            headers={"Authorization": f"Bearer {ben}", "Prefer": "odata.maxpagesize=1"},
        )
    closed = sorted(
        (o for o in SEED_OPPORTUNITIES if o["statecode"] != 0),
        key=lambda o: o["actualclosedate"],
        reverse=True,
    )
    assert [(r["name"], r["actualclosedate"]) for r in rows] == [
        (o["name"], o["actualclosedate"]) for o in closed
    ]
