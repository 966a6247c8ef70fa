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
        timeout_seconds: float,
    ) -> None:
        self._tables = tables
        self._client = client
        # httpx ends a slow request itself, closing its connection. Cancelling it from outside
        # (asyncio.wait_for) in the middle of a TLS handshake left the socket to the garbage
        # collector.
        self._timeout = httpx.Timeout(timeout_seconds)
        self._discovery = (
            f"{authority_host.rstrip('/')}/{tenant_id}/v2.0/.well-known/openid-configuration"
        )

    async def storage(self) -> None:
        """Raises StorageUnavailable unless the account answers."""
        await self._tables.ping()

    async def identity(self) -> int:
        """The HTTP status of Entra ID's OpenID configuration for the first allowed tenant."""
        return await self._status(self._discovery)

    async def dataverse(self, org: CrmOrg) -> int:
        """The HTTP status of the org's Web API root without a token: 401 means "there"
        (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors)."""
        return await self._status(f"{org.url}/api/data/v9.2/")

    async def _status(self, url: str) -> int:
        """The HTTP status of a GET; ``TimeoutError`` when no answer came in time."""
        try:
            response = await self._client.get(url, timeout=self._timeout)
        except httpx.TimeoutException as err:
            raise TimeoutError(str(err)) from err
        return response.status_code
