"""A dry run of `azd up` on a new environment: what azd would prompt for, the hooks in the order azd
runs them (with the fake ``az``/``azd``), and how the run ends.

azd's rules, as implemented in azure-dev's Bicep provider (cli/azd/pkg/infra/provisioning/bicep/
bicep_provider.go, ``loadParameters`` and ``ensureParameters``):
- a parameter mapped to ``${VAR}`` whose variable is unset is left out (``${VAR=default}`` uses the
  default);
- a parameter left out that has no default in the template is prompted for;
- `azd up` does this prompting before any hook runs (Azure/azure-dev#5806), and reloads the
  environment before reading parameters for the deployment (Azure/azure-dev#6064).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

from tests.infra.bicep_model import INFRA, load_rel
from tests.infra.conftest import REPO_ROOT, FakeCli

TENANT = "c0a7b2e1-5d4f-4c8a-9e21-3b6f0d9a1c01"
_VAR = re.compile(r"^\$\{([A-Z0-9_]+)(?:=([^}]*))?\}$")


def azd_parameters(env: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """(parameters azd passes to the deployment, parameters azd would prompt for)."""
    mapped = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    template = load_rel("main.bicep").parameters
    resolved: dict[str, Any] = {}
    for name, entry in mapped.items():
        match = _VAR.match(entry["value"])
        assert match, f"{name}: only ${{VAR}} mappings are modelled"
        variable, default = match.groups()
        if variable in env:
            resolved[name] = env[variable]
        elif default is not None:
            resolved[name] = default
    prompts = [
        name
        for name, spec in template.items()
        if name not in resolved and spec["default"] is None
        and name != "principalId"  # azd fills AZURE_PRINCIPAL_ID itself
    ]  # fmt: skip
    return resolved, prompts


def _run(fake_cli: FakeCli, hook: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # No standard input: a hook that asked anything would fail or hang here.
    return subprocess.run(
        [sys.executable, "-m", "scripts.hooks", hook],
        cwd=REPO_ROOT,
        env=fake_cli.env(**env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _outputs(env: dict[str, str], parameters: dict[str, Any]) -> dict[str, str]:
    """What the deployment would write back into the environment (names from main.bicep)."""
    token = "abc123"
    base = f"https://func-api-{token}.azurewebsites.net"
    values = {
        "AZURE_LOCATION": env["AZURE_LOCATION"],
        "AZURE_TENANT_ID": TENANT,
        "AZURE_RESOURCE_GROUP": f"rg-{env['AZURE_ENV_NAME']}",
        "AZURE_FUNCTION_APP_NAME": f"func-api-{token}",
        "SERVICE_API_NAME": f"func-api-{token}",
        "SERVICE_API_URI": base,
        "COCKPIT_PUBLIC_BASE_URL": base,
        "COCKPIT_REDIRECT_URI": f"{base}/auth/callback",
        "COCKPIT_CRM_ORG_ORIGIN": parameters["crmOrgUrl"],
        "COCKPIT_ENTRA_AUTHORITY_HOST": "https://login.microsoftonline.com",
        "COCKPIT_DEPLOYED_CLIENT_ID": parameters.get("cockpitClientId", ""),
        "AZURE_MANAGED_IDENTITY_NAME": f"id-api-{token}",
        "AZURE_MANAGED_IDENTITY_CLIENT_ID": "0c0c0c0c-0000-4000-8000-00000000000c",
        "AZURE_MANAGED_IDENTITY_PRINCIPAL_ID": "0b0b0b0b-0000-4000-8000-00000000000b",
        "AZURE_KEY_VAULT_NAME": f"kv-{token}",
        "AZURE_KEY_VAULT_ENDPOINT": f"https://kv-{token}.vault.azure.net/",
        "COCKPIT_TOKEN_CACHE_KEY_SECRET_NAME": "cockpit-token-cache-key",
        "AZURE_STORAGE_ACCOUNT_NAME": f"st{token}",
        "COCKPIT_STORAGE_TABLE_ENDPOINT": f"https://st{token}.table.core.windows.net",
    }
    declared = set(load_rel("main.bicep").outputs)
    assert set(values) == declared, f"outputs to model: {sorted(declared ^ set(values))}"
    return values


def _new_environment() -> dict[str, str]:
    """`azd env new` + the documented `azd env set` lines (docs/deploy.md, "Run it")."""
    return {
        "AZURE_ENV_NAME": "cockpit-prod",
        "AZURE_LOCATION": "westeurope",
        "AZURE_SUBSCRIPTION_ID": "5e5e5e5e-0000-4000-8000-000000000005",
        "AZURE_PRINCIPAL_ID": "a11ce000-0000-4000-8000-000000000002",
        "COCKPIT_CRM_ORG_URL": "https://contoso.crm4.dynamics.com",
    }


def _azd_up(fake_cli: FakeCli, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Bootstrap prompt check, preprovision, reload, deployment, postprovision."""
    _, prompts = azd_parameters(env)
    assert prompts == [], f"azd up would ask for {prompts} before any hook"
    pre = _run(fake_cli, "preprovision", env)
    assert pre.returncode == 0, pre.stdout + pre.stderr
    env = {**env, **fake_cli.state().get("azd_env", {})}  # azd reloads the environment
    parameters, prompts = azd_parameters(env)
    assert prompts == []
    assert parameters["cockpitClientId"] == env["COCKPIT_CLIENT_ID"]
    env.update(_outputs(env, parameters))
    return _run(fake_cli, "postprovision", env)


def test_azd_up_on_a_new_environment_asks_nothing_and_ends_complete(fake_cli: FakeCli) -> None:
    post = _azd_up(fake_cli, _new_environment())

    assert post.returncode == 0, post.stderr
    assert "Postprovision complete." in post.stdout
    assert "NOT COMPLETE" not in post.stdout
    state = fake_cli.state()
    [app] = state["graph"]["applications"]
    assert app["federatedIdentityCredentials"][0]["audiences"] == ["api://AzureADTokenExchange"]
    assert state["secrets"]["kv-abc123"]["cockpit-token-cache-key"]
    # A second `azd up` converges: same registration, one credential, one assignment.
    again = _azd_up(fake_cli, {**_new_environment(), **state["azd_env"]})
    assert again.returncode == 0 and "Postprovision complete." in again.stdout
    state = fake_cli.state()
    assert len(state["graph"]["applications"]) == 1
    assert len(state["graph"]["applications"][0]["federatedIdentityCredentials"]) == 1
    assert len(state["graph"]["appRoleAssignments"]) == 1


def test_azd_up_without_role_assignment_rights_ends_with_a_finishing_command(
    fake_cli: FakeCli,
) -> None:
    graph = fake_cli.state()["graph"]
    graph["deny_app_role_assignment"] = True
    fake_cli.update(graph=graph)

    post = _azd_up(fake_cli, _new_environment())

    assert post.returncode == 0, "azd goes on to deploy the code"
    assert "NOT COMPLETE" in post.stdout
    finishing = post.stdout.split("NOT COMPLETE", 1)[1]
    assert "az rest --method POST" in finishing and "appRoleAssignedTo" in finishing
    assert fake_cli.state()["secrets"]["kv-abc123"]["cockpit-token-cache-key"]


def test_the_only_question_left_is_the_one_only_the_deployer_can_answer() -> None:
    env = _new_environment()
    del env["COCKPIT_CRM_ORG_URL"]

    _, prompts = azd_parameters(env)

    assert prompts == ["crmOrgUrl"]
