"""Offline checks of infra/*.bicep (parsed with pycep-parser; Bicep cannot be compiled here).

They pin what must hold for a deployment without secrets: identity-only storage access, TLS 1.2+,
HTTPS only, no FTP, Key Vault with RBAC, telemetry with local auth disabled, least-privilege role
assignments scoped to single resources, the azd tags, Flex Consumption with Python 3.11, and an
app-settings set that the cockpit's settings class accepts.
"""

from __future__ import annotations

import base64
import json
import os
import re
import uuid
from collections.abc import Mapping
from typing import Any

import pytest
import yaml

from shared.adapters.tables.client import TABLES
from shared.settings import CrmOrgSetting, Settings, load_settings
from tests.infra.bicep_model import (
    INFRA,
    REPO_ROOT,
    BicepFile,
    accessor_path,
    bicep_files,
    body,
    condition,
    load,
    load_rel,
    module_file,
    strings,
)

ROLE_IDS = {
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
    "974c5e8b-45b9-4653-ba55-5f855dd0fb88": "Storage Queue Data Contributor",
    "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3": "Storage Table Data Contributor",
    "3913510d-42f4-4e42-8a64-420c390055eb": "Monitoring Metrics Publisher",
    "4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User",
    "b86a8fe4-44ce-4948-aee5-eccb2c155cd7": "Key Vault Secrets Officer",
}
BROAD_ROLES = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
}
# Every table the app uses (shared/adapters/tables/client.py), so Bicep can never miss a new one.
COCKPIT_TABLES = {f"cockpit{suffix}" for suffix in TABLES.values()}
REQUIRED_APP_SETTINGS = {
    "COCKPIT_ENV",
    "COCKPIT_PUBLIC_BASE_URL",
    "COCKPIT_STORAGE_TABLE_ENDPOINT",
    "COCKPIT_MANAGED_IDENTITY_CLIENT_ID",
    "COCKPIT_TENANT_IDS",
    "COCKPIT_CLIENT_ID",
    "COCKPIT_CLIENT_CREDENTIAL_MODE",
    "COCKPIT_ENTRA_AUTHORITY_HOST",
    "COCKPIT_CRM_ORGS",
    "COCKPIT_FRAME_ANCESTORS",
    "COCKPIT_TOKEN_CACHE_KEY",
    "AzureWebJobsStorage__credential",
    "AzureWebJobsStorage__clientId",
    "AzureWebJobsStorage__blobServiceUri",
    "AzureWebJobsStorage__queueServiceUri",
    "AzureWebJobsStorage__tableServiceUri",
    "APPLICATIONINSIGHTS_CONNECTION_STRING",
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
}
# Flex Consumption moved or deprecated these; setting them is a misconfiguration.
# https://learn.microsoft.com/azure/azure-functions/functions-app-settings#flex-consumption-plan-deprecations
FLEX_DEPRECATED_SETTINGS = {
    "FUNCTIONS_WORKER_RUNTIME",
    "FUNCTIONS_EXTENSION_VERSION",
    "WEBSITE_RUN_FROM_PACKAGE",
    "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
    "WEBSITE_CONTENTSHARE",
    "WEBSITE_NODE_DEFAULT_VERSION",
    "SCM_DO_BUILD_DURING_DEPLOYMENT",
    "ENABLE_ORYX_BUILD",
}
# @Microsoft.KeyVault(SecretUri=...) or (VaultName=...;SecretName=...), the SecretUri either literal
# or built from a vault's vaultUri. https://learn.microsoft.com/azure/app-service/app-service-key-vault-references
KEY_VAULT_REFERENCE = re.compile(
    r"^@Microsoft\.KeyVault\((SecretUri=(https://[^)]+|\$\{(?P<vault>\w+)\.properties\.vaultUri\}"
    r"secrets/[^)]+)|VaultName=[^;)]+;SecretName=[^)]+)\)$"
)
# Values that would carry a credential: key listing functions, key/secret/connection-string
# properties, and the telltale fragments of connection strings and SAS tokens.
SECRET_VALUE = re.compile(
    r"\blist[A-Z]\w*|list_func|getSecret|AccountKey=|SharedAccessSignature|SharedAccessKey|"
    r"\bsig=|InstrumentationKey|ConnectionString|primaryKey|secondaryKey|primaryMasterKey|"
    r"password|-----BEGIN",
    re.IGNORECASE,
)
SECRET_NAME = re.compile(
    r"(SECRET|PASSWORD|PASSWD|_KEY|CONNECTION_?STRING|_TOKEN|_SAS)$", re.IGNORECASE
)

