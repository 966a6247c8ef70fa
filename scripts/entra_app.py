"""The cockpit's Entra ID app registration, created and kept up to date through Microsoft Graph.

What it configures (and why):

- a **Web** redirect URI ``https://<cockpit>/auth/callback`` (the BFF's auth-code callback);
- delegated **Dynamics CRM** ``user_impersonation`` (Dataverse as the signed-in rep) and the OpenID
  scopes MSAL always asks for (``openid profile offline_access`` on Microsoft Graph);
- the **app role** ``Cockpit.Admin`` (users/groups; arrives in the ``roles`` claim);
- an exposed scope ``access_as_user`` on ``api://<client id>`` for bearer-token clients, with v2
  access tokens;
- a **federated identity credential** that trusts the Function App's user-assigned managed
  identity: issuer ``<authority host>/<tenant>/v2.0``, subject = the identity's principal (object)
  id, and the token-exchange audience *of the cloud* (``api://AzureADTokenExchange`` in the public
  cloud, ``...USGov`` / ``...China`` in the sovereign ones: ``token_exchange_audience``)
  (https://learn.microsoft.com/entra/workload-id/workload-identity-federation-config-app-trust-managed-identity,
  Graph: https://learn.microsoft.com/graph/api/application-post-federatedidentitycredentials).

Names are unique per deployment (subscription + resource group, ``deployment_token``): two
deployments that share an azd environment name in one tenant get two registrations and two
credentials instead of re-pointing each other's.

No client secret or certificate is ever added: the app proves itself with the managed identity's
token (shared/adapters/entra/credentials.py). Every step is idempotent, so re-running ``azd up``
converges instead of duplicating.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from scripts.azcli import NotFound
from scripts.entra_cloud import (
    DYNAMICS_CRM_APP_ID,
    MICROSOFT_GRAPH_APP_ID,
    PUBLIC_AUTHORITY_HOST,
    REQUIRED_SCOPES,
    TOKEN_EXCHANGE_AUDIENCES,
    SetupError,
    deployment_token,
    fic_name_for,
    token_exchange_audience,
    unique_name_for,
)
from scripts.entra_consent import admin_consent_url, grant_admin_consent

__all__ = [
    "ADMIN_ROLE_VALUE",
    "PUBLIC_AUTHORITY_HOST",
    "TOKEN_EXCHANGE_AUDIENCES",
    "API_SCOPE_VALUE",
    "DYNAMICS_CRM_APP_ID",
    "FIC_NAME",
    "MICROSOFT_GRAPH_APP_ID",
    "TOKEN_EXCHANGE_AUDIENCE",
    "AppRegistration",
    "GraphApi",
    "SetupError",
    "admin_consent_url",
    "application_body",
    "ensure_admin_assignment",
    "ensure_application",
    "ensure_federated_credential",
    "ensure_redirect_uri",
    "ensure_service_principal",
    "deployment_token",
    "federated_credential_body",
    "fic_name_for",
    "get_application_by_app_id",
    "grant_admin_consent",
    "resolve_scope_ids",
    "token_exchange_audience",
    "unique_name_for",
]

ADMIN_ROLE_VALUE = "Cockpit.Admin"
API_SCOPE_VALUE = "access_as_user"
FIC_NAME = "cockpit-function-app-identity"  # releases before per-deployment names
TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"


class GraphApi(Protocol):
    """What these functions need from Microsoft Graph (``scripts.azcli.Graph`` in real use)."""

    def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any: ...


@dataclass(frozen=True)
class AppRegistration:
    """The ids of an application object (``object_id``) and its client id (``app_id``)."""

    object_id: str
    app_id: str
    app_roles: tuple[Mapping[str, Any], ...] = ()

    def role_id(self, role_value: str) -> str:
        """The id of the app role with ``role_value`` (e.g. ``Cockpit.Admin``)."""
        for role in self.app_roles:
            if role.get("value") == role_value:
                return str(role["id"])
        raise SetupError(f"app role {role_value!r} is missing on application {self.app_id}")


def resolve_scope_ids(graph: GraphApi) -> dict[str, dict[str, str]]:
    """``{resource app id: {scope value: permission id}}`` for REQUIRED_SCOPES."""
    resolved: dict[str, dict[str, str]] = {}
    for resource_app_id, wanted in REQUIRED_SCOPES.items():
        answer = graph.request(
            "GET",
            f"/servicePrincipals?$filter=appId eq '{resource_app_id}'"
            "&$select=id,appId,displayName,oauth2PermissionScopes",
        )
        principals = (answer or {}).get("value", [])
        if not principals:
            raise SetupError(
                f"The service principal of {resource_app_id} is not in this tenant. For Dynamics "
                "CRM this means no Dataverse/Dynamics 365 environment lives in the signed-in "
                "tenant: run `az login --tenant <the Dynamics tenant>`."
            )
        scopes = {
            str(s["value"]): str(s["id"]) for s in principals[0].get("oauth2PermissionScopes", [])
        }
        missing = [name for name in wanted if name not in scopes]
        if missing:
            raise SetupError(f"{resource_app_id} exposes no delegated permission {missing}")
        resolved[resource_app_id] = {name: scopes[name] for name in wanted}
    return resolved


def application_body(
    *,
    display_name: str,
    sign_in_audience: str,
    scope_ids: Mapping[str, Mapping[str, str]],
    existing: Mapping[str, Any] | None,
    redirect_uris: Sequence[str] = (),
) -> dict[str, Any]:
    """The application object we want, merged with ``existing`` so that re-runs keep ids.

    Graph refuses to drop an enabled app role or scope, so existing ones are kept as they are
    (with their ids) and ours are only added when missing.
    """
    existing = existing or {}
    return {
        "displayName": display_name,
        "signInAudience": sign_in_audience,
        "isFallbackPublicClient": False,
        "appRoles": _app_roles(existing),
        "api": {"requestedAccessTokenVersion": 2, "oauth2PermissionScopes": _api_scopes(existing)},
        "requiredResourceAccess": _required_resource_access(existing, scope_ids),
        "web": {
            "redirectUris": _redirect_uris(existing, redirect_uris),
            # The BFF uses the auth-code flow only; no token comes back through the browser.
            "implicitGrantSettings": {
                "enableIdTokenIssuance": False,
                "enableAccessTokenIssuance": False,
            },
        },
    }


def _app_roles(existing: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The existing app roles, plus ``Cockpit.Admin`` if it is missing."""
    roles = [dict(role) for role in existing.get("appRoles", [])]
    if not any(role.get("value") == ADMIN_ROLE_VALUE for role in roles):
        roles.append(
            {
                "id": str(uuid.uuid4()),
                "value": ADMIN_ROLE_VALUE,
                "displayName": "Cockpit administrator",
                "description": "Configures solutions, criteria and the write-back field.",
                "allowedMemberTypes": ["User"],
                "isEnabled": True,
            }
        )
    return roles


