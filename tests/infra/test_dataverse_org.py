"""scripts/dataverse_org.py: COCKPIT_CRM_ORGS gains the org's unique name and URL name."""

from __future__ import annotations

import json

import pytest

from scripts.dataverse_org import OrgIdentity, crm_orgs_with_identity, update_function_app

ORG = "https://contoso.crm4.dynamics.com"
IDENTITY = OrgIdentity(unique_name="unq5f1e2d3c4b", url_name="contoso")
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
SETTING = json.dumps(
    [
        {"tenant_id": TENANT, "name": "contoso", "url": ORG},
        {"tenant_id": TENANT, "name": "fabrikam", "url": "https://fabrikam.crm4.dynamics.com"},
    ]
)


def test_the_matching_entry_gains_both_names_and_keeps_its_key() -> None:
    updated = json.loads(crm_orgs_with_identity(SETTING, org_url=ORG.upper(), identity=IDENTITY))
    assert updated[0] == {
        "tenant_id": TENANT,
        "name": "contoso",  # the stored project keys use it: unchanged
        "url": ORG,
        "unique_name": "unq5f1e2d3c4b",
        "url_name": "contoso",
    }
    assert updated[1] == json.loads(SETTING)[1]


@pytest.mark.parametrize(
    ("setting", "message"),
    [(SETTING, "no entry for https://other"), ('{"url": "x"}', "not a JSON list")],
)
def test_a_setting_without_the_org_is_refused(setting: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        crm_orgs_with_identity(setting, org_url="https://other.crm.dynamics.com", identity=IDENTITY)


class FakeAz:
    """Records ``az`` calls; answers ``appsettings list`` with the current setting."""

    def __init__(self, setting: str) -> None:
        self.setting = setting
        self.calls: list[tuple[str, ...]] = []

    def __call__(self, *args: str) -> str:
        self.calls.append(args)
        if args[:4] == ("functionapp", "config", "appsettings", "list"):
            return self.setting + "\n"
        if args[:4] == ("functionapp", "config", "appsettings", "set"):
            self.setting = args[args.index("--settings") + 1].split("=", 1)[1]
            return ""
        raise AssertionError(f"unexpected az call {args}")


def test_the_function_app_setting_is_rewritten_once() -> None:
    az = FakeAz(SETTING)
    outcome = update_function_app(
        az, app_name="func-api", resource_group="rg-cockpit", org_url=ORG, identity=IDENTITY
    )
    assert outcome == "COCKPIT_CRM_ORGS now answers to unq5f1e2d3c4b and contoso"
    assert json.loads(az.setting)[0]["unique_name"] == "unq5f1e2d3c4b"
    [_, write] = az.calls
    assert write[write.index("--name") + 1] == "func-api"
    assert write[write.index("--resource-group") + 1] == "rg-cockpit"

    again = update_function_app(
        az, app_name="func-api", resource_group="rg-cockpit", org_url=ORG, identity=IDENTITY
    )
    assert again.startswith("COCKPIT_CRM_ORGS already names")
    assert len(az.calls) == 3  # only the read


def test_an_app_without_the_setting_is_reported() -> None:
    with pytest.raises(ValueError, match="has no app setting COCKPIT_CRM_ORGS"):
        update_function_app(
            FakeAz(""), app_name="func-api", resource_group="rg", org_url=ORG, identity=IDENTITY
        )