MAIN = "main.bicep"


def _tls(value: object) -> tuple[int, int]:
    match = re.fullmatch(r"(?:TLS)?(\d+)[._](\d+)", str(value))
    assert match, f"not a TLS version: {value!r}"
    return int(match.group(1)), int(match.group(2))


def _app_settings() -> tuple[BicepFile, dict[str, Any]]:
    function = load_rel("app/function.bicep")
    _, settings = function.one("Microsoft.Web/sites/config")
    assert body(settings)["name"] == "appsettings"
    return function, dict(body(settings)["properties"])


def _joined(value: object) -> str:
    return " ".join(strings(value))


# --- every file ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", bicep_files(), ids=lambda p: str(p.relative_to(INFRA)))
def test_pycep_parses_every_resource_declared(path: Any) -> None:
    bicep = load(path)
    # pycep 0.7.1 silently drops all but the last child resource nested inside a parent; the
    # files declare children at top level with `parent:`, and this proves nothing was dropped.
    assert bicep.declared_resource_names() == list(bicep.resources)


def test_every_module_of_main_exists_and_is_checked() -> None:
    main = load_rel(MAIN)
    used = {module_file(main, name).path for name in main.modules}
    assert used == {p for p in bicep_files() if p.name != MAIN}
    for name, module in main.modules.items():
        assert module["type"] == "local", f"{name}: remote modules cannot be checked offline"


def test_no_secret_parameter_or_secret_resource_anywhere() -> None:
    for path in bicep_files():
        bicep = load(path)
        for name, param in bicep.parameters.items():
            kinds = {d["type"] for d in param["decorators"]}
            assert "secure" not in kinds, f"{bicep.name}: @secure() param {name}: no secret goes in"
        assert not bicep.resources_of_type("Microsoft.KeyVault/vaults/secrets"), (
            f"{bicep.name}: the token-cache key is created by the postprovision hook, not Bicep"
        )
        text = path.read_text()
        assert not SECRET_VALUE.search(
            re.sub(r"//.*", "", text)
            .replace("APPLICATIONINSIGHTS_CONNECTION_STRING", "")
            .replace("properties.ConnectionString", "")
        ), f"{bicep.name}: key-listing function or credential fragment"


@pytest.mark.parametrize("path", bicep_files(), ids=lambda p: str(p.relative_to(INFRA)))
def test_no_secret_in_outputs(path: Any) -> None:
    bicep = load(path)
    for name, output in bicep.outputs.items():
        assert not SECRET_NAME.search(name), f"{bicep.name}: output {name} is named like a secret"
        found = SECRET_VALUE.search(_joined(output["value"]))
        assert found is None, f"{bicep.name}: output {name} carries {found and found.group(0)}"


# --- azd conventions ----------------------------------------------------------------------------


def test_resource_group_is_tagged_with_the_azd_environment() -> None:
    main = load_rel(MAIN)
    assert main.tree["globals"]["scope"]["value"] == "subscription"
    _, rg = main.one("Microsoft.Resources/resourceGroups")
    assert body(rg)["tags"] == "tags"
    assert main.variables["tags"]["value"] == {"'azd-env-name'": "environmentName"}


