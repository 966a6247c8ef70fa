"""With ``--from-solution`` the demo CRM page shows the "Open Cockpit" command, the Cockpit tab
(IFRAME) and the solution's column only once a solution package is imported into the Dataverse
simulator — with the solution's labels, its web resources and the cockpit URL from its
environment variable — as an admin sees it before and after importing the package."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from html import unescape

import httpx
import pytest

from devstack.process import free_port
from tests.integration.crm_demo.conftest import CrmWorld
from tests.integration.crm_demo.helpers import demo_process, parse
from tests.integration.dataverse_sim.solution_zip import (
    COCKPIT_URL,
    COLUMN,
    COMMAND_JS,
    solution_zip,
)

RECORD = "0aa00000-0000-4000-8000-000000000001"
FORM = f"/main.aspx?etn=opportunity&id={RECORD}&pagetype=entityrecord"


@pytest.fixture
def page(crm_world: CrmWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    port = free_port()
    process = demo_process(
        port=port,
        dataverse_url=crm_world.dataverse_url,
        ca_file=crm_world.tls.ca_cert,
        cockpit_url=crm_world.cockpit_url,
        log_path=tmp_path_factory.mktemp("from_solution") / "crm.log",
        from_solution=True,
    )
    process.start(timeout=60)
    context = ssl.create_default_context(cafile=str(crm_world.tls.ca_cert))
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False) as client:
            yield client
    finally:
        process.stop()
        with httpx.Client(verify=context, trust_env=False) as sim:
            sim.post(f"{crm_world.dataverse_url}/_sim/reset")


def test_nothing_before_the_import_everything_after(
    crm_world: CrmWorld, page: httpx.Client
) -> None:
    before = page.get(FORM)
    assert before.status_code == 200
    assert 'id="open-cockpit"' not in before.text and 'id="tab-cockpit"' not in before.text
    assert 'id="label-cockpit_winprobability"' not in before.text  # custom, no solution yet
    assert page.get("/webresources/cockpit_command.js").status_code == 404

    context = ssl.create_default_context(cafile=str(crm_world.tls.ca_cert))
    with httpx.Client(verify=context, trust_env=False) as sim:
        imported = sim.post(
            f"{crm_world.dataverse_url}/_sim/solutions/import", content=solution_zip()
        )
    assert imported.status_code == 200, imported.text

    after = page.get(FORM)
    html = parse(after.text)
    assert html.by_id("open-cockpit").text.strip() == "Open Cockpit"
    assert html.by_id("tab-cockpit").text.strip() == "Cockpit"
    assert html.by_id(f"label-{COLUMN}").text.strip() == "Cockpit Win Probability"
    # The IFRAME control as its FormXml configures it: its URL (about:blank) with the record
    # parameters; the form script points it at the cockpit when the tab is shown.
    panel = html.by_id("panel-cockpit").attrs
    assert unescape(panel["data-frame-src"]).startswith(f"about:blank?id=%7B{RECORD.upper()}%7D&")
    assert panel["data-frame-control"] == "IFRAME_cockpit"
    assert html.by_id("tab-cockpit").attrs["data-tab-name"] == "tab_cockpit"
    assert 'name="IFRAME_cockpit"' in after.text
    assert '<script src="/webresources/cockpit_command.js">' in after.text
    script = page.get("/webresources/cockpit_command.js")
    assert script.status_code == 200 and script.content == COMMAND_JS
    variable = page.get(
        "/api/data/v9.2/RetrieveEnvironmentVariableValue(DefinitionSchemaName='cockpit_CockpitUrl')"
    )
    assert variable.status_code == 200 and variable.json() == {"Value": COCKPIT_URL}
    page.cookies.set("crm_demo_userlcid", "1031")
    german = parse(page.get(FORM).text)
    assert german.by_id("open-cockpit").text.strip() == "Cockpit öffnen"
    assert german.by_id(f"label-{COLUMN}").text.strip() == "Cockpit-Gewinnwahrscheinlichkeit"
