"""The demo CRM page follows the org's language, shows every numeric column of the opportunity
(a column an admin adds appears), and survives a name with a lone surrogate."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import httpx
import pytest

from devstack.process import ManagedProcess, free_port
from tests.integration.crm_demo.conftest import CrmWorld
from tests.integration.crm_demo.helpers import demo_process, parse

RECORD = "0aa00000-0000-4000-8000-000000000001"


def _form(client: httpx.Client, record: str = RECORD) -> httpx.Response:
    return client.get(f"/main.aspx?etn=opportunity&id={record}&pagetype=entityrecord")


@pytest.fixture
def sim(crm_world: CrmWorld) -> Iterator[httpx.Client]:
    context = ssl.create_default_context(cafile=str(crm_world.tls.ca_cert))
    with httpx.Client(base_url=crm_world.dataverse_url, verify=context, trust_env=False) as client:
        yield client
        client.post("/_sim/reset")


@pytest.fixture
def client(crm_world: CrmWorld) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=crm_world.crm_url, timeout=10, trust_env=False) as c:
        yield c


def test_every_numeric_column_is_on_the_form_with_its_label(
    crm_world: CrmWorld, client: httpx.Client, sim: httpx.Client
) -> None:
    attributes = crm_world.seed["dataverse"]["metadata"]["opportunity"]["Attributes"]
    numeric = [
        a
        for a in attributes
        if a["AttributeType"] in ("Integer", "BigInt", "Decimal", "Double", "Money")
    ]
    page = parse(_form(client).text)
    for column in numeric:
        row = page.by_id(f"label-{column['LogicalName']}")
        if column["LogicalName"] not in ("closeprobability", "estimatedvalue"):
            assert row.text.strip() == column["DisplayName"]["en"], column["LogicalName"]
    # An admin adds a column in Dynamics: it shows without restarting the page.
    added = sim.post(
        "/_sim/metadata/opportunity/attributes/cockpit_newtarget",
        json={
            "AttributeType": "Decimal",
            "DisplayName": {"en": "New Target", "de": "Neues Ziel"},
            "MinValue": 0,
            "MaxValue": 100000,
            "Precision": 1,
        },
    )
    assert added.status_code == 200, added.text
    written = sim.patch(f"/_sim/records/opportunities/{RECORD}", json={"cockpit_newtarget": 1234.5})
    assert written.status_code == 200, written.text
    page = parse(_form(client).text)
    assert page.by_id("label-cockpit_newtarget").text.strip() == "New Target"
    assert page.by_id("field-cockpit_newtarget").text.strip() == "1,234.5"
    client.cookies.set("crm_demo_userlcid", "1031")
    page = parse(_form(client).text)
    assert page.by_id("label-cockpit_newtarget").text.strip() == "Neues Ziel"
    assert page.by_id("field-cockpit_newtarget").text.strip() == "1.234,5"


def test_the_page_follows_the_orgs_language(
    crm_world: CrmWorld, tmp_path_factory: pytest.TempPathFactory
) -> None:
    port = free_port()
    process: ManagedProcess = demo_process(
        port=port,
        dataverse_url=crm_world.dataverse_url,
        ca_file=crm_world.tls.ca_cert,
        cockpit_url=crm_world.cockpit_url,
        log_path=tmp_path_factory.mktemp("german") / "crm.log",
        org_lcid=1031,
    )
    process.start(timeout=60)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False) as german:
            listing = german.get("/")
            form = _form(german)
    finally:
        process.stop()
    assert "Verkaufschancen" in listing.text and "Opportunities" not in listing.text
    page = parse(form.text)
    assert page.by_id("label-closeprobability").text.strip() == "Wahrscheinlichkeit"
    assert "userlcid=1031" in form.text and "orglcid=1031" in form.text


def test_a_lone_surrogate_in_a_name_never_breaks_the_list(
    client: httpx.Client, sim: httpx.Client
) -> None:
    response = sim.patch(
        f"/_sim/records/opportunities/{RECORD}",
        content=b'{"name": "Broken \\ud800 name"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200
    listing = client.get("/")
    assert listing.status_code == 200 and "Broken \ufffd name" in listing.text
    assert _form(client).status_code == 200
