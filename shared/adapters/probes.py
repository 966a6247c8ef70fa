"""Cheap, bounded probes of each dependency for the readiness answer: is it there at all? Nothing
is authenticated and no secret is sent — a probe proves reachability, not permission."""

from __future__ import annotations

import httpx

from shared.adapters.tables.client import Tables
from shared.domain.orgs import CrmOrg


class DependencyProbes:
    def __init__(
        self,
        *,
        tables: Tables,
        client: httpx.AsyncClient,
        authority_host: str,
        tenant_id: str,
    ) -> None:
        self._tables = tables
        self._client = client
        self._discovery = (
            f"{authority_host.rstrip('/')}/{tenant_id}/v2.0/.well-known/openid-configuration"
        )

    async def storage(self) -> None:
        """Raises StorageUnavailable unless the account answers."""
        await self._tables.ping()

    async def identity(self) -> int:
        """The HTTP status of Entra ID's OpenID configuration for the first allowed tenant."""
        response = await self._client.get(self._discovery)
        return response.status_code

    async def dataverse(self, org: CrmOrg) -> int:
        """The HTTP status of the org's Web API root without a token: 401 means "there"
        (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors)."""
        response = await self._client.get(f"{org.url}/api/data/v9.2/")
        return response.status_code
