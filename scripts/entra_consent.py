"""Tenant-wide admin consent for the cockpit's delegated permissions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from scripts.entra_cloud import PUBLIC_AUTHORITY_HOST, REQUIRED_SCOPES

__all__ = ["admin_consent_url", "grant_admin_consent"]


class _Graph(Protocol):
    def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any: ...


def grant_admin_consent(graph: _Graph, *, service_principal_id: str) -> list[str]:
    """Tenant-wide consent for the delegated scopes (needs an admin); returns what was granted.

    https://learn.microsoft.com/graph/api/oauth2permissiongrant-post
    """
    granted: list[str] = []
    for resource_app_id, scopes in REQUIRED_SCOPES.items():
        answer = graph.request(
            "GET", f"/servicePrincipals?$filter=appId eq '{resource_app_id}'&$select=id"
        )
        resource_id = str(answer["value"][0]["id"])
        existing = graph.request(
            "GET",
            "/oauth2PermissionGrants?$filter="
            f"clientId eq '{service_principal_id}' and resourceId eq '{resource_id}' "
            "and consentType eq 'AllPrincipals'",
        )
        grants = (existing or {}).get("value", [])
        wanted = " ".join(scopes)
        if grants:
            have = set(str(grants[0].get("scope", "")).split())
            if set(scopes) <= have:
                continue
            graph.request(
                "PATCH",
                f"/oauth2PermissionGrants/{grants[0]['id']}",
                {"scope": " ".join(sorted(have | set(scopes)))},
            )
        else:
            graph.request(
                "POST",
                "/oauth2PermissionGrants",
                {
                    "clientId": service_principal_id,
                    "consentType": "AllPrincipals",
                    "resourceId": resource_id,
                    "scope": wanted,
                },
            )
        granted.append(f"{resource_app_id}: {wanted}")
    return granted


def admin_consent_url(
    *, tenant_id: str, app_id: str, authority_host: str = PUBLIC_AUTHORITY_HOST
) -> str:
    """The URL an admin of ``tenant_id`` opens to consent for the whole tenant."""
    return f"{authority_host.rstrip('/')}/{tenant_id}/adminconsent?client_id={app_id}"
