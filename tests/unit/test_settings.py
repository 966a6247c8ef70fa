"""Settings: fail fast, one readable line, nothing that names a deployment has a default (above
all no secret), dev-only mechanisms refused in Azure."""

from __future__ import annotations

import base64
import json
import subprocess
import sys

import pytest
from pydantic import SecretStr

from shared.settings import Settings, SettingsError, load_settings
from tests.support.settings import EXPLICIT

AZURE_OK = {
    "env": "azure",
    "public_base_url": "https://cockpit.contoso.com",
    "storage_table_endpoint": "https://stcockpit.table.core.windows.net",
    "managed_identity_client_id": "11111111-2222-3333-4444-555555555555",
    "entra_authority_host": "https://login.microsoftonline.com",
    "tenant_ids": "72f988bf-86f1-41af-91ab-2d7cd011db47",
    "client_id": "0f0f0f0f-1111-2222-3333-444444444444",
    "client_credential_mode": "managed_identity",
    "client_secret": None,
    "crm_orgs": [
        {
            "tenant_id": "72f988bf-86f1-41af-91ab-2d7cd011db47",
            "name": "contoso",
            "url": "https://contoso.crm4.dynamics.com",
        }
    ],
    "frame_ancestors": "https://contoso.crm4.dynamics.com",
    "token_cache_key": base64.b64encode(b"k" * 32).decode(),
}


def test_nothing_that_names_a_deployment_has_a_default() -> None:
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    for var in (
        "COCKPIT_PUBLIC_BASE_URL",
        "COCKPIT_TENANT_IDS",
        "COCKPIT_CLIENT_ID",
        "COCKPIT_CRM_ORGS",
        "COCKPIT_TOKEN_CACHE_KEY",
    ):
        assert f"{var} is missing" in message, var
    s = load_settings(**EXPLICIT)
    assert s.env == "dev" and not s.in_azure
    assert s.audiences == [s.client_id, f"api://{s.client_id}"]


def secret_fields() -> list[str]:
    return [
        name
        for name, field in Settings.model_fields.items()
        if SecretStr in (getattr(field.annotation, "__args__", None) or (field.annotation,))
    ]


def test_secret_fields_are_found() -> None:
    assert set(secret_fields()) >= {
        "storage_connection_string",
        "client_secret",
        "client_certificate_password",
        "token_cache_key",
    }


@pytest.mark.parametrize("name", secret_fields())
def test_no_secret_has_a_value_unless_given(name: str) -> None:
    """A new secret-bearing field can never ship with a working default."""
    field = Settings.model_fields[name]
    assert field.is_required() or field.get_default(call_default_factory=True) is None, name


@pytest.mark.parametrize(
    ("missing", "needed_by"),
    [
        ("token_cache_key", {}),
        ("client_secret", {"client_credential_mode": "secret"}),
        ("storage_connection_string", {"storage_table_endpoint": None}),
    ],
)
def test_each_secret_is_refused_when_it_is_missing(missing: str, needed_by: dict) -> None:
    values = {k: v for k, v in EXPLICIT.items() if k != missing}
    with pytest.raises(SettingsError) as info:
        load_settings(**values, **needed_by)
    assert f"COCKPIT_{missing.upper()}" in str(info.value)


def test_a_valid_azure_configuration_loads() -> None:
    s = load_settings(**AZURE_OK)
    assert s.in_azure
    assert s.org(tenant_id="72f988bf-86f1-41af-91ab-2d7cd011db47", name="contoso") is not None
    assert s.org(tenant_id="72f988bf-86f1-41af-91ab-2d7cd011db47", name="other") is None


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("tenant_ids", "not-a-guid", "COCKPIT_TENANT_IDS[0]"),
        ("public_base_url", "ftp://x", "COCKPIT_PUBLIC_BASE_URL"),
        (
            "entra_authority_host",
            "http://login.microsoftonline.com",
            "COCKPIT_ENTRA_AUTHORITY_HOST",
        ),
        ("token_cache_key", "c2hvcnQ=", "COCKPIT_TOKEN_CACHE_KEY: must decode to 32 bytes"),
        ("session_idle_minutes", 1, "COCKPIT_SESSION_IDLE_MINUTES"),
        ("frame_ancestors", "https://x.example/path", "COCKPIT_FRAME_ANCESTORS"),
        ("table_prefix", "1bad", "COCKPIT_TABLE_PREFIX"),
        ("client_id", "x", "COCKPIT_CLIENT_ID"),
        ("env", "prod", "COCKPIT_ENV: Input should be 'dev' or 'azure'"),
    ],
)
def test_invalid_values_name_the_variable_and_the_expected_shape(field, value, expected) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(**{**EXPLICIT, field: value})
    message = str(info.value)
    assert expected in message
    assert "\n" not in message
    assert "expected" in message


