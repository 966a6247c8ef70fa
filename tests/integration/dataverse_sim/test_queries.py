"""Queries as the Dataverse docs describe them: $orderby, paging with odata.maxpagesize and
$skiptoken, $count, refused query options, string and query functions in $filter, one-to-many
$expand, DELETE, $metadata and the service document, EntityDefinitions by MetadataId and /Keys,
the sql option and names with a lone surrogate — over real HTTPS with real tokens."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import unquote

from tests.integration.dataverse_sim.support import (
    ANNAS_OPEN,
    SEED,
    SEED_OPPORTUNITIES,
    SYSTEMUSERS,
    SimClient,
)

ALL = sorted(SEED_OPPORTUNITIES, key=lambda o: o["opportunityid"])


async def test_orderby_sorts_descending_then_by_the_next_key(sim: SimClient) -> None:
    ben = await sim.user_token("ben")
    body = (
        await sim.api(
            "GET",
            "opportunities?$select=name,estimatedvalue&$orderby=estimatedvalue desc,name",
            ben,
        )
    ).json()
    got = [(row["estimatedvalue"], row["name"]) for row in body["value"]]
    expected = sorted(
        ((o["estimatedvalue"], o["name"]) for o in SEED_OPPORTUNITIES),
        key=lambda pair: (-pair[0], pair[1].lower()),
    )
    assert got == expected
    bad = await sim.api("GET", "opportunities?$orderby=estimatedvalue sideways", ben)
    assert bad.status_code == 400
    unknown = await sim.api("GET", "opportunities?$orderby=Name", ben)
    assert unknown.status_code == 400 and "Could not find a property named 'Name'" in unknown.text


async def test_maxpagesize_pages_through_everything_with_skiptoken(sim: SimClient) -> None:
    ben = await sim.user_token("ben")
    headers = {"Prefer": "odata.maxpagesize=5"}
    response = await sim.api("GET", "opportunities?$select=name&$top=2", ben, headers=headers)
    assert response.headers["Preference-Applied"] == "odata.maxpagesize=5"
    pages: list[list[str]] = []
    while True:
        body = response.json()
        pages.append([row["opportunityid"] for row in body["value"]])
        link = body.get("@odata.nextLink")
        if link is None:
            break
        assert link.startswith(f"{sim.pair.org_url}/api/data/v9.2/opportunities?$select=name")
        assert "$skiptoken=%3Ccookie%20pagenumber=%22" in link
        cookie = unquote(link.split("$skiptoken=", 1)[1])
        assert f'pagenumber="{len(pages) + 1}"' in cookie and 'istracking="False"' in cookie
        # The client follows the link unchanged, with the same preference (page-results.md).
        response = await sim.http.get(
            link,
            headers={"Authorization": f"Bearer {ben}", "Accept": "application/json", **headers},
        )
        assert response.status_code == 200
    # $top is ignored with odata.maxpagesize; every row exactly once, primary-key order.
    assert [len(p) for p in pages] == [min(5, len(ALL) - 5 * i) for i in range(len(pages))]
    assert len(pages) == math.ceil(len(ALL) / 5)
    assert [i for page in pages for i in page] == [o["opportunityid"] for o in ALL]


async def test_count_inline_and_as_a_path_segment(sim: SimClient) -> None:
    ben = await sim.user_token("ben")
    open_count = sum(1 for o in SEED_OPPORTUNITIES if o["statecode"] == 0)
    headers = {
        "Prefer": 'odata.maxpagesize=2,odata.include-annotations="Microsoft.Dynamics.CRM.*"',
    }
    body = (
        await sim.api(
            "GET",
            "opportunities?$select=name&$filter=statecode eq 0&$count=true",
            ben,
            headers=headers,
        )
    ).json()
    assert body["@odata.count"] == open_count and len(body["value"]) == 2
    assert body["@Microsoft.Dynamics.CRM.totalrecordcount"] == open_count
    assert body["@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded"] is False
    assert list(body)[:2] == ["@odata.context", "@odata.count"]
    plain = await sim.api("GET", "opportunities/$count", ben)
    assert plain.status_code == 200 and plain.headers["content-type"].startswith("text/plain")
    assert plain.text == str(len(SEED_OPPORTUNITIES))
    eva = await sim.api("GET", "opportunities/$count", await sim.user_token("eva"))
    owned = [
        o for o in SEED_OPPORTUNITIES if o["_ownerid_value"] == SYSTEMUSERS["eva"]["systemuserid"]
    ]
    assert eva.text == str(len(owned))  # rows outside the read depth are not counted


async def test_unsupported_query_options_are_refused_not_ignored(sim: SimClient) -> None:
    ben = await sim.user_token("ben")
    for query in ("$skip=2", "$search=x", "foo=1", "$count=maybe", "$top=-1"):
        response = await sim.api("GET", f"opportunities?{query}", ben)
        assert response.status_code == 400, query
        assert response.json()["error"]["message"]
    skip = await sim.api("GET", "opportunities?$skip=2", ben)
    assert skip.json()["error"] == {
        "code": "0x80060888",
        "message": "The query parameter '$skip' is not supported.",
    }


async def test_a_lookup_by_primary_key_is_the_whole_filter_under_the_read_depth(
    sim: SimClient,
) -> None:
    """The simulator seeks the row a primary-key equality names; the rest of the filter and the
    caller's read depth still apply, and a GUID matches in any case."""
    ben, eva = await sim.user_token("ben"), await sim.user_token("eva")

    async def names(expression: str, token: str = ben) -> list[str]:
        response = await sim.api("GET", f"opportunities?$select=name&$filter={expression}", token)
        assert response.status_code == 200, response.text
        return [row["name"] for row in response.json()["value"]]

    anna_open = next(o for o in SEED_OPPORTUNITIES if o["opportunityid"] == ANNAS_OPEN)
    assert await names(f"opportunityid eq {ANNAS_OPEN}") == [anna_open["name"]]
    assert await names(f"opportunityid eq {ANNAS_OPEN.upper()}") == [anna_open["name"]]
    assert await names(f"name eq 'nothing' and opportunityid eq {ANNAS_OPEN}") == []
    other = ALL[-1]["name"]
    either = await names(f"opportunityid eq {ANNAS_OPEN} or name eq '{other}'")
    assert sorted(either) == sorted(
        o["name"]
        for o in SEED_OPPORTUNITIES
        if o["opportunityid"] == ANNAS_OPEN or o["name"] == other
    )
    assert await names("opportunityid eq 0aa00000-0000-4000-8000-0000000000ff") == []
    assert await names(f"opportunityid eq {ANNAS_OPEN}", eva) == []  # Eva reads only her own


