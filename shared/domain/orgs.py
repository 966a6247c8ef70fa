"""CRM organisations the deployment is configured for. Org URLs only ever come from configuration,
never from a request (a request's ``orgname`` merely selects among these), so no request can point
the server at another host (SSRF)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CrmOrg:
    """One Dataverse environment: ``name`` is the org's unique name (Dynamics' ``orgname``),
    ``url`` its https base URL without a trailing slash (also the token audience)."""

    tenant_id: str
    name: str
    url: str

    @property
    def user_scope(self) -> str:
        # Delegated Dataverse permission: "Access Dynamics 365 as organization users".
        return f"{self.url}/user_impersonation"

    @property
    def app_scope(self) -> str:
        # Confidential clients acting as themselves ask for the resource's .default scope.
        return f"{self.url}/.default"

    def answers_to(self, orgname: str) -> bool:
        """Whether Dynamics' ``orgname`` parameter names this org (case-insensitive)."""
        return orgname.strip().lower() == self.name
