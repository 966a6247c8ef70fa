"""CRM organisations the deployment is configured for. Org URLs only ever come from configuration,
never from a request (a request's ``orgname`` merely selects among these), so no request can point
the server at another host (SSRF)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CrmOrg:
    """One Dataverse environment.

    ``name`` is the cockpit's own key for the org (stored project keys contain it, so it never
    changes once data exists). ``url`` is the https base URL without a trailing slash (also the
    token audience). ``unique_name`` and ``url_name`` are what Dataverse itself reports for the org
    (``RetrieveCurrentOrganization``: ``UniqueName``, ``UrlName``); they are optional because
    deployments configured before they existed only know ``name``.
    """

    tenant_id: str
    name: str
    url: str
    unique_name: str | None = None
    url_name: str | None = None

    @property
    def user_scope(self) -> str:
        # Delegated Dataverse permission: "Access Dynamics 365 as organization users".
        return f"{self.url}/user_impersonation"

    @property
    def app_scope(self) -> str:
        # Confidential clients acting as themselves ask for the resource's .default scope.
        return f"{self.url}/.default"

    @property
    def identifiers(self) -> frozenset[str]:
        """Every name this org may be called by, case-folded."""
        names = (self.name, self.unique_name, self.url_name)
        return frozenset(n.casefold() for n in names if n)

    def answers_to(self, orgname: str) -> bool:
        """Whether ``orgname`` (as Dynamics passes it to an IFRAME or command) names this org.

        Dynamics passes the org's *unique name* ("Use IFRAME and web resource controls on a form":
        ``orgname`` = "The unique name of the organization",
        https://learn.microsoft.com/power-apps/developer/model-driven-apps/use-iframe-and-web-resource-controls-on-a-form),
        which often differs from the first DNS label of the org URL (the *URL name*). Either one
        matches, as does the configured ``name``; case is ignored because unique names are
        case-insensitive in Dataverse and URL names are DNS labels.
        """
        candidate = orgname.strip().casefold()
        return bool(candidate) and candidate in self.identifiers