async def test_string_and_query_functions_in_filter(sim: SimClient) -> None:
    ben = await sim.user_token("ben")

    async def names(expression: str, token: str = ben) -> list[str]:
        response = await sim.api("GET", f"opportunities?$select=name&$filter={expression}", token)
        assert response.status_code == 200, response.text
        return sorted(row["name"] for row in response.json()["value"])

    def seed_names(predicate: Any) -> list[str]:
        return sorted(o["name"] for o in SEED_OPPORTUNITIES if predicate(o))

    assert await names("contains(name,'ROLL')") == seed_names(lambda o: "roll" in o["name"].lower())
    assert await names("startswith(name,'crm')") == seed_names(
        lambda o: o["name"].lower().startswith("crm")
    )
    assert await names("endswith(name,'2027')") == seed_names(lambda o: o["name"].endswith("2027"))
    some = [o["opportunityid"] for o in ALL[:3]]
    listed = ",".join(f"'{i}'" for i in some)
    assert await names(
        f"Microsoft.Dynamics.CRM.In(PropertyName='opportunityid',PropertyValues=[{listed}])"
    ) == seed_names(lambda o: o["opportunityid"] in some)
    assert await names(
        f"Microsoft.Dynamics.CRM.NotIn(PropertyName='opportunityid',PropertyValues=[{listed}])"
    ) == seed_names(lambda o: o["opportunityid"] not in some)
    assert await names(
        "Microsoft.Dynamics.CRM.Between(PropertyName='estimatedvalue',PropertyValues=['50000','100000'])"
    ) == seed_names(lambda o: 50000 <= o["estimatedvalue"] <= 100000)
    anna = await sim.user_token("anna")
    anna_id = SYSTEMUSERS["anna"]["systemuserid"]
    assert await names(
        "Microsoft.Dynamics.CRM.EqualUserId(PropertyName='ownerid')", anna
    ) == seed_names(lambda o: o["_ownerid_value"] == anna_id)
    unknown = await sim.api("GET", "opportunities?$filter=length(name) gt 3", ben)
    assert unknown.status_code == 400


