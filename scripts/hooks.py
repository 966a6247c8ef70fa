"""azd hooks: what `azd up` does before and after Bicep (see azure.yaml, docs/deploy.md).

``preprovision`` (before Bicep):
  1. checks the Azure CLI sign-in (and COCKPIT_CRM_ORG_URL when it is set);
  2. creates/updates the Entra app registration and its service principal: the one this azd
     environment already uses (COCKPIT_CLIENT_ID), else the one named after this deployment
     (environment name + a token of subscription and resource group);
  3. stores its client id as COCKPIT_CLIENT_ID in the azd environment, which main.parameters.json
     feeds to Bicep. Bicep gives ``cockpitClientId`` a default, so `azd up` has nothing to prompt
     for before this hook runs (it prompts before any hook, Azure/azure-dev#5806); azd reloads the
     environment before reading parameters (Azure/azure-dev#6064).

``postprovision`` (after Bicep, with its outputs in the environment): every step is idempotent and
runs even when an earlier one failed; a failure is reported with the command that finishes it by
hand, and the hook still ends successfully so `azd up` goes on to deploy the code:
  1. redirect URI, federated credential (issuer and audience of the cloud), Cockpit.Admin for the
     deployer, optional admin consent;
  2. the token-cache key ring into Key Vault (never shown) and a Key Vault reference refresh;
  3. optionally the Dataverse application user and role;
  4. a summary: done, still to do by hand, and the commands that finish what failed.

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

from scripts import entra_app
from scripts.azcli import AzCliError, Graph, az, azd_env_set, flag, require_env, say
from scripts.postprovision_steps import postprovision

__all__ = ["main", "postprovision", "preprovision"]

_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_ORIGIN = re.compile(r"^https://[A-Za-z0-9.-]+(:[0-9]+)?/?$")
DISPLAY_NAME = "Opportunity Cockpit"
# main.bicep names the resource group '${abbrs.resourcesResourceGroups}${environmentName}'.
RESOURCE_GROUP_PREFIX = "rg-"


def _signed_in_tenant() -> str:
    try:
        return az("account", "show", "--query", "tenantId", "--output", "tsv").strip()
    except AzCliError:
        raise SystemExit(
            "The Azure CLI is not signed in: run `az login` (azd and az keep separate sign-ins)."
        ) from None


def _tenant_ids(default_tenant: str) -> list[str]:
    raw = os.environ.get("COCKPIT_TENANT_IDS", "")
    ids = [item for item in re.split(r"[\s,]+", raw) if item] or [default_tenant]
    bad = [item for item in ids if not _GUID.match(item)]
    if bad:
        raise SystemExit(f"COCKPIT_TENANT_IDS holds values that are not tenant GUIDs: {bad}")
    return ids


def _deployment_token() -> str:
    env_name = require_env("AZURE_ENV_NAME")
    subscription = require_env(
        "AZURE_SUBSCRIPTION_ID", "azd sets it once a subscription is chosen (`azd env new`)."
    )
    group = os.environ.get("AZURE_RESOURCE_GROUP", "").strip() or RESOURCE_GROUP_PREFIX + env_name
    return entra_app.deployment_token(subscription_id=subscription, resource_group=group)


def preprovision() -> None:
    """Validate inputs and make sure the app registration exists; set COCKPIT_CLIENT_ID."""
    say("Opportunity Cockpit: preprovision")
    org_url = os.environ.get("COCKPIT_CRM_ORG_URL", "").strip()
    if org_url and not _ORIGIN.match(org_url):
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
    current = os.environ.get("COCKPIT_CLIENT_ID", "").strip()
    if current and not _GUID.match(current):
        raise SystemExit(f"COCKPIT_CLIENT_ID must be a GUID, not {current!r}")
    if not flag("COCKPIT_MANAGE_APP_REGISTRATION", True):
        if not current:
            raise SystemExit(
                "COCKPIT_CLIENT_ID is not set. With COCKPIT_MANAGE_APP_REGISTRATION=false, set the "
                "client id of your registration: `azd env set COCKPIT_CLIENT_ID <GUID>`"
            )
        say(f"  Using the existing app registration {current} (not managed by these hooks).")
        return
    tenants = _tenant_ids(tenant)
    # Several tenants in the allow-list need a multi-tenant registration (consented per tenant).
    audience = "AzureADMultipleOrgs" if len(tenants) > 1 else "AzureADMyOrg"
    env_name = require_env("AZURE_ENV_NAME")
    graph = Graph()
    app = entra_app.ensure_application(
        graph,
        unique_name=entra_app.unique_name_for(env_name, _deployment_token()),
        display_name=f"{DISPLAY_NAME} ({env_name})",
        sign_in_audience=audience,
        app_id=current or None,
    )
    entra_app.ensure_service_principal(graph, app.app_id)
    if app.app_id != current:
        azd_env_set("COCKPIT_CLIENT_ID", app.app_id)
    say(f"  App registration ready: client id {app.app_id} ({audience}); no secret created.")


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