def _api_scopes(existing: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The existing exposed scopes, plus ``access_as_user`` if it is missing."""
    api = dict(existing.get("api") or {})
    scopes = [dict(scope) for scope in api.get("oauth2PermissionScopes", [])]
    if not any(scope.get("value") == API_SCOPE_VALUE for scope in scopes):
        scopes.append(
            {
                "id": str(uuid.uuid4()),
                "value": API_SCOPE_VALUE,
                "type": "User",
                "isEnabled": True,
                "adminConsentDisplayName": "Use the Opportunity Cockpit",
                "adminConsentDescription": "Lets a client call the Opportunity Cockpit API as the signed-in user.",
                "userConsentDisplayName": "Use the Opportunity Cockpit",
                "userConsentDescription": "Lets the app call the Opportunity Cockpit as you.",
            }
        )
    return scopes


def _required_resource_access(
    existing: Mapping[str, Any], scope_ids: Mapping[str, Mapping[str, str]]
) -> list[dict[str, Any]]:
    """Other resources' entries kept as they are; ours (``scope_ids``) replaced by what we need."""
    ours = set(scope_ids)
    required = [
        dict(entry)
        for entry in existing.get("requiredResourceAccess", [])
        if entry.get("resourceAppId") not in ours
    ]
    for resource_app_id, scopes_by_name in scope_ids.items():
        required.append(
            {
                "resourceAppId": resource_app_id,
                "resourceAccess": [
                    {"id": permission_id, "type": "Scope"}
                    for permission_id in scopes_by_name.values()
                ],
            }
        )
    return required


def _redirect_uris(existing: Mapping[str, Any], redirect_uris: Sequence[str]) -> list[str]:
    """The registered redirect URIs, plus those of ``redirect_uris`` not yet among them."""
    web = existing.get("web") or {}
    uris = list(web.get("redirectUris", []))
    uris += [uri for uri in redirect_uris if uri not in uris]
    return uris


_APP_SELECT = "$select=id,appId,displayName,appRoles,api,web,identifierUris,requiredResourceAccess"


def _registration(app: Mapping[str, Any]) -> AppRegistration:
    return AppRegistration(
        object_id=str(app["id"]),
        app_id=str(app["appId"]),
        app_roles=tuple(app.get("appRoles", [])),
    )


def ensure_application(
    graph: GraphApi,
    *,
    unique_name: str,
    display_name: str,
    sign_in_audience: str,
    app_id: str | None = None,
    redirect_uris: Sequence[str] = (),
) -> AppRegistration:
    """Create or update the registration and its App ID URI.

    ``app_id`` (the client id this azd environment already uses) wins: that registration is
    updated, whatever its ``uniqueName``, so an environment never silently moves to a new client
    id. Without it, Graph's upsert on ``uniqueName`` creates or updates.
    """
    existing = None
    key = f"/applications(uniqueName='{unique_name}')"
    if app_id:
        try:
            existing = graph.request("GET", f"/applications(appId='{app_id}')?{_APP_SELECT}")
            key = f"/applications/{existing['id']}"
        except NotFound:
            existing = None  # deleted since: fall back to this deployment's unique name
    if existing is None:
        try:
            existing = graph.request("GET", f"{key}?{_APP_SELECT}")
        except NotFound:
            existing = None
    body = application_body(
        display_name=display_name,
        sign_in_audience=sign_in_audience,
        scope_ids=resolve_scope_ids(graph),
        existing=existing,
        redirect_uris=redirect_uris,
    )
    # https://learn.microsoft.com/graph/api/application-upsert: PATCH with
    # "Prefer: create-if-missing" creates (201) or updates (204) by the client-provided key.
    graph.request("PATCH", key, body, {"Prefer": "create-if-missing"} if existing is None else {})
    app = graph.request("GET", f"{key}?{_APP_SELECT}")
    identifier = f"api://{app['appId']}"
    if identifier not in app.get("identifierUris", []):
        # Needs the app id, which exists only after creation: a second, small update.
        graph.request(
            "PATCH",
            f"/applications/{app['id']}",
            {"identifierUris": [*app.get("identifierUris", []), identifier]},
        )
    return _registration(app)


def get_application_by_app_id(graph: GraphApi, app_id: str) -> AppRegistration:
    """The registration with client id ``app_id`` (``/applications(appId='...')``)."""
    try:
        app = graph.request("GET", f"/applications(appId='{app_id}')?{_APP_SELECT}")
    except NotFound:
        raise SetupError(
            f"No app registration with client id {app_id} in the signed-in tenant "
            "(COCKPIT_CLIENT_ID). Run `azd hooks run preprovision` or fix the value."
        ) from None
    return _registration(app)


def ensure_service_principal(graph: GraphApi, app_id: str) -> str:
    """The enterprise application (service principal) of ``app_id``, created if missing."""
    answer = graph.request("GET", f"/servicePrincipals?$filter=appId eq '{app_id}'&$select=id")
    found = (answer or {}).get("value", [])
    if found:
        return str(found[0]["id"])
    created = graph.request("POST", "/servicePrincipals", {"appId": app_id})
    return str(created["id"])


def ensure_redirect_uri(graph: GraphApi, app: AppRegistration, uri: str) -> bool:
    """Add ``uri`` to the Web redirect URIs (keeping any others); True when it was added."""
    current = graph.request("GET", f"/applications/{app.object_id}?$select=web")
    uris = list(((current or {}).get("web") or {}).get("redirectUris", []))
    if uri in uris:
        return False
    graph.request(
        "PATCH",
        f"/applications/{app.object_id}",
        {
            "web": {
                "redirectUris": [*uris, uri],
                "implicitGrantSettings": {
                    "enableIdTokenIssuance": False,
                    "enableAccessTokenIssuance": False,
                },
            }
        },
    )
    return True


def federated_credential_body(
    *, name: str, tenant_id: str, principal_id: str, authority_host: str = PUBLIC_AUTHORITY_HOST
) -> dict[str, Any]:
    """The federated identity credential that trusts the managed identity's tokens."""
    return {
        "name": name,
        "issuer": f"{authority_host.rstrip('/')}/{tenant_id}/v2.0",
        "subject": principal_id,
        "audiences": [token_exchange_audience(authority_host)],
        "description": "The Opportunity Cockpit Function App's user-assigned managed identity",
    }


def ensure_federated_credential(
    graph: GraphApi,
    app: AppRegistration,
    *,
    name: str,
    tenant_id: str,
    principal_id: str,
    authority_host: str = PUBLIC_AUTHORITY_HOST,
) -> str:
    """Create or correct the managed-identity credential; returns "created", "updated" or "kept"."""
    desired = federated_credential_body(
        name=name, tenant_id=tenant_id, principal_id=principal_id, authority_host=authority_host
    )
    path = f"/applications/{app.object_id}/federatedIdentityCredentials"
    listed = (graph.request("GET", path) or {}).get("value", [])
    current = next((item for item in listed if item.get("name") == name), None)
    if current is None:
        graph.request("POST", path, desired)
        return "created"
    fields = ("issuer", "subject", "audiences")
    if all(current.get(field) == desired[field] for field in fields):
        return "kept"
    # A re-created identity has a new principal id: point the credential at it.
    graph.request("PATCH", f"{path}/{current['id']}", {field: desired[field] for field in fields})
    return "updated"


def ensure_admin_assignment(
    graph: GraphApi, app: AppRegistration, *, service_principal_id: str, principal_id: str
) -> bool:
    """Assign ``Cockpit.Admin`` to a user or group; True when a new assignment was made."""
    role_id = app.role_id(ADMIN_ROLE_VALUE)
    path = f"/servicePrincipals/{service_principal_id}/appRoleAssignedTo"
    assigned = (graph.request("GET", path) or {}).get("value", [])
    if any(
        a.get("principalId") == principal_id and a.get("appRoleId") == role_id for a in assigned
    ):
        return False
    graph.request(
        "POST",
        path,
        {"principalId": principal_id, "resourceId": service_principal_id, "appRoleId": role_id},
    )
    return True
