"""Which configured CRM org a request means. Org URLs only ever come from configuration; a request's
``orgname`` merely selects among the orgs of the caller's own tenant (no SSRF, no tenant hopping)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from shared.domain.errors import Forbidden, InvalidInput
from shared.domain.identity import Principal
from shared.domain.orgs import CrmOrg


class OrgDirectory:
    def __init__(
        self, orgs: Sequence[CrmOrg], *, on_use: Callable[[CrmOrg], None] | None = None
    ) -> None:
        self._orgs = tuple(orgs)
        # Told of every org a request resolves (the start-up check on first use).
        self._on_use = on_use

    def of_tenant(self, tenant_id: str) -> list[CrmOrg]:
        return [o for o in self._orgs if o.tenant_id == tenant_id]

    def resolve(self, principal: Principal, orgname: str | None) -> CrmOrg:
        """The org of the caller's tenant that ``orgname`` names; with one org the name may be
        omitted."""
        org = self._select(principal, orgname)
        if self._on_use is not None:
            self._on_use(org)
        return org

    def _select(self, principal: Principal, orgname: str | None) -> CrmOrg:
        mine = self.of_tenant(principal.tenant_id)
        if orgname is None or orgname.strip() == "":
            if len(mine) == 1:
                return mine[0]
            raise InvalidInput("orgname is required", code="invalid_org")
        for org in mine:
            if org.answers_to(orgname):
                return org
        raise Forbidden(
            f"org {orgname[:64]!r} is not configured for this tenant",
            code="org_not_allowed",
            params={"org": orgname[:64]},
        )

    def find(self, *, tenant_id: str, name: str) -> CrmOrg | None:
        """The org a stored record names (background work), or None if it was unconfigured."""
        return next((o for o in self._orgs if o.tenant_id == tenant_id and o.name == name), None)