def test_every_taggable_resource_carries_the_environment_tags() -> None:
    main = load_rel(MAIN)
    taggable = (
        "Microsoft.Web/sites",
        "Microsoft.Web/serverfarms",
        "Microsoft.Storage/storageAccounts",
        "Microsoft.KeyVault/vaults",
        "Microsoft.Insights/components",
        "Microsoft.OperationalInsights/workspaces",
        "Microsoft.ManagedIdentity/userAssignedIdentities",
        "Microsoft.Network/virtualNetworks",
        "Microsoft.Network/privateEndpoints",
        "Microsoft.Network/privateDnsZones",
    )
    for module_name, module in main.modules.items():
        child = module_file(main, module_name)
        if "tags" in child.parameters:
            assert body(module)["params"].get("tags") == "tags", f"{module_name}: tags not passed"
        for name, resource in child.resources.items():
            if resource["existing"] or resource["type"] not in taggable:
                continue
            tags = body(resource).get("tags")
            assert tags == "tags" or accessor_path(tags) == [] and "tags" in _joined(tags), (
                f"{child.name}: {name} has no tags"
            )


def test_function_app_is_tagged_with_the_azure_yaml_service() -> None:
    azure_yaml = yaml.safe_load((REPO_ROOT / "azure.yaml").read_text())
    services = azure_yaml["services"]
    assert list(services) == ["api"]
    assert services["api"] == {"project": ".", "language": "python", "host": "function"}
    main = load_rel(MAIN)
    assert "serviceName" not in body(main.modules["api"])["params"]
    function = load_rel("app/function.bicep")
    assert function.param_default("serviceName") == "api"
    _, site = function.one("Microsoft.Web/sites")
    union = body(site)["tags"]["function"]
    assert union["type"] == "union"
    assert union["parameters"] == {"arg_1": "tags", "arg_2": {"'azd-service-name'": "serviceName"}}


# --- storage ---------------------------------------------------------------------------------------


def test_storage_accepts_only_entra_id_over_tls_12() -> None:
    storage = load_rel("app/storage.bicep")
    _, account = storage.one("Microsoft.Storage/storageAccounts")
    props = body(account)["properties"]
    assert storage.literal(props["allowSharedKeyAccess"]) is False
    assert storage.literal(props["defaultToOAuthAuthentication"]) is True
    assert storage.literal(props["allowBlobPublicAccess"]) is False
    assert storage.literal(props["supportsHttpsTrafficOnly"]) is True
    assert _tls(storage.literal(props["minimumTlsVersion"])) >= (1, 2)
    _, container = storage.one("Microsoft.Storage/storageAccounts/blobServices/containers")
    assert body(container)["properties"]["publicAccess"] == "None"


def test_all_eight_cockpit_tables_are_declared() -> None:
    storage = load_rel("app/storage.bicep")
    _, tables = storage.one("Microsoft.Storage/storageAccounts/tableServices/tables")
    loop = tables["config"]["loop_type"]["detail"]
    assert loop["array_name"] == "cockpitTables"
    assert body(tables) == {"parent": "tableService", "name": loop["item_name"]}
    names = storage.variables["cockpitTables"]["value"]
    assert set(names) == COCKPIT_TABLES and len(names) == len(COCKPIT_TABLES)
    _, service = storage.one("Microsoft.Storage/storageAccounts/tableServices")
    assert body(service) == {"parent": "storage", "name": "default"}
    # The app finds them through COCKPIT_TABLE_PREFIX.
    _, settings = _app_settings()
    assert all(name.startswith(settings["COCKPIT_TABLE_PREFIX"]) for name in names)


def test_storage_goes_private_only_when_the_vnet_is_enabled() -> None:
    main = load_rel(MAIN)
    assert main.param_default("vnetEnabled") is False
    assert condition(main.modules["vnet"]) == "vnetEnabled"
    storage = load_rel("app/storage.bicep")
    _, account = storage.one("Microsoft.Storage/storageAccounts")
    access = body(account)["properties"]["publicNetworkAccess"]["operator"]
    assert access["type"] == "conditional"
    assert access["operands"]["condition"] == "vnetEnabled"
    assert access["operands"]["true_value"] == "Disabled"


# --- the Function App ------------------------------------------------------------------------------