def test_crm_orgs_must_be_https_origins_of_allowed_tenants() -> None:
    bad = [
        {
            "tenant_id": "c0a7b2e1-5d4f-4c8a-9e21-3b6f0d9a1c01",
            "name": "contoso",
            "url": "http://crm",
        }
    ]
    with pytest.raises(SettingsError, match=r"COCKPIT_CRM_ORGS\[0\]\.url: must be an https origin"):
        load_settings(**{**EXPLICIT, "crm_orgs": bad})
    other_tenant = [
        {
            "tenant_id": "11111111-1111-1111-1111-111111111111",
            "name": "x",
            "url": "https://x.crm.dynamics.com",
        }
    ]
    with pytest.raises(SettingsError, match="names tenants not in COCKPIT_TENANT_IDS"):
        load_settings(**{**EXPLICIT, "crm_orgs": other_tenant})


def test_every_dev_only_mechanism_is_refused_in_azure(tmp_path) -> None:
    local = {
        **EXPLICIT,
        "env": "azure",
        "public_base_url": "http://localhost:7071",
        "entra_authority_host": "https://localhost:7443",
        "crm_orgs": [
            {
                "tenant_id": EXPLICIT["tenant_ids"],
                "name": "contoso",
                "url": "https://localhost:7444",
            }
        ],
        "frame_ancestors": "",
        "entra_ca_bundle": tmp_path / "ca.pem",
        "local_timers": True,
    }
    with pytest.raises(SettingsError) as info:
        load_settings(**local)
    message = str(info.value)
    for var in (
        "COCKPIT_PUBLIC_BASE_URL",
        "COCKPIT_ENTRA_AUTHORITY_HOST",
        "COCKPIT_FRAME_ANCESTORS",
        "COCKPIT_CRM_ORGS",
        "COCKPIT_STORAGE_CONNECTION_STRING",
        "COCKPIT_CLIENT_CREDENTIAL_MODE",
        "COCKPIT_ENTRA_CA_BUNDLE",
        "COCKPIT_LOCAL_TIMERS",
        "COCKPIT_STORAGE_TABLE_ENDPOINT",
        "COCKPIT_MANAGED_IDENTITY_CLIENT_ID",
    ):
        assert f"{var} " in message, var


def test_the_functions_host_marker_forces_azure_rules() -> None:
    # A forgotten COCKPIT_ENV must not enable dev defaults on a real Function App.
    with pytest.raises(SettingsError, match="COCKPIT_ENV must be azure: WEBSITE_SITE_NAME"):
        load_settings(**{**AZURE_OK, "env": "dev", "website_site_name": "func-cockpit"})


def test_azure_needs_a_deterministic_managed_identity() -> None:
    with pytest.raises(
        SettingsError, match="COCKPIT_MANAGED_IDENTITY_CLIENT_ID is required in Azure"
    ):
        load_settings(
            **{
                **AZURE_OK,
                "managed_identity_client_id": None,
                "client_credential_mode": "certificate",
                "client_certificate_path": "/x.pem",
            }
        )


def test_simulator_ca_bundle_is_refused_in_azure(tmp_path) -> None:
    with pytest.raises(
        SettingsError, match="COCKPIT_ENTRA_CA_BUNDLE is for the local simulator only"
    ):
        load_settings(**AZURE_OK, entra_ca_bundle=tmp_path / "ca.pem")


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("public_base_url", "client_id", "client_secret", "token_cache_key"):
        monkeypatch.setenv(f"COCKPIT_{name.upper()}", str(EXPLICIT[name]))
    monkeypatch.setenv("COCKPIT_STORAGE_CONNECTION_STRING", "UseDevelopmentStorage=true")
    monkeypatch.setenv(
        "COCKPIT_TENANT_IDS",
        "c0a7b2e1-5d4f-4c8a-9e21-3b6f0d9a1c01, fab0c3d2-7e6a-4b1f-8c3d-2a9e5f7b4d02",
    )
    monkeypatch.setenv(
        "COCKPIT_FRAME_ANCESTORS", "http://127.0.0.1:7080 https://contoso.crm4.dynamics.com"
    )
    monkeypatch.setenv(
        "COCKPIT_CRM_ORGS",
        json.dumps(
            [
                {
                    "tenant_id": "fab0c3d2-7e6a-4b1f-8c3d-2a9e5f7b4d02",
                    "name": "fab",
                    "url": "https://fab.crm.dynamics.com/",
                }
            ]
        ),
    )
    s = load_settings()
    assert len(s.allowed_tenants) == 2
    assert s.frame_ancestors == ["http://127.0.0.1:7080", "https://contoso.crm4.dynamics.com"]
    assert s.orgs[0].url == "https://fab.crm.dynamics.com"


def test_start_up_with_bad_configuration_prints_one_line_and_no_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "functions", "--port", "1"],
        env={"COCKPIT_TENANT_IDS": "nope", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Invalid configuration: ")
    assert "COCKPIT_TENANT_IDS[0]" in lines[0] and "COCKPIT_PUBLIC_BASE_URL is missing" in lines[0]
    assert "Traceback" not in result.stderr
