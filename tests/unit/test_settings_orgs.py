"""COCKPIT_CRM_ORGS: the optional unique name and URL name of each org."""

from __future__ import annotations

import json

import pytest

from shared.settings import SettingsError, load_settings
from tests.support.settings import EXPLICIT, explicit_settings

TENANT = "c0a7b2e1-5d4f-4c8a-9e21-3b6f0d9a1c01"  # the dev tenant (allowed by default)


def orgs_setting(*entries: dict[str, str]) -> list[dict[str, str]]:
    return [{"tenant_id": TENANT, **e} for e in entries]


def test_unique_name_and_url_name_are_read_into_crm_org() -> None:
    s = explicit_settings(
        crm_orgs=orgs_setting(
            {
                "name": "contoso",
                "url": "https://contoso.crm4.dynamics.com",
                "unique_name": "org1a2b3c4d",
                "url_name": "contoso",
            }
        )
    )
    [org] = s.orgs
    assert (org.name, org.unique_name, org.url_name) == ("contoso", "org1a2b3c4d", "contoso")
    assert org.answers_to("ORG1A2B3C4D")


def test_entries_without_them_still_load(monkeypatch: pytest.MonkeyPatch) -> None:
    # Older deployments set COCKPIT_CRM_ORGS with tenant_id, name and url only.
    legacy = orgs_setting({"name": "contoso", "url": "https://contoso.crm4.dynamics.com"})
    monkeypatch.setenv("COCKPIT_CRM_ORGS", json.dumps(legacy))
    [org] = load_settings(**{k: v for k, v in EXPLICIT.items() if k != "crm_orgs"}).orgs
    assert org.unique_name is None and org.url_name is None
    assert org.answers_to("contoso") and not org.answers_to("org1a2b3c4d")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("unique_name", "org 1"),
        ("unique_name", "org/../x"),
        ("url_name", "-contoso"),
        ("url_name", "con_toso"),
    ],
)
def test_malformed_names_are_refused_with_the_variable_named(field: str, value: str) -> None:
    entry = {"name": "contoso", "url": "https://contoso.crm4.dynamics.com", field: value}
    with pytest.raises(SettingsError) as error:
        explicit_settings(crm_orgs=orgs_setting(entry))
    assert f"COCKPIT_CRM_ORGS[0].{field}" in str(error.value)
    assert "unique_name" in str(error.value)  # the expected-shape hint shows the new keys


def test_two_orgs_answering_to_the_same_name_are_refused() -> None:
    entries = orgs_setting(
        {"name": "contoso", "url": "https://contoso.crm4.dynamics.com", "unique_name": "shared1"},
        {"name": "fabrikam", "url": "https://fabrikam.crm4.dynamics.com", "url_name": "SHARED1"},
    )
    with pytest.raises(SettingsError, match=r"same name: \['shared1'\]"):
        explicit_settings(crm_orgs=entries)


def test_the_same_unique_name_in_two_tenants_is_fine() -> None:
    other_tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    entries = [
        {
            "tenant_id": TENANT,
            "name": "a",
            "url": "https://a.crm.dynamics.com",
            "unique_name": "x1",
        },
        {
            "tenant_id": other_tenant,
            "name": "b",
            "url": "https://b.crm.dynamics.com",
            "unique_name": "x1",
        },
    ]
    s = explicit_settings(crm_orgs=entries, tenant_ids=f"{TENANT},{other_tenant}")
    assert [o.unique_name for o in s.orgs] == ["x1", "x1"]