def test_function_app_is_https_only_tls12_without_ftp_or_basic_auth() -> None:
    function = load_rel("app/function.bicep")
    _, site = function.one("Microsoft.Web/sites")
    props = body(site)["properties"]
    assert function.literal(props["httpsOnly"]) is True
    config = props["siteConfig"]
    assert _tls(function.literal(config["minTlsVersion"])) >= (1, 2)
    assert _tls(function.literal(config["scmMinTlsVersion"])) >= (1, 2)
    assert function.literal(config["ftpsState"]) == "Disabled"
    policies = function.resources_of_type("Microsoft.Web/sites/basicPublishingCredentialsPolicies")
    assert {body(p)["name"]: body(p)["properties"]["allow"] for p in policies.values()} == {
        "ftp": False,
        "scm": False,
    }


def test_function_app_is_flex_consumption_python_311_with_one_warm_http_instance() -> None:
    function = load_rel("app/function.bicep")
    plan_name, plan = function.one("Microsoft.Web/serverfarms")
    assert body(plan)["sku"] == {"name": "FC1", "tier": "FlexConsumption"}
    assert body(plan)["properties"]["reserved"] is True  # Linux
    _, site = function.one("Microsoft.Web/sites")
    site_body = body(site)
    assert site_body["kind"] == "functionapp,linux"
    assert accessor_path(site_body["properties"]["serverFarmId"]) == [plan_name, "id"]
    config = site_body["properties"]["functionAppConfig"]
    assert function.literal(config["runtime"]["name"]) == "python"
    assert function.literal(config["runtime"]["version"]) == "3.11"
    scale = config["scaleAndConcurrency"]
    [http_group] = scale["alwaysReady"]
    assert http_group["name"] == "http"
    assert function.param_default(http_group["instanceCount"]) == 1
    memory = scale["instanceMemoryMB"]
    if isinstance(memory, str):
        allowed = function.allowed(memory)
        assert allowed is not None and function.param_default(memory) in allowed
        memory = function.param_default(memory)
    assert memory in (2048, 4096)
    assert "instanceMemoryMB" not in body(load_rel(MAIN).modules["api"])["params"]


def test_function_app_uses_only_its_user_assigned_identity() -> None:
    function = load_rel("app/function.bicep")
    identity_name, _ = function.one("Microsoft.ManagedIdentity/userAssignedIdentities")
    _, site = function.one("Microsoft.Web/sites")
    site_body = body(site)
    assert site_body["identity"]["type"] == "UserAssigned"
    assert list(site_body["identity"]["userAssignedIdentities"]) == [f"'${{{identity_name}.id}}'"]
    props = site_body["properties"]
    assert accessor_path(props["keyVaultReferenceIdentity"]) == [identity_name, "id"]
    storage = props["functionAppConfig"]["deployment"]["storage"]
    assert storage["type"] == "blobContainer"
    assert storage["authentication"]["type"] == "UserAssignedIdentity"
    assert accessor_path(storage["authentication"]["userAssignedIdentityResourceId"]) == [
        identity_name,
        "id",
    ]


def test_app_settings_are_complete_and_identity_based() -> None:
    function, settings = _app_settings()
    identity_name, _ = function.one("Microsoft.ManagedIdentity/userAssignedIdentities")
    missing = REQUIRED_APP_SETTINGS - set(settings)
    assert not missing, f"missing app settings: {sorted(missing)}"
    assert not FLEX_DEPRECATED_SETTINGS & set(settings)
    assert "AzureWebJobsStorage" not in settings  # the connection-string form
    assert function.literal(settings["COCKPIT_ENV"]) == "azure"
    assert function.literal(settings["COCKPIT_CLIENT_CREDENTIAL_MODE"]) == "managed_identity"
    assert function.literal(settings["AzureWebJobsStorage__credential"]) == "managedidentity"
    client_id_path = [identity_name, "properties", "clientId"]
    assert accessor_path(settings["AzureWebJobsStorage__clientId"]) == client_id_path
    assert accessor_path(settings["COCKPIT_MANAGED_IDENTITY_CLIENT_ID"]) == client_id_path
    assert settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] == (
        f"ClientId=${{{identity_name}.properties.clientId}};Authorization=AAD"
    )
    reference = KEY_VAULT_REFERENCE.match(settings["COCKPIT_TOKEN_CACHE_KEY"])
    assert reference is not None
    vault_name, _ = function.one("Microsoft.KeyVault/vaults")
    assert reference.group("vault") == vault_name
    assert settings["COCKPIT_TOKEN_CACHE_KEY"].endswith("secrets/${tokenCacheKeySecretName}/)")


