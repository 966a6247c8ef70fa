"""Microsoft's ``PowerPlatform-Dataverse-Client`` (1.1.0), unmodified, against the simulators.

Each assertion states what Microsoft's documentation says the operation returns
(MicrosoftDocs/powerapps-docs developer/data-platform/webapi/…), computed from the seed or from
what the test wrote — never read back from the simulator's own bookkeeping:
- create → the new row's id from ``OData-EntityId`` (create-entity-web-api.md); retrieve → the
  row; update → the changed column; delete → gone, so ``retrieve`` returns None (404);
- list with ``$filter``/``$orderby`` and ``odata.maxpagesize`` → every matching row exactly once,
  in order, in pages no larger than asked (query/order-rows.md, query/page-results.md);
- ``$count=true`` → ``@odata.count`` (query/count-rows.md); ``SELECT TOP 2`` → two rows;
- columns of a table → ``EntityDefinitions(...)/Attributes`` (query-metadata-web-api.md);
- ``$batch`` with a change set → one response per operation, in order
  (execute-batch-operations-using-web-api.md).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from azure.identity import ClientSecretCredential
from PowerPlatform.Dataverse.client import DataverseClient

from tests.integration.dataverse_sim.support import APP_USER, COCKPIT, SEED, TENANT, SimClient

ACCOUNTS: list[dict[str, Any]] = SEED["dataverse"]["accounts"]
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def secret_credential(sim: SimClient) -> ClientSecretCredential:
    return ClientSecretCredential(
        TENANT,
        COCKPIT["client_id"],
        COCKPIT["secret"],
        authority=sim.pair.entra_url,
        connection_verify=str(sim.pair.tls.ca_cert),
        disable_instance_discovery=True,
    )


async def grant_accounts(sim: SimClient) -> None:
    """An admin gives the application user a role that creates, writes and deletes accounts."""
    await sim.control(
        "POST",
        f"users/{APP_USER['systemuserid']}",
        json={
            "privileges": {
                "prvCreateAccount": "Organization",
                "prvWriteAccount": "Organization",
                "prvDeleteAccount": "Organization",
            }
        },
    )


@pytest.fixture
async def client(sim: SimClient) -> Any:
    await grant_accounts(sim)
    with DataverseClient(sim.pair.org_url, secret_credential(sim)) as dataverse:
        yield dataverse


def test_create_retrieve_update_delete(client: DataverseClient) -> None:
    record_id = client.records.create("account", {"name": "Conformance Ltd"})
    assert GUID.match(record_id)
    record = client.records.retrieve("account", record_id, select=["name"])
    assert record is not None and record["name"] == "Conformance Ltd"
    client.records.update("account", record_id, {"name": "Conformance Renamed"})
    renamed = client.records.retrieve("account", record_id, select=["name"])
    assert renamed is not None and renamed["name"] == "Conformance Renamed"
    client.records.delete("account", record_id)
    assert client.records.retrieve("account", record_id) is None


def test_create_many_uses_create_multiple(client: DataverseClient) -> None:
    ids = client.records.create("account", [{"name": "Bulk One"}, {"name": "Bulk Two"}])
    assert len(ids) == 2 and all(GUID.match(i) for i in ids)
    names = [client.records.retrieve("account", i, select=["name"]) for i in ids]
    assert [r["name"] for r in names if r is not None] == ["Bulk One", "Bulk Two"]


def test_list_with_filter_order_and_paging(client: DataverseClient) -> None:
    expected = sorted(
        (a["name"] for a in ACCOUNTS if "o" in a["name"].lower()), key=str.lower, reverse=True
    )
    result = client.records.list(
        "account",
        filter="contains(name,'o')",
        select=["name"],
        orderby=["name desc"],
        page_size=3,
    )
    assert [r["name"] for r in result] == expected
    pages = list(
        client.records.list_pages("account", select=["name"], orderby=["name asc"], page_size=5)
    )
    sizes = [len(list(page)) for page in pages]
    assert sum(sizes) == len(ACCOUNTS) and max(sizes) <= 5 and len(pages) > 1
    everything = [r["name"] for page in pages for r in page]
    assert everything == sorted((a["name"] for a in ACCOUNTS), key=str.lower)


def test_top_limits_a_list_and_a_sql_select(client: DataverseClient) -> None:
    top = client.records.list("account", select=["name"], orderby=["name asc"], top=2)
    ordered = sorted((a["name"] for a in ACCOUNTS), key=str.lower)
    assert [r["name"] for r in top] == ordered[:2]
    rows = client.query.sql("SELECT TOP 2 name FROM account ORDER BY name")
    assert [r["name"] for r in rows] == ordered[:2]


def test_count_through_a_batched_list(client: DataverseClient) -> None:
    batch = client.batch.new()
    batch.records.list("account", select=["name"], filter="contains(name,'toys')", count=True)
    result = batch.execute()
    (item,) = result.responses
    assert item.status_code == 200 and item.data is not None
    toys = [a for a in ACCOUNTS if "toys" in a["name"].lower()]
    assert item.data["@odata.count"] == len(toys) == len(item.data["value"])


def test_columns_of_a_table(client: DataverseClient) -> None:
    columns = client.tables.list_columns("opportunity", select=["LogicalName", "AttributeType"])
    seeded = {
        a["LogicalName"]: a["AttributeType"]
        for a in SEED["dataverse"]["metadata"]["opportunity"]["Attributes"]
    }
    got = {c["LogicalName"]: c["AttributeType"] for c in columns}
    assert {k: got.get(k) for k in seeded} == seeded
    info = client.tables.get("opportunity")
    assert info is not None and info.entity_set_name == "opportunities"


def test_batch_with_a_change_set(client: DataverseClient) -> None:
    batch = client.batch.new()
    with batch.changeset() as changes:
        first = changes.records.create("account", {"name": "Batch One"})
        changes.records.update("account", first, {"name": "Batch One Renamed"})
    batch.records.create("account", {"name": "Batch Two"})
    result = batch.execute()
    assert [r.status_code for r in result.responses] == [204, 204, 204]
    created = [r.entity_id for r in result.responses if r.entity_id]
    names = sorted(
        r["name"]
        for r in (client.records.retrieve("account", i, select=["name"]) for i in created)
        if r is not None
    )
    assert names[:1] == ["Batch One Renamed"] and "Batch Two" in names
