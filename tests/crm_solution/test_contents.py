"""What the package must contain, read back from the built zip: the column, the role's least
privileges, the environment variable, the IFRAME, the commands, the labels; and that the scripts
and the package use the same names."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from crm.solution import SolutionPackages
from crm.solution.package import WEBRESOURCES_DIR
from crm.solution.spec import SALES_OPPORTUNITY_FORM_ID
from tests.crm_solution.conftest import read, xml

VAR = "environmentvariabledefinitions/cockpit_CockpitUrl/environmentvariabledefinition.xml"


def custom(packages: SolutionPackages) -> ET.Element:
    return xml(packages.managed, "customizations.xml")


def test_publisher_and_solution_are_ours(packages: SolutionPackages) -> None:
    manifest = xml(packages.managed, "solution.xml").find("SolutionManifest")
    assert manifest is not None
    assert manifest.findtext("UniqueName") == "OpportunityCockpit"
    assert manifest.findtext("Publisher/UniqueName") == "OpportunityCockpit"
    assert manifest.findtext("Publisher/CustomizationPrefix") == "cockpit"
    assert 10000 <= int(manifest.findtext("Publisher/CustomizationOptionValuePrefix", "")) <= 99999


def test_root_components_and_the_sales_form_dependency(packages: SolutionPackages) -> None:
    manifest = xml(packages.managed, "solution.xml")
    roots = [r.attrib for r in manifest.iter("RootComponent")]
    assert roots == [
        {"type": "1", "schemaName": "opportunity", "behavior": "2"},  # shell: Sales owns the table
        {"type": "20", "id": "{0981e756-9c79-40a1-8b8d-a3f6661f3c79}", "behavior": "0"},
        {"type": "61", "schemaName": "cockpit_command.js", "behavior": "0"},
        {"type": "61", "schemaName": "cockpit_form.js", "behavior": "0"},
        {"type": "380", "schemaName": "cockpit_CockpitUrl", "behavior": "0"},
    ]
    [required] = manifest.iter("Required")
    assert required.attrib == {
        "type": "60",
        "displayName": "Opportunity",
        "id": "{" + SALES_OPPORTUNITY_FORM_ID + "}",
    }


def test_win_probability_is_an_optional_decimal_0_to_100_with_one_decimal(
    packages: SolutionPackages,
) -> None:
    [attribute] = custom(packages).iterfind(".//EntityInfo/entity/attributes/attribute")
    assert attribute.get("PhysicalName") == "cockpit_WinProbability"
    assert attribute.findtext("Type") == "decimal"
    assert attribute.findtext("RequiredLevel") == "none"
    assert (attribute.findtext("MinValue"), attribute.findtext("MaxValue")) == ("0", "100")
    assert attribute.findtext("Accuracy") == "1"
    names = {d.get("languagecode"): d.get("description") for d in attribute.iter("displayname")}
    assert names == {"1033": "Cockpit Win Probability", "1031": "Cockpit-Gewinnwahrscheinlichkeit"}


def test_cockpit_user_holds_exactly_the_least_privileges(packages: SolutionPackages) -> None:
    [role] = custom(packages).iterfind("./Roles/Role")
    assert role.get("name") == "Cockpit User"
    privileges = {p.get("name", ""): p.get("level") for p in role.iter("RolePrivilege")}
    assert privileges == {
        "prvReadOpportunity": "Basic",
        "prvWriteOpportunity": "Basic",
        "prvAppendToOpportunity": "Basic",
        "prvCreateActivity": "Basic",
        "prvReadActivity": "Basic",
        "prvAppendActivity": "Basic",
        "prvReadWebResource": "Global",
        "prvReadEnvironmentVariableDefinition": "Global",
    }
    # Nothing that deletes, assigns, shares or reaches beyond the rep's own records.
    assert not any(re.match(r"prv(Delete|Assign|Share)", name) for name in privileges)


def test_the_environment_variable_is_a_required_string_without_a_value(
    packages: SolutionPackages,
) -> None:
    definition = ET.fromstring(read(packages.managed, VAR))
    assert definition.get("schemaname") == "cockpit_CockpitUrl"
    assert definition.findtext("type") == "100000000"  # String
    assert definition.findtext("isrequired") == "1"
    assert definition.find("defaultvalue") is None
    names = {
        lab.get("languagecode"): lab.get("description")
        for lab in definition.iterfind("displayname/label")
    }
    assert names == {"1033": "Cockpit URL", "1031": "Cockpit-URL"}


def test_no_url_is_typed_into_the_package(packages: SolutionPackages) -> None:
    text = read(packages.managed, "customizations.xml").decode()
    urls = set(re.findall(r"(?:https?|about):[^\s\"<]*", text))
    assert urls == {"about:blank"}, urls  # the IFRAME placeholder, replaced by the form script


def test_the_cockpit_tab_holds_the_iframe_with_parameters_and_no_sandbox(
    packages: SolutionPackages,
) -> None:
    [form] = custom(packages).iterfind(".//systemform")
    assert form.findtext("formid") == "{" + SALES_OPPORTUNITY_FORM_ID + "}"
    [tab] = form.iterfind("./form/tabs/tab")
    assert (tab.get("name"), tab.get("solutionaction")) == ("cockpit_tab", "Added")
    assert {lab.get("languagecode") for lab in tab.iterfind("labels/label")} == {"1033", "1031"}
    [frame] = [c for c in tab.iter("control") if c.get("id") == "IFRAME_cockpit"]
    assert frame.get("classid") == "{FD2A7985-3187-444E-908D-6624B21F69C0}"
    parameters = {p.tag: p.text for p in frame.iterfind("parameters/*")}
    assert parameters["PassParameters"] == "true"  # record id and object-type code passed
    assert parameters["Security"] == "false"  # cross-frame scripting not restricted


def test_the_form_library_and_onload_handler(packages: SolutionPackages) -> None:
    [form] = custom(packages).iterfind(".//systemform/form")
    [library] = form.iterfind("./formLibraries/Library")
    assert (library.get("name"), library.get("solutionaction")) == ("cockpit_form.js", "Added")
    [handler] = form.iter("Handler")
    assert handler.get("functionName") == "Cockpit.Form.onLoad"
    assert handler.get("passExecutionContext") == "true" and handler.get("parameters") == ""
    assert handler.get("libraryName") == "cockpit_form.js"


def test_open_cockpit_on_the_form_and_the_grid(packages: SolutionPackages) -> None:
    ribbon = custom(packages).find("./Entities/Entity/RibbonDiffXml")
    assert ribbon is not None
    locations = [a.get("Location") for a in ribbon.iter("CustomAction")]
    assert locations == [
        "Mscrm.Form.opportunity.MainTab.Save.Controls._children",
        "Mscrm.HomepageGrid.opportunity.MainTab.Management.Controls._children",
    ]
    calls = [
        (f.get("FunctionName"), [p.get("Value") for p in f.iter("CrmParameter")])
        for f in ribbon.iter("JavaScriptFunction")
    ]
    assert calls == [
        ("Cockpit.Command.openCockpit", ["PrimaryControl"]),
        ("Cockpit.Command.openFromGrid", ["FirstSelectedItemId", "SelectedEntityTypeName"]),
    ]
    titles = {t.get("languagecode"): t.get("description") for t in ribbon.iter("Title")}
    assert titles["1033"] != titles["1031"]
    label = {
        t.get("languagecode"): t.get("description")
        for t in ribbon.iterfind(
            "./LocLabels/LocLabel[@Id='cockpit.opportunity.OpenCockpit.LabelText']/Titles/Title"
        )
    }
    assert label == {"1033": "Open Cockpit", "1031": "Cockpit öffnen"}


def test_scripts_define_every_function_and_name_the_package_uses(
    packages: SolutionPackages,
) -> None:
    command = (WEBRESOURCES_DIR / "cockpit_command.js").read_text()
    form_script = (WEBRESOURCES_DIR / "cockpit_form.js").read_text()
    text = read(packages.managed, "customizations.xml").decode()
    for function in re.findall(r'FunctionName="Cockpit\.Command\.(\w+)"', text):
        assert re.search(rf"\n\s+{function}: {function},", command), function
    assert "onLoad: onLoad," in form_script
    for name in ("cockpit_tab", "IFRAME_cockpit", "cockpit_CockpitUrl"):
        assert f'"{name}"' in form_script and name in text + read(packages.managed, VAR).decode()
    assert '"cockpit_CockpitUrl"' in command