def test_app_settings_hold_no_secret() -> None:
    function, settings = _app_settings()
    for name, value in settings.items():
        if name == "APPLICATIONINSIGHTS_CONNECTION_STRING":
            continue  # checked below
        if isinstance(value, str) and KEY_VAULT_REFERENCE.match(value):
            continue
        assert not SECRET_NAME.search(name), f"{name} looks secret but is not a Key Vault reference"
        found = SECRET_VALUE.search(_joined(value))
        assert found is None, f"app setting {name} carries {found and found.group(0)}"
    # The App Insights connection string holds only the instrumentation key (an id, not a
    # credential) *because* local auth is disabled: ingestion then requires an Entra token.
    # https://learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication
    insights_name, _ = function.one("Microsoft.Insights/components")
    assert accessor_path(settings["APPLICATIONINSIGHTS_CONNECTION_STRING"]) == [
        insights_name,
        "properties",
        "ConnectionString",
    ]
    monitoring = load_rel("app/monitoring.bicep")
    _, insights = monitoring.one("Microsoft.Insights/components")
    assert monitoring.literal(body(insights)["properties"]["DisableLocalAuth"]) is True


# --- monitoring, Key Vault ---------------------------------------------------------------------------


def test_telemetry_accepts_entra_authentication_only() -> None:
    monitoring = load_rel("app/monitoring.bicep")
    workspace_name, workspace = monitoring.one("Microsoft.OperationalInsights/workspaces")
    assert body(workspace)["properties"]["features"]["disableLocalAuth"] is True
    _, insights = monitoring.one("Microsoft.Insights/components")
    props = body(insights)["properties"]
    assert props["DisableLocalAuth"] is True
    assert accessor_path(props["WorkspaceResourceId"]) == [workspace_name, "id"]


def test_key_vault_uses_rbac_and_holds_no_access_policies() -> None:
    keyvault = load_rel("app/keyvault.bicep")
    _, vault = keyvault.one("Microsoft.KeyVault/vaults")
    props = body(vault)["properties"]
    assert keyvault.literal(props["enableRbacAuthorization"]) is True
    assert props["enableSoftDelete"] is True
    assert "accessPolicies" not in props
    assert props["enabledForTemplateDeployment"] is False


def test_key_vault_reference_names_the_secret_the_hook_creates() -> None:
    main = load_rel(MAIN)
    secret_name = main.variables["tokenCacheKeySecretName"]["value"]
    assert secret_name == "cockpit-token-cache-key"
    assert (
        body(main.modules["api"])["params"]["tokenCacheKeySecretName"] == "tokenCacheKeySecretName"
    )
    assert main.outputs["COCKPIT_TOKEN_CACHE_KEY_SECRET_NAME"]["value"] == "tokenCacheKeySecretName"
    hooks = (REPO_ROOT / "scripts" / "postprovision_steps.py").read_text()
    assert 'require_env("COCKPIT_TOKEN_CACHE_KEY_SECRET_NAME")' in hooks


# --- role assignments ------------------------------------------------------------------------------


def _role_assignments() -> list[tuple[BicepFile, str, Mapping[str, Any]]]:
    found = []
    for path in bicep_files():
        bicep = load(path)
        for name, resource in bicep.resources_of_type(
            "Microsoft.Authorization/roleAssignments"
        ).items():
            found.append((bicep, name, resource))
    return found


def _role_guid(bicep: BicepFile, role_definition: Mapping[str, Any]) -> str:
    function = role_definition["function"]
    assert function["type"] == "subscription_resource_id"
    params = function["parameters"]
    assert params["resource_type"] == "Microsoft.Authorization/roleDefinitions"
    path = accessor_path(params["resource_name_1"])
    assert len(path) == 2, "role ids come from the roleIds variable"
    role_ids = bicep.variables[path[0]]["value"]
    return str(role_ids[path[1]])