async def test_one_to_many_expand_with_nested_options_and_security(sim: SimClient) -> None:
    account = SEED_OPPORTUNITIES[0]["_parentaccountid_value"]
    related = sorted(
        (o for o in SEED_OPPORTUNITIES if o["_parentaccountid_value"] == account),
        key=lambda o: o["name"].lower(),
        reverse=True,
    )
    path = (
        f"accounts({account})?$select=name&$expand=opportunity_parent_account("
        "$select=name,statecode;$filter=statecode eq 0;$orderby=name desc;$top=5)"
    )
    body = (await sim.api("GET", path, await sim.user_token("ben"))).json()
    expected = [o["name"] for o in related if o["statecode"] == 0][:5]
    assert [row["name"] for row in body["opportunity_parent_account"]] == expected
    assert all("@odata.etag" in row for row in body["opportunity_parent_account"])
    # Eva may read only her own opportunities: the expanded collection leaves the others out.
    eva_view = (await sim.api("GET", path, await sim.user_token("eva"))).json()
    assert eva_view["opportunity_parent_account"] == []
    bad = await sim.api(
        "GET",
        f"opportunities({ANNAS_OPEN})?$expand=parentaccountid($top=1)",
        await sim.user_token("ben"),
    )
    assert bad.status_code == 400


async def test_delete_needs_the_privilege_and_answers_204_then_404(sim: SimClient) -> None:
    ben = await sim.user_token("ben")
    target = SEED_OPPORTUNITIES[-1]["opportunityid"]
    denied = await sim.api("DELETE", f"opportunities({target})", ben)
    assert denied.status_code == 403 and "prvDeleteOpportunity" in denied.json()["error"]["message"]
    await sim.control(
        "POST",
        f"users/{SYSTEMUSERS['ben']['systemuserid']}",
        json={"privileges": {"prvDeleteOpportunity": "Organization"}},
    )
    deleted = await sim.api("DELETE", f"opportunities({target})", ben)
    assert deleted.status_code == 204 and deleted.content == b""
    gone = await sim.api("GET", f"opportunities({target})", ben)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "0x80040217"
    again = await sim.api("DELETE", f"opportunities({target})", ben)
    assert again.status_code == 404


