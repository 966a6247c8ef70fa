"""ImportSolution with a package built in the test, the solution tables it fills, the refusals of
malformed packages, and RetrieveCurrentOrganization."""

from __future__ import annotations

import base64

from tests.integration.dataverse_sim.solution_zip import (
    COCKPIT_URL,
    COLUMN,
    COMMAND_JS,
    solution_zip,
)
from tests.integration.dataverse_sim.support import SEED, SYSTEMUSERS, SimClient


async def _importer(sim: SimClient) -> str:
    """Ben, made a System Customizer for the test (prvImportCustomizations)."""
    await sim.control(
        "POST",
        f"users/{SYSTEMUSERS['ben']['systemuserid']}",
        json={"privileges": {"prvImportCustomizations": "Organization"}},
    )
    return await sim.user_token("ben")


def _body(data: bytes) -> dict[str, object]:
    return {
        "OverwriteUnmanagedCustomizations": True,
        "PublishWorkflows": True,
        "CustomizationFile": base64.b64encode(data).decode(),
        "ImportJobId": "00000000-0000-4000-8000-00000000c0de",
    }


async def test_import_fills_the_solution_tables_and_adds_the_column(sim: SimClient) -> None:
    ben = await _importer(sim)
    imported = await sim.api("POST", "ImportSolution", ben, json=_body(solution_zip()))
    assert imported.status_code == 204, imported.text
    solution = (
        await sim.api(
            "GET",
            "solutions?$select=uniquename,version,ismanaged&$filter=uniquename eq 'OpportunityCockpit'"
            "&$expand=publisherid($select=uniquename,customizationprefix)",
            ben,
        )
    ).json()["value"]
    assert [(s["version"], s["ismanaged"]) for s in solution] == [("1.0.0.0", True)]
    assert solution[0]["publisherid"]["customizationprefix"] == "cockpit"
    resources = (
        await sim.api("GET", "webresourceset?$select=name,content,webresourcetype", ben)
    ).json()["value"]
    (command,) = [r for r in resources if r["name"] == "cockpit_command.js"]
    assert base64.b64decode(command["content"]) == COMMAND_JS and command["webresourcetype"] == 3
    variables = (
        await sim.api(
            "GET",
            "environmentvariabledefinitions?$select=schemaname,defaultvalue"
            "&$expand=environmentvariabledefinition_environmentvariablevalue($select=value)",
            ben,
        )
    ).json()["value"]
    (variable,) = variables
    assert variable["schemaname"] == "cockpit_CockpitUrl"
    assert [
        v["value"] for v in variable["environmentvariabledefinition_environmentvariablevalue"]
    ] == [COCKPIT_URL]
    components = (await sim.api("GET", "solutioncomponents?$select=componenttype", ben)).json()[
        "value"
    ]
    assert sorted(c["componenttype"] for c in components) == [2, 61, 380]
    column = await sim.api(
        "GET",
        f"EntityDefinitions(LogicalName='opportunity')/Attributes(LogicalName='{COLUMN}')"
        "/Microsoft.Dynamics.CRM.DecimalAttributeMetadata?$select=MaxValue,Precision",
        ben,
    )
    assert column.json()["MaxValue"] == 100 and column.json()["Precision"] == 1
    # A newer version of the same solution upgrades it in place.
    again = await sim.api(
        "POST", "ImportSolution", ben, json=_body(solution_zip(version="1.1.0.0"))
    )
    assert again.status_code == 204
    versions = (await sim.api("GET", "solutions?$select=version", ben)).json()["value"]
    assert [v["version"] for v in versions] == ["1.1.0.0"]


async def test_malformed_packages_are_refused_as_dataverse_does(sim: SimClient) -> None:
    ben = await _importer(sim)

    async def error(data: bytes) -> dict[str, str]:
        response = await sim.api("POST", "ImportSolution", ben, json=_body(data))
        assert response.status_code == 400, response.text
        return dict(response.json()["error"])

    not_zip = await error(b"this is not a zip")
    assert not_zip["code"] == "0x80048060"
    assert "must contain the following files at its root" in not_zip["message"]
    assert (await error(solution_zip(leave_out="customizations.xml")))["code"] == "0x80048060"
    assert (await error(solution_zip(leave_out="[Content_Types].xml")))["code"] == "0x80048060"
    broken = solution_zip(overrides={"solution.xml": "<ImportExportXml><SolutionManifest>"})
    unreadable = await error(broken)
    assert unreadable["code"] == "0x8004801a"
    assert unreadable["message"].startswith("The import file is invalid. XSD validation failed")
    no_manifest = solution_zip(overrides={"solution.xml": "<ImportExportXml />"})
    assert (await error(no_manifest))["code"] == "0x8004801a"
    missing_file = await error(solution_zip(leave_out="WebResources/cockpit_command.js"))
    assert missing_file["code"] == "0x8004801a"
    anna = await sim.user_token("anna")
    denied = await sim.api("POST", "ImportSolution", anna, json=_body(solution_zip()))
    assert denied.status_code == 403 and "prvImportCustomizations" in denied.text


async def test_retrieve_current_organization(sim: SimClient) -> None:
    org = SEED["dataverse"]["orgs"][0]
    response = await sim.api(
        "GET",
        "RetrieveCurrentOrganization(AccessType=@p1)",
        await sim.user_token("anna"),
        params={"@p1": "Microsoft.Dynamics.CRM.EndpointAccessType'Default'"},
    )
    assert response.status_code == 200, response.text
    detail = response.json()["Detail"]
    assert detail["UniqueName"] == org["name"]
    assert detail["UrlName"] == org.get("url_name", org["name"])
    assert detail["FriendlyName"] == org["friendly_name"]
    assert detail["TenantId"] == org["tenant"] and detail["State"] == "Enabled"
    assert detail["Endpoints"]["Values"][0] == f"{sim.pair.org_url}/"


async def test_the_control_api_imports_for_make_run_and_lays_out_the_ui(sim: SimClient) -> None:
    response = await sim.http.post(
        f"{sim.pair.org_url}/_sim/solutions/import", content=solution_zip()
    )
    assert response.status_code == 200, response.text
    ui = await sim.control("GET", "solutions/ui")
    assert ui["command"] == {
        "labels": {"en": "Open Cockpit", "de": "Cockpit öffnen"},
        "library": "cockpit_command.js",
        "function": "openCockpit",
    }
    assert ui["tab"]["labels"]["en"] == "Cockpit" and ui["tab"]["pass_parameters"] is True
    assert (ui["tab"]["name"], ui["tab"]["control"]) == ("tab_cockpit", "IFRAME_cockpit")
    assert ui["tab"]["url"] == "about:blank"
    assert ui["columns"] == [COLUMN]
    assert ui["environment_variables"] == {"cockpit_CockpitUrl": COCKPIT_URL}


async def test_retrieve_environment_variable_value(sim: SimClient) -> None:
    anna = await sim.user_token("anna")
    path = "RetrieveEnvironmentVariableValue(DefinitionSchemaName='cockpit_CockpitUrl')"
    assert (await sim.api("GET", path, anna)).status_code == 404  # nothing imported yet
    await sim.http.post(f"{sim.pair.org_url}/_sim/solutions/import", content=solution_zip())
    response = await sim.api("GET", path, anna)
    assert response.status_code == 200 and response.json()["Value"] == COCKPIT_URL