def test_every_role_assignment_is_scoped_to_one_resource() -> None:
    assignments = _role_assignments()
    assert assignments
    for bicep, name, resource in assignments:
        spec = body(resource)
        scope = spec.get("scope")
        assert isinstance(scope, str) and scope in bicep.resources, (
            f"{bicep.name}: {name} must set scope: to a resource declared in the file"
        )
        scope_type = bicep.resources[scope]["type"]
        assert scope_type not in (
            "Microsoft.Resources/resourceGroups",
            "Microsoft.Resources/subscriptions",
        ), f"{bicep.name}: {name} is scoped to {scope_type}"
        # The assignment name is derived from the scope, so it is unique per resource.
        guid = spec["name"]["function"]
        assert guid["type"] == "guid"
        assert accessor_path(guid["parameters"]["base_string"]) == [scope, "id"]
        assert spec["properties"]["principalType"]
        assert _role_guid(bicep, spec["properties"]["roleDefinitionId"]) in ROLE_IDS


def test_role_assignments_are_exactly_the_least_privilege_set() -> None:
    granted = set()
    for bicep, _, resource in _role_assignments():
        spec = body(resource)
        role = ROLE_IDS[_role_guid(bicep, spec["properties"]["roleDefinitionId"])]
        scope_type = bicep.resources[spec["scope"]]["type"].split("/")[-1]
        granted.add((spec["properties"]["principalId"], role, scope_type))
    assert granted == {
        ("identityPrincipalId", "Storage Blob Data Owner", "storageAccounts"),
        ("identityPrincipalId", "Storage Queue Data Contributor", "storageAccounts"),
        ("identityPrincipalId", "Storage Table Data Contributor", "storageAccounts"),
        ("identityPrincipalId", "Monitoring Metrics Publisher", "components"),
        ("identityPrincipalId", "Key Vault Secrets User", "vaults"),
        ("deployerPrincipalId", "Key Vault Secrets Officer", "vaults"),
    }
    for path in bicep_files():
        text = path.read_text().lower()
        for guid, role in BROAD_ROLES.items():
            assert guid not in text, f"{path.name} grants {role}"


def test_deployer_role_is_skipped_without_a_principal() -> None:
    rbac = load_rel("app/rbac.bicep")
    cond = condition(rbac.resources["deployerSecretsOfficer"])
    assert "deployerPrincipalId" in _joined(cond) and "not" in _joined(cond)


# --- parameters and the settings contract -----------------------------------------------------------


def test_parameters_file_matches_main_bicep() -> None:
    main = load_rel(MAIN)
    parameters = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    assert set(parameters) <= set(main.parameters), "parameters main.bicep does not declare"
    required = {name for name, p in main.parameters.items() if p["default"] is None}
    assert required <= set(parameters), (
        f"required parameters not fed by azd: {required - set(parameters)}"
    )
    for name, entry in parameters.items():
        assert re.fullmatch(r"\$\{[A-Z0-9_]+(=[A-Za-z0-9]*)?\}", entry["value"]), (
            f"{name}: parameters come from the azd environment, never literal values"
        )


def test_hooks_only_read_outputs_main_bicep_declares() -> None:
    hooks = "".join(
        (REPO_ROOT / "scripts" / name).read_text()
        for name in ("hooks.py", "postprovision_steps.py")
    )
    read = set(re.findall(r'require_env\(\s*"([A-Z0-9_]+)"', hooks))
    read |= set(re.findall(r'os\.environ\.get\(\s*"((?:COCKPIT|AZURE)_[A-Z0-9_]+)"', hooks))
    # Set by azd itself or by the deployer/preprovision hook rather than by Bicep outputs.
    from_elsewhere = {
        "AZURE_ENV_NAME",
        "AZURE_SUBSCRIPTION_ID",
        "AZURE_PRINCIPAL_ID",
        "COCKPIT_CLIENT_ID",
        "COCKPIT_CRM_ORG_URL",
        "COCKPIT_TENANT_IDS",
        "COCKPIT_KEY_VAULT_RETRY_SECONDS",
    }
    outputs = set(load_rel(MAIN).outputs)
    assert read - from_elsewhere <= outputs, (
        f"not produced by main.bicep: {read - from_elsewhere - outputs}"
    )


