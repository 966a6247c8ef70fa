"""postprovision (azure.yaml, docs/deploy.md): every step is idempotent and runs even when an
earlier one failed; a failure is reported with the command that finishes it by hand, and the hook
still ends successfully so `azd up` goes on to deploy the code.

Steps: the client id Bicep put into the app; redirect URI, federated credential (named per
deployment, issuer and audience of the cloud), Cockpit.Admin for the deployer (which fails when the
deployer may create apps but not assign roles), optional admin consent; the token-cache key ring
into Key Vault and a Key Vault reference refresh; optionally the Dataverse application user; then a
summary of what is done, what is left for a person, and the commands that finish what failed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from scripts import dataverse_setup, entra_app, token_cache_key
from scripts.azcli import AzCliError, Graph, az, flag, require_env, say

__all__ = ["Report", "postprovision"]

DISPLAY_NAME = "Opportunity Cockpit"


def _signed_in_user() -> str:
    """Object id of the signed-in user; empty for a service principal sign-in (CI)."""
    try:
        return az("ad", "signed-in-user", "show", "--query", "id", "--output", "tsv").strip()
    except AzCliError:
        return ""


@dataclass
class Report:
    """What postprovision did, what is left for a person, and how to finish what failed."""

    done: list[str] = field(default_factory=list)
    manual: list[str] = field(default_factory=list)
    failed: list[tuple[str, str, str]] = field(default_factory=list)

    def step(self, title: str, action: Callable[[], str | None], *, finish: str) -> bool:
        """Run one idempotent step; on failure record why and the command that finishes it."""
        try:
            outcome = action()
        except (AzCliError, entra_app.SetupError, dataverse_setup.DataverseError) as error:
            self.failed.append((title, _first_line(str(error)), finish))
            say(f"  FAILED: {title}: {_first_line(str(error))}")
            return False
        self.done.append(f"{title}: {outcome}" if outcome else title)
        say(f"  {title}: {outcome or 'done'}")
        return True

    def summary(self, base_url: str) -> None:
        say("")
        say(f"Cockpit: {base_url}")
        if self.manual:
            say("Still to do by hand:")
            for number, text in enumerate(self.manual, start=1):
                say(f"  {number}. {text}")
        if self.failed:
            say("NOT COMPLETE: these steps failed; each command below finishes one of them:")
            for title, reason, command in self.failed:
                say(f"  - {title} ({reason})")
                say(f"      {command}")
        else:
            say("Postprovision complete.")


def _first_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[0][:300] if lines else "no error text"


@dataclass(frozen=True)
class _Outputs:
    """The Bicep outputs (and azd values) postprovision works from."""

    client_id: str
    tenant_id: str
    redirect_uri: str
    mi_principal: str
    base_url: str
    org_origin: str
    authority_host: str
    token: str
    subscription: str
    resource_group: str
    app_name: str
    vault: str
    secret_name: str

    @classmethod
    def from_env(cls) -> _Outputs:
        client_id = require_env("COCKPIT_CLIENT_ID")
        subscription = require_env("AZURE_SUBSCRIPTION_ID")
        resource_group = require_env("AZURE_RESOURCE_GROUP")
        return cls(
            client_id=client_id,
            tenant_id=require_env("AZURE_TENANT_ID"),
            redirect_uri=require_env("COCKPIT_REDIRECT_URI"),
            mi_principal=require_env("AZURE_MANAGED_IDENTITY_PRINCIPAL_ID"),
            base_url=require_env("COCKPIT_PUBLIC_BASE_URL"),
            org_origin=require_env("COCKPIT_CRM_ORG_ORIGIN"),
            authority_host=os.environ.get("COCKPIT_ENTRA_AUTHORITY_HOST", "").strip()
            or entra_app.PUBLIC_AUTHORITY_HOST,
            token=entra_app.deployment_token(
                subscription_id=subscription, resource_group=resource_group
            ),
            subscription=subscription,
            resource_group=resource_group,
            app_name=require_env("AZURE_FUNCTION_APP_NAME"),
            vault=require_env("AZURE_KEY_VAULT_NAME"),
            secret_name=require_env("COCKPIT_TOKEN_CACHE_KEY_SECRET_NAME"),
        )


def postprovision() -> None:
    """Finish identity wiring, create the token-cache key ring, optionally set up Dataverse."""
    say("Opportunity Cockpit: postprovision")
    out = _Outputs.from_env()
    report = Report()
    report.step(
        "Client id in the app's settings", lambda: _deployed_client_id(out), finish="azd provision"
    )
    if flag("COCKPIT_MANAGE_APP_REGISTRATION", True):
        _identity_steps(out, report)
    else:
        report.manual.append(_fic_by_hand(out))
        report.manual.append(_consent_step(out))
    _key_steps(out, report)
    _dataverse_step(out, report)
    report.manual.append(
        "Import the managed Dynamics solution (`make solution` builds dist/*_managed.zip; "
        f"crm/SETUP.md) and set its Cockpit URL to {out.base_url} (at import, or "
        "`python3 -m scripts.dataverse_setup` sets it with the application user)."
    )
    report.summary(out.base_url)


def _deployed_client_id(out: _Outputs) -> str:
    """The client id Bicep put into the app: empty when azd read the parameters before the
    preprovision hook stored it (an azd without Azure/azure-dev#6064); `azd provision` fixes it."""
    deployed = os.environ.get("COCKPIT_DEPLOYED_CLIENT_ID", out.client_id).strip()
    if deployed != out.client_id:
        raise entra_app.SetupError(
            f"the app runs with client id {deployed or '(none)'}, this environment uses "
            f"{out.client_id}"
        )
    return out.client_id


def _identity_steps(out: _Outputs, report: Report) -> None:
    graph = Graph()
    found: list[entra_app.AppRegistration] = []
    sp: list[str] = []

    def registration() -> str:
        found.append(entra_app.get_application_by_app_id(graph, out.client_id))
        sp.append(entra_app.ensure_service_principal(graph, out.client_id))
        return f"client id {out.client_id}"

    if not report.step(
        "App registration", registration, finish="azd hooks run preprovision && azd provision"
    ):
        report.manual.append(_fic_by_hand(out))
        return
    app = found[0]
    fic = entra_app.fic_name_for(out.token)
    report.step(
        "Redirect URI",
        lambda: "added" if entra_app.ensure_redirect_uri(graph, app, out.redirect_uri) else "kept",
        finish=_graph_patch_hint(app, f"web.redirectUris += {out.redirect_uri}"),
    )
    report.step(
        f"Federated credential {fic} for the managed identity",
        lambda: entra_app.ensure_federated_credential(
            graph,
            app,
            name=fic,
            tenant_id=out.tenant_id,
            principal_id=out.mi_principal,
            authority_host=out.authority_host,
        ),
        finish=_fic_command(out, app, fic),
    )
    _admin_role_step(out, report, graph, app, sp[0])
    _consent(out, report, graph, sp[0])


def _admin_role_step(
    out: _Outputs, report: Report, graph: Graph, app: entra_app.AppRegistration, sp_id: str
) -> None:
    admin = os.environ.get("AZURE_PRINCIPAL_ID", "").strip() or _signed_in_user()
    if not flag("COCKPIT_ASSIGN_ADMIN_ROLE", True) or not admin:
        return
    body = f'{{"principalId":"{admin}","resourceId":"{sp_id}","appRoleId":"<Cockpit.Admin id>"}}'
    report.step(
        f"{entra_app.ADMIN_ROLE_VALUE} for you ({admin})",
        lambda: (
            "assigned"
            if entra_app.ensure_admin_assignment(
                graph, app, service_principal_id=sp_id, principal_id=admin
            )
            else "already held"
        ),
        # Assigning app roles needs more than creating apps (e.g. Cloud Application
        # Administrator, or owning the enterprise application).
        finish=(
            "an admin assigns it in Entra admin center > Enterprise applications > "
            f"{DISPLAY_NAME} > Users and groups, or: az rest --method POST --url "
            f"https://graph.microsoft.com/v1.0/servicePrincipals/{sp_id}/appRoleAssignedTo "
            f"--body '{body}'"
        ),
    )


def _consent(out: _Outputs, report: Report, graph: Graph, sp_id: str) -> None:
    if not flag("COCKPIT_GRANT_ADMIN_CONSENT", False):
        report.manual.append(_consent_step(out))
        return
    report.step(
        "Admin consent",
        lambda: (
            ", ".join(entra_app.grant_admin_consent(graph, service_principal_id=sp_id))
            or "already in place"
        ),
        finish=_consent_step(out),
    )


def _key_steps(out: _Outputs, report: Report) -> None:
    key_command = (
        f"python3 -m scripts.token_cache_key --vault {out.vault} --name {out.secret_name} "
        f"--app {out.app_name} --resource-group {out.resource_group} "
        f"--subscription {out.subscription}"
    )
    if not report.step(
        "Token-cache key ring in Key Vault",
        lambda: (
            "created"
            if token_cache_key.ensure_token_cache_key(
                vault=out.vault, name=out.secret_name, wait_seconds=_retry_seconds()
            )
            else "kept"
        ),
        finish=key_command,
    ):
        return

    def refresh() -> str:
        if not token_cache_key.refresh_key_vault_references(
            subscription_id=out.subscription,
            resource_group=out.resource_group,
            app_name=out.app_name,
        ):
            raise AzCliError("az rest", "the refresh request failed (see above)")
        return "refreshed"

    report.step(
        "Key Vault references of the app",
        refresh,
        finish=(
            "az rest --method POST --url https://management.azure.com/subscriptions/"
            f"{out.subscription}/resourceGroups/{out.resource_group}/providers/Microsoft.Web/"
            f"sites/{out.app_name}/config/configreferences/appsettings/refresh"
            "?api-version=2022-03-01"
        ),
    )


def _retry_seconds() -> float:
    """Seconds between Key Vault retries while the deployer's new role propagates (about two
    minutes in all by default); COCKPIT_KEY_VAULT_RETRY_SECONDS changes it."""
    raw = os.environ.get("COCKPIT_KEY_VAULT_RETRY_SECONDS", "").strip()
    try:
        return max(0.0, float(raw)) if raw else 15.0
    except ValueError:
        return 15.0


def _dataverse_step(out: _Outputs, report: Report) -> None:
    command = (
        f"python3 -m scripts.dataverse_setup --org-url {out.org_origin} --app-id {out.client_id}"
    )
    if not flag("COCKPIT_SETUP_DATAVERSE", False):
        report.manual.append(
            "As a Dataverse System Administrator, create the application user and its role "
            f"(background write-backs): {command}"
        )
        return

    def setup() -> str:
        try:
            dataverse_setup.main(["--org-url", out.org_origin, "--app-id", out.client_id])
        except SystemExit as stop:  # its command line reports failures by exiting
            raise dataverse_setup.DataverseError(str(stop.code)) from None
        return "application user and role ready"

    report.step("Dataverse application user", setup, finish=command)


def _fic_by_hand(out: _Outputs) -> str:
    return (
        f"On app registration {out.client_id}: add the Web redirect URI {out.redirect_uri} and a "
        f"federated credential named {entra_app.fic_name_for(out.token)} (issuer "
        f"{out.authority_host.rstrip('/')}/{out.tenant_id}/v2.0, subject {out.mi_principal}, "
        f"audience {_audience(out)})."
    )


def _audience(out: _Outputs) -> str:
    try:
        return entra_app.token_exchange_audience(out.authority_host)
    except entra_app.SetupError:
        return entra_app.TOKEN_EXCHANGE_AUDIENCE


def _fic_command(out: _Outputs, app: entra_app.AppRegistration, name: str) -> str:
    body = (
        f'{{"name":"{name}","issuer":"{out.authority_host.rstrip("/")}/{out.tenant_id}/v2.0",'
        f'"subject":"{out.mi_principal}","audiences":["{_audience(out)}"]}}'
    )
    return (
        "az rest --method POST --url https://graph.microsoft.com/v1.0/applications/"
        f"{app.object_id}/federatedIdentityCredentials --body '{body}'"
    )


def _graph_patch_hint(app: entra_app.AppRegistration, change: str) -> str:
    return f"Entra admin center > App registrations > {app.app_id} > Authentication: {change}"


def _consent_step(out: _Outputs) -> str:
    url = entra_app.admin_consent_url(
        tenant_id=out.tenant_id, app_id=out.client_id, authority_host=out.authority_host
    )
    return (
        "A Global/Privileged Role/Cloud Application Administrator grants consent for Dynamics CRM "
        f"user_impersonation (once per tenant): {url}"
    )
