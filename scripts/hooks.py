"""azd hooks: what `azd up` does before and after Bicep (see azure.yaml).

``preprovision`` (before Bicep):
  1. checks the Azure CLI sign-in and COCKPIT_CRM_ORG_URL;
  2. creates/updates the Entra app registration (Graph upsert) and its service principal;
  3. stores its client id as COCKPIT_CLIENT_ID in the azd environment, which main.parameters.json
     feeds to Bicep (azd reloads the environment before reading parameters, Azure/azure-dev#6064).

``postprovision`` (after Bicep, with its outputs in the environment):
  1. adds the redirect URI and the managed-identity federated credential to the registration,
     assigns Cockpit.Admin to the deployer (and, if asked, grants admin consent);
  2. generates the token-cache key into Key Vault (never shown) and refreshes the app's
     Key Vault references;
  3. optionally creates the Dataverse application user and role;
  4. prints what is left to do by hand.

Switches (``azd env set NAME value``): COCKPIT_MANAGE_APP_REGISTRATION=false (bring your own
registration: set COCKPIT_CLIENT_ID yourself), COCKPIT_ASSIGN_ADMIN_ROLE=false,
COCKPIT_GRANT_ADMIN_CONSENT=true, COCKPIT_SETUP_DATAVERSE=true.

Run by hand: ``azd hooks run preprovision`` / ``azd hooks run postprovision``.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence

from scripts import dataverse_setup, entra_app, token_cache_key
from scripts.azcli import AzCliError, Graph, az, azd_env_set, require_env, say

__all__ = ["main", "postprovision", "preprovision"]

_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_ORIGIN = re.compile(r"^https://[A-Za-z0-9.-]+(:[0-9]+)?/?$")
DISPLAY_NAME = "Opportunity Cockpit"


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    return value in ("1", "true", "yes", "on")


def _signed_in_tenant() -> str:
    try:
        return az("account", "show", "--query", "tenantId", "--output", "tsv").strip()
    except AzCliError:
        raise SystemExit(
            "The Azure CLI is not signed in: run `az login` (azd and az keep separate sign-ins)."
        ) from None


def _signed_in_user() -> str:
    """Object id of the signed-in user; empty for a service principal sign-in (CI)."""
    try:
        return az("ad", "signed-in-user", "show", "--query", "id", "--output", "tsv").strip()
    except AzCliError:
        return ""


def _tenant_ids(default_tenant: str) -> list[str]:
    raw = os.environ.get("COCKPIT_TENANT_IDS", "")
    ids = [item for item in re.split(r"[\s,]+", raw) if item] or [default_tenant]
    bad = [item for item in ids if not _GUID.match(item)]
    if bad:
        raise SystemExit(f"COCKPIT_TENANT_IDS holds values that are not tenant GUIDs: {bad}")
    return ids


def preprovision() -> None:
    """Validate inputs and make sure the app registration exists; set COCKPIT_CLIENT_ID."""
    say("Opportunity Cockpit: preprovision")
    org_url = require_env(
        "COCKPIT_CRM_ORG_URL",
        "Set the Dataverse environment URL first: "
        "`azd env set COCKPIT_CRM_ORG_URL https://<org>.crm<N>.dynamics.com`",
    )
    if not _ORIGIN.match(org_url):
        raise SystemExit(
            f"COCKPIT_CRM_ORG_URL must look like https://contoso.crm4.dynamics.com, not {org_url!r}"
        )
    tenant = _signed_in_tenant()
    azd_tenant = os.environ.get("AZURE_TENANT_ID", "").strip()
    if azd_tenant and azd_tenant != tenant:
        say(
            f"  Note: az is signed in to tenant {tenant}, azd deploys to {azd_tenant}. The app "
            "registration is created in the az tenant, which must be the tenant of the "
            "managed identity (federated credentials do not cross tenants)."
        )
    if not _flag("COCKPIT_MANAGE_APP_REGISTRATION", True):
        client_id = require_env(
            "COCKPIT_CLIENT_ID",
            "With COCKPIT_MANAGE_APP_REGISTRATION=false, set the client id of your registration.",
        )
        if not _GUID.match(client_id):
            raise SystemExit(f"COCKPIT_CLIENT_ID must be a GUID, not {client_id!r}")
        say(f"  Using the existing app registration {client_id} (not managed by these hooks).")
        return
    tenants = _tenant_ids(tenant)
    # Several tenants in the allow-list need a multi-tenant registration (consented per tenant).
    audience = "AzureADMultipleOrgs" if len(tenants) > 1 else "AzureADMyOrg"
    env_name = require_env("AZURE_ENV_NAME")
    graph = Graph()
    app = entra_app.ensure_application(
        graph,
        unique_name=entra_app.unique_name_for(env_name),
        display_name=f"{DISPLAY_NAME} ({env_name})",
        sign_in_audience=audience,
    )
    entra_app.ensure_service_principal(graph, app.app_id)
    azd_env_set("COCKPIT_CLIENT_ID", app.app_id)
    say(f"  App registration ready: client id {app.app_id} ({audience}); no secret created.")


def postprovision() -> None:
    """Finish identity wiring, create the token-cache key, optionally set up Dataverse."""
    say("Opportunity Cockpit: postprovision")
    client_id = require_env("COCKPIT_CLIENT_ID")
    tenant_id = require_env("AZURE_TENANT_ID")
    redirect_uri = require_env("COCKPIT_REDIRECT_URI")
    mi_principal = require_env("AZURE_MANAGED_IDENTITY_PRINCIPAL_ID")
    base_url = require_env("COCKPIT_PUBLIC_BASE_URL")
    org_origin = require_env("COCKPIT_CRM_ORG_ORIGIN")
    manual: list[str] = []

    if _flag("COCKPIT_MANAGE_APP_REGISTRATION", True):
        graph = Graph()
        app = entra_app.get_application_by_app_id(graph, client_id)
        if entra_app.ensure_redirect_uri(graph, app, redirect_uri):
            say(f"  Redirect URI added: {redirect_uri}")
        outcome = entra_app.ensure_federated_credential(
            graph, app, tenant_id=tenant_id, principal_id=mi_principal
        )
        say(f"  Federated credential for the managed identity: {outcome}.")
        sp_id = entra_app.ensure_service_principal(graph, app.app_id)
        admin = os.environ.get("AZURE_PRINCIPAL_ID", "").strip() or _signed_in_user()
        if _flag("COCKPIT_ASSIGN_ADMIN_ROLE", True) and admin:
            added = entra_app.ensure_admin_assignment(
                graph, app, service_principal_id=sp_id, principal_id=admin
            )
            say(
                f"  {entra_app.ADMIN_ROLE_VALUE} {'assigned to' if added else 'already held by'} you ({admin})."
            )
        if _flag("COCKPIT_GRANT_ADMIN_CONSENT", False):
            try:
                granted = entra_app.grant_admin_consent(graph, service_principal_id=sp_id)
                say(f"  Admin consent granted: {granted or 'already in place'}.")
            except AzCliError as error:
                say(f"  Could not grant admin consent ({error}); an admin can use the URL below.")
                manual.append(_consent_step(tenant_id, client_id))
        else:
            manual.append(_consent_step(tenant_id, client_id))
    else:
        manual.append(
            f"On app registration {client_id}: add the Web redirect URI {redirect_uri} and a "
            f"federated credential (issuer https://login.microsoftonline.com/{tenant_id}/v2.0, "
            f"subject {mi_principal}, audience {entra_app.TOKEN_EXCHANGE_AUDIENCE})."
        )
        manual.append(_consent_step(tenant_id, client_id))

    token_cache_key.ensure_token_cache_key(
        vault=require_env("AZURE_KEY_VAULT_NAME"),
        name=require_env("COCKPIT_TOKEN_CACHE_KEY_SECRET_NAME"),
    )
    if token_cache_key.refresh_key_vault_references(
        subscription_id=require_env("AZURE_SUBSCRIPTION_ID"),
        resource_group=require_env("AZURE_RESOURCE_GROUP"),
        app_name=require_env("AZURE_FUNCTION_APP_NAME"),
    ):
        say("  Key Vault references refreshed.")

    dataverse_command = (
        f"python3 -m scripts.dataverse_setup --org-url {org_origin} --app-id {client_id}"
    )
    if _flag("COCKPIT_SETUP_DATAVERSE", False):
        dataverse_setup.main(["--org-url", org_origin, "--app-id", client_id])
    else:
        manual.append(
            "As a Dataverse System Administrator, create the application user and its role "
            f"(background write-backs): {dataverse_command}"
        )
    manual.append(
        f"Add the 'Open Cockpit' button and the Cockpit tab in Dynamics (crm/): start URL "
        f"{base_url}/launch, iframe URL {base_url}/embed."
    )
    say("")
    say(f"Cockpit: {base_url}")
    say("Still to do by hand:")
    for number, step in enumerate(manual, start=1):
        say(f"  {number}. {step}")


def _consent_step(tenant_id: str, client_id: str) -> str:
    url = entra_app.admin_consent_url(tenant_id=tenant_id, app_id=client_id)
    return (
        "A Global/Privileged Role/Cloud Application Administrator grants consent for Dynamics CRM "
        f"user_impersonation (once per tenant): {url}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m scripts.hooks preprovision|postprovision``."""
    args = list(sys.argv[1:] if argv is None else argv)
    hooks = {"preprovision": preprovision, "postprovision": postprovision}
    if len(args) != 1 or args[0] not in hooks:
        sys.stderr.write("usage: python -m scripts.hooks preprovision|postprovision\n")
        return 2
    try:
        hooks[args[0]]()
    except (AzCliError, entra_app.SetupError) as error:
        sys.stderr.write(f"{args[0]} failed: {error}\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