def test_every_cockpit_app_setting_is_a_settings_field() -> None:
    _, settings = _app_settings()
    fields = set(Settings.model_fields)
    for name in settings:
        if name == "APPLICATIONINSIGHTS_CONNECTION_STRING":
            assert "applicationinsights_connection_string" in fields
        elif name.startswith("COCKPIT_"):
            assert name.removeprefix("COCKPIT_").lower() in fields, (
                f"{name} is not read by Settings"
            )
    main = load_rel(MAIN)
    [org] = main.variables["crmOrgs"]["value"]
    # Every key Bicep writes is read, and every required field is written; unique_name and
    # url_name are optional (scripts/dataverse_setup.py records them after deployment).
    required = {n for n, f in CrmOrgSetting.model_fields.items() if f.is_required()}
    assert required <= set(org) <= set(CrmOrgSetting.model_fields)


def test_rendered_app_settings_are_accepted_by_the_settings_class(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Render the app settings as ARM would (sample values for the expressions) and load them."""
    _, settings = _app_settings()
    tenant = str(uuid.uuid4())
    samples = {
        # ARM-evaluated expressions, with realistic values.
        "AzureWebJobsStorage__clientId": str(uuid.uuid4()),
        "AzureWebJobsStorage__blobServiceUri": "https://stabc.blob.core.windows.net/",
        "AzureWebJobsStorage__queueServiceUri": "https://stabc.queue.core.windows.net/",
        "AzureWebJobsStorage__tableServiceUri": "https://stabc.table.core.windows.net/",
        "APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey=00000000-0000-0000-0000-000000000000",
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING": "ClientId=x;Authorization=AAD",
        "COCKPIT_PUBLIC_BASE_URL": "https://func-api-abc.azurewebsites.net",
        "COCKPIT_STORAGE_TABLE_ENDPOINT": "https://stabc.table.core.windows.net",
        "COCKPIT_MANAGED_IDENTITY_CLIENT_ID": str(uuid.uuid4()),
        "COCKPIT_TENANT_IDS": tenant,
        "COCKPIT_CLIENT_ID": str(uuid.uuid4()),
        "COCKPIT_ENTRA_AUTHORITY_HOST": "https://login.microsoftonline.com",
        "COCKPIT_CRM_ORGS": json.dumps(
            [{"tenant_id": tenant, "name": "contoso", "url": "https://contoso.crm4.dynamics.com"}]
        ),
        "COCKPIT_FRAME_ANCESTORS": "https://contoso.crm4.dynamics.com",
        "COCKPIT_HTTP_POOL_SIZE": "16",  # string(perInstanceConcurrency)
        # What App Service substitutes for the Key Vault reference once resolved.
        "COCKPIT_TOKEN_CACHE_KEY": base64.b64encode(os.urandom(32)).decode(),
    }
    literals = {
        k: v
        for k, v in settings.items()
        if isinstance(v, str) and "${" not in v and k not in samples
    }
    assert set(samples) | set(literals) == set(settings), "a new app setting needs a sample value"
    for name in list(os.environ):
        if name.startswith("COCKPIT_"):
            monkeypatch.delenv(name)
    for name, value in {**literals, **samples}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("WEBSITE_SITE_NAME", "func-api-abc")  # set by the Functions host

    # Exactly what the Function App's settings hold: no storage connection string (identity).
    loaded = load_settings()

    assert loaded.in_azure
    assert loaded.client_credential_mode == "managed_identity"
    assert loaded.http_pool_size == 16
    assert loaded.applicationinsights_connection_string is not None
    assert loaded.table_prefix == "cockpit"
    assert [o.url for o in loaded.orgs] == ["https://contoso.crm4.dynamics.com"]
