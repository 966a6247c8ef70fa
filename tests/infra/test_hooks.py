"""The azd hooks end to end: ``python -m scripts.hooks`` as a child process, with the fake
``az``/``azd`` (Key Vault, Microsoft Graph through ``az rest``, ``azd env set``) on PATH."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

from tests.infra.conftest import REPO_ROOT, FakeCli

TENANT = "c0a7b2e1-5d4f-4c8a-9e21-3b6f0d9a1c01"
DEPLOYER = "a11ce000-0000-4000-8000-000000000002"


def _hook(fake_cli: FakeCli, name: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scripts.hooks", name],
        cwd=REPO_ROOT,
        env=fake_cli.env(**env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _pre_env(**extra: str) -> dict[str, str]:
    return {
        "AZURE_ENV_NAME": "dev",
        "AZURE_SUBSCRIPTION_ID": "sub-1",
        "COCKPIT_CRM_ORG_URL": "https://contoso.crm4.dynamics.com",
        **extra,
    }


def _post_env(client_id: str, **extra: str) -> dict[str, str]:
    return {
        "COCKPIT_ENTRA_AUTHORITY_HOST": "https://login.microsoftonline.com",
        "COCKPIT_DEPLOYED_CLIENT_ID": client_id,
        "AZURE_ENV_NAME": "dev",
        "AZURE_TENANT_ID": TENANT,
        "AZURE_SUBSCRIPTION_ID": "sub-1",
        "AZURE_RESOURCE_GROUP": "rg-dev",
        "AZURE_FUNCTION_APP_NAME": "func-api-abc",
        "AZURE_PRINCIPAL_ID": DEPLOYER,
        "AZURE_MANAGED_IDENTITY_PRINCIPAL_ID": "0b0b0b0b-0000-4000-8000-00000000000b",
        "AZURE_KEY_VAULT_NAME": "kv-abc",
        "COCKPIT_TOKEN_CACHE_KEY_SECRET_NAME": "cockpit-token-cache-key",
        "COCKPIT_CLIENT_ID": client_id,
        "COCKPIT_REDIRECT_URI": "https://func-api-abc.azurewebsites.net/auth/callback",
        "COCKPIT_PUBLIC_BASE_URL": "https://func-api-abc.azurewebsites.net",
        "COCKPIT_CRM_ORG_ORIGIN": "https://contoso.crm4.dynamics.com",
        **extra,
    }


def test_preprovision_does_not_need_the_org_url_bicep_holds_it(fake_cli: FakeCli) -> None:
    # `azd up` prompts for crmOrgUrl (the one value only the deployer knows) before any hook
    # runs and keeps the answer in its own config, not in COCKPIT_CRM_ORG_URL.
    result = _hook(fake_cli, "preprovision", AZURE_ENV_NAME="dev", AZURE_SUBSCRIPTION_ID="s")

    assert result.returncode == 0, result.stderr
    assert "COCKPIT_CLIENT_ID" in fake_cli.state()["azd_env"]


def test_preprovision_refuses_a_url_that_is_not_an_org_origin(fake_cli: FakeCli) -> None:
    result = _hook(
        fake_cli, "preprovision", **_pre_env(COCKPIT_CRM_ORG_URL="contoso.crm4.dynamics.com")
    )

    assert result.returncode == 1
    assert "https://contoso.crm4.dynamics.com" in result.stderr


def test_preprovision_needs_an_az_sign_in(fake_cli: FakeCli) -> None:
    fake_cli.update(tenant="")

    result = _hook(fake_cli, "preprovision", **_pre_env())

    assert result.returncode == 1
    assert "az login" in result.stderr


def test_preprovision_creates_the_registration_and_stores_its_client_id(fake_cli: FakeCli) -> None:
    result = _hook(fake_cli, "preprovision", **_pre_env())

    assert result.returncode == 0, result.stderr
    state = fake_cli.state()
    [app] = state["graph"]["applications"]
    assert state["azd_env"] == {"COCKPIT_CLIENT_ID": app["appId"]}
    assert app["uniqueName"].startswith("opportunity-cockpit-dev-")
    assert app["signInAudience"] == "AzureADMyOrg"
    assert any(sp["appId"] == app["appId"] for sp in state["graph"]["servicePrincipals"])
    assert "no secret created" in result.stdout


def test_two_tenants_in_the_allow_list_make_it_multi_tenant(fake_cli: FakeCli) -> None:
    tenants = f"{TENANT},{uuid.uuid4()}"

    result = _hook(fake_cli, "preprovision", **_pre_env(COCKPIT_TENANT_IDS=tenants))

    assert result.returncode == 0, result.stderr
    [app] = fake_cli.state()["graph"]["applications"]
    assert app["signInAudience"] == "AzureADMultipleOrgs"


def test_bring_your_own_registration_skips_graph(fake_cli: FakeCli) -> None:
    client_id = str(uuid.uuid4())

    result = _hook(
        fake_cli,
        "preprovision",
        **_pre_env(COCKPIT_MANAGE_APP_REGISTRATION="false", COCKPIT_CLIENT_ID=client_id),
    )

    assert result.returncode == 0, result.stderr
    assert not [argv for argv in fake_cli.calls() if argv[:1] == ["rest"]]
    assert fake_cli.state()["graph"]["applications"] == []


def test_postprovision_wires_identity_key_and_prints_the_remaining_steps(fake_cli: FakeCli) -> None:
    assert _hook(fake_cli, "preprovision", **_pre_env()).returncode == 0
    client_id = fake_cli.state()["azd_env"]["COCKPIT_CLIENT_ID"]

    result = _hook(fake_cli, "postprovision", **_post_env(client_id))

    assert result.returncode == 0, result.stderr
    state = fake_cli.state()
    [app] = state["graph"]["applications"]
    assert app["web"]["redirectUris"] == ["https://func-api-abc.azurewebsites.net/auth/callback"]
    [credential] = app["federatedIdentityCredentials"]
    assert credential["subject"] == "0b0b0b0b-0000-4000-8000-00000000000b"
    assert credential["issuer"] == f"https://login.microsoftonline.com/{TENANT}/v2.0"
    assert credential["name"].startswith("cockpit-function-app-")
    [assignment] = state["graph"]["appRoleAssignments"]
    assert assignment["principalId"] == DEPLOYER
    key = state["secrets"]["kv-abc"]["cockpit-token-cache-key"]
    assert json.loads(key)["keys"][0]["key"] not in result.stdout + result.stderr
    assert "Postprovision complete." in result.stdout
    assert [r["url"].split("/config/")[1] for r in state["arm_requests"]] == [
        "configreferences/appsettings/refresh?api-version=2022-03-01"
    ]
    assert f"{TENANT}/adminconsent?client_id={client_id}" in result.stdout
    assert (
        f"scripts.dataverse_setup --org-url https://contoso.crm4.dynamics.com --app-id {client_id}"
        in result.stdout
    )
    # The Dynamics step: the managed solution, and the Cockpit URL it needs.
    assert "dist/*_managed.zip" in result.stdout
    assert "set its Cockpit URL to https://func-api-abc.azurewebsites.net" in result.stdout

    # Idempotent: a second `azd provision` changes nothing and keeps the key.
    again = _hook(fake_cli, "postprovision", **_post_env(client_id))
    assert again.returncode == 0, again.stderr
    state = fake_cli.state()
    assert len(state["graph"]["applications"][0]["federatedIdentityCredentials"]) == 1
    assert len(state["graph"]["appRoleAssignments"]) == 1
    assert state["secrets"]["kv-abc"]["cockpit-token-cache-key"] == key


def test_postprovision_can_grant_admin_consent(fake_cli: FakeCli) -> None:
    assert _hook(fake_cli, "preprovision", **_pre_env()).returncode == 0
    client_id = fake_cli.state()["azd_env"]["COCKPIT_CLIENT_ID"]

    result = _hook(
        fake_cli, "postprovision", **_post_env(client_id, COCKPIT_GRANT_ADMIN_CONSENT="true")
    )

    assert result.returncode == 0, result.stderr
    assert len(fake_cli.state()["graph"]["grants"]) == 2
    assert "adminconsent" not in result.stdout


def test_postprovision_with_an_unmanaged_registration_prints_the_identity_steps(
    fake_cli: FakeCli,
) -> None:
    client_id = str(uuid.uuid4())

    result = _hook(
        fake_cli,
        "postprovision",
        **_post_env(client_id, COCKPIT_MANAGE_APP_REGISTRATION="false"),
    )

    assert result.returncode == 0, result.stderr
    assert not [
        argv for argv in fake_cli.calls() if argv[:1] == ["rest"] and "graph" in " ".join(argv)
    ]
    assert "subject 0b0b0b0b-0000-4000-8000-00000000000b" in result.stdout
    assert "api://AzureADTokenExchange" in result.stdout


def test_postprovision_with_an_unknown_client_id_still_stores_the_key_and_says_how_to_finish(
    fake_cli: FakeCli,
) -> None:
    result = _hook(fake_cli, "postprovision", **_post_env(str(uuid.uuid4())))

    assert result.returncode == 0, result.stderr
    assert "COCKPIT_CLIENT_ID" in result.stdout
    assert "NOT COMPLETE" in result.stdout
    assert "azd hooks run preprovision && azd provision" in result.stdout
    assert fake_cli.state()["secrets"]["kv-abc"]["cockpit-token-cache-key"]


def test_a_deployer_who_may_not_assign_app_roles_gets_everything_else_and_a_command(
    fake_cli: FakeCli,
) -> None:
    assert _hook(fake_cli, "preprovision", **_pre_env()).returncode == 0
    client_id = fake_cli.state()["azd_env"]["COCKPIT_CLIENT_ID"]
    graph = fake_cli.state()["graph"]
    graph["deny_app_role_assignment"] = True
    fake_cli.update(graph=graph)

    result = _hook(fake_cli, "postprovision", **_post_env(client_id))

    assert result.returncode == 0, result.stderr
    state = fake_cli.state()
    assert state["graph"]["appRoleAssignments"] == []
    assert state["graph"]["applications"][0]["federatedIdentityCredentials"]  # done before
    assert state["secrets"]["kv-abc"]["cockpit-token-cache-key"]  # and after
    assert "Insufficient privileges" in result.stdout
    assert "/appRoleAssignedTo --body" in result.stdout
    assert "NOT COMPLETE" in result.stdout


def test_a_vault_that_refuses_the_deployer_is_reported_with_the_key_command(
    fake_cli: FakeCli,
) -> None:
    assert _hook(fake_cli, "preprovision", **_pre_env()).returncode == 0
    client_id = fake_cli.state()["azd_env"]["COCKPIT_CLIENT_ID"]
    fake_cli.update(forbidden=10_000)

    result = _hook(
        fake_cli, "postprovision", **_post_env(client_id, COCKPIT_KEY_VAULT_RETRY_SECONDS="0")
    )

    assert result.returncode == 0, result.stderr
    assert "python3 -m scripts.token_cache_key --vault kv-abc" in result.stdout
    assert fake_cli.state()["graph"]["appRoleAssignments"], "identity steps still ran"


def test_parameters_read_before_the_hook_are_reported_with_azd_provision(
    fake_cli: FakeCli,
) -> None:
    assert _hook(fake_cli, "preprovision", **_pre_env()).returncode == 0
    client_id = fake_cli.state()["azd_env"]["COCKPIT_CLIENT_ID"]

    result = _hook(fake_cli, "postprovision", **_post_env(client_id, COCKPIT_DEPLOYED_CLIENT_ID=""))

    assert result.returncode == 0
    assert "the app runs with client id (none)" in result.stdout
    assert "      azd provision" in result.stdout


def test_hooks_entry_point_rejects_unknown_hooks(fake_cli: FakeCli) -> None:
    result = _hook(fake_cli, "predeploy")

    assert result.returncode == 2
    assert "usage" in result.stderr