async def test_service_document_and_metadata(sim: SimClient) -> None:
    ben = await sim.user_token("ben")
    service = (await sim.api("GET", "", ben)).json()
    assert service["@odata.context"] == f"{sim.pair.org_url}/api/data/v9.2/$metadata"
    assert {"name": "opportunities", "kind": "EntitySet", "url": "opportunities"} in service[
        "value"
    ]
    metadata = await sim.api("GET", "$metadata", ben)
    assert metadata.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(metadata.content)
    edm = "{http://docs.oasis-open.org/odata/ns/edm}"
    types = {t.get("Name"): t for t in root.iter(f"{edm}EntityType")}
    opportunity = types["opportunity"]
    assert opportunity.find(f"{edm}Key/{edm}PropertyRef").get("Name") == "opportunityid"  # type: ignore[union-attr]
    properties = {p.get("Name"): p.get("Type") for p in opportunity.iter(f"{edm}Property")}
    assert properties["closeprobability"] == "Edm.Int32"
    assert properties["_ownerid_value"] == "Edm.Guid"
    navigation = {
        n.get("Name"): n.get("Type") for n in types["account"].iter(f"{edm}NavigationProperty")
    }
    assert navigation["opportunity_parent_account"] == "Collection(mscrm.opportunity)"
    sets = {s.get("Name") for s in root.iter(f"{edm}EntitySet")}
    assert {"opportunities", "accounts", "systemusers"} <= sets


async def test_entity_definitions_by_metadataid_and_keys(sim: SimClient) -> None:
    ben = await sim.user_token("ben")
    by_name = (
        await sim.api(
            "GET", "EntityDefinitions(LogicalName='opportunity')?$select=LogicalName", ben
        )
    ).json()
    by_id = (
        await sim.api("GET", f"EntityDefinitions({by_name['MetadataId']})?$select=LogicalName", ben)
    ).json()
    assert by_id["LogicalName"] == "opportunity" and by_id["MetadataId"] == by_name["MetadataId"]
    no_keys = (
        await sim.api("GET", "EntityDefinitions(LogicalName='opportunity')/Keys", ben)
    ).json()
    assert no_keys["value"] == []
    keys = (
        await sim.api("GET", "EntityDefinitions(LogicalName='msdyn_predictivescore')/Keys", ben)
    ).json()["value"]
    assert [k["KeyAttributes"] for k in keys] == [["msdyn_entityid", "msdyn_entitytype"]]
    assert keys[0]["EntityKeyIndexStatus"] == "Active"
    missing = await sim.api("GET", "EntityDefinitions(00000000-0000-4000-8000-000000000000)", ben)
    assert missing.status_code == 404


async def test_sql_query_option_subset(sim: SimClient) -> None:
    ben = await sim.user_token("ben")
    response = await sim.api(
        "GET", "accounts?sql=SELECT TOP 2 name FROM account ORDER BY name DESC", ben
    )
    assert response.status_code == 200, response.text
    names = sorted((a["name"] for a in SEED["dataverse"]["accounts"]), key=str.lower, reverse=True)
    assert [row["name"] for row in response.json()["value"]] == names[:2]
    like = await sim.api(
        "GET", "accounts?sql=SELECT name FROM account WHERE name LIKE 'Contoso%'", ben
    )
    assert [row["name"] for row in like.json()["value"]] == [
        a["name"] for a in SEED["dataverse"]["accounts"] if a["name"].startswith("Contoso")
    ]
    for refused in ("SELECT * FROM account", "SELECT name FROM account a JOIN contact c ON 1=1"):
        assert (await sim.api("GET", f"accounts?sql={refused}", ben)).status_code == 400


async def test_a_name_with_a_lone_surrogate_round_trips(sim: SimClient) -> None:
    ben = await sim.user_token("ben")
    body = b'{"name": "Half \\ud800 pair"}'
    written = await sim.api(
        "PATCH",
        f"opportunities({ANNAS_OPEN})",
        ben,
        headers={"If-Match": "*", "Content-Type": "application/json"},
        content=body,
    )
    assert written.status_code == 204
    read = await sim.api("GET", f"opportunities({ANNAS_OPEN})?$select=name", ben)
    assert read.status_code == 200 and json.loads(read.content)["name"] == "Half \ud800 pair"
    listed = await sim.api("GET", "opportunities?$select=name", ben)
    assert listed.status_code == 200
    assert (await sim.control("GET", f"records/opportunities/{ANNAS_OPEN}"))["name"].startswith(
        "Half"
    )
