"""Per-org admin settings: ``PartitionKey = tenant``, ``RowKey = org``; ETag-conditional saves."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace as dc_replace
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import UpdateMode
from azure.data.tables.aio import TableClient

from shared.adapters.tables.client import Tables
from shared.adapters.tables.common import etag_of, get_or_none, without_none
from shared.domain.errors import Conflict
from shared.domain.org_settings import OrgSettings
from shared.domain.writeback import ClosedPolicy


class TableOrgSettingsStore:
    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    async def get(self, *, tenant_id: str, org: str) -> OrgSettings:
        """The org's settings, or the defaults when an admin never saved any."""

        async def op(table: TableClient) -> Mapping[str, Any] | None:
            return await get_or_none(table, tenant_id, org)

        entity = await self._tables.run("settings", op)
        if entity is None:
            return OrgSettings(tenant_id=tenant_id, org=org)
        return OrgSettings(
            tenant_id=tenant_id,
            org=org,
            target_field=entity["TargetField"],
            closed_policy=ClosedPolicy(entity["ClosedPolicy"]),
            # Absent on rows saved before the option existed: off.
            predictive_score=bool(entity.get("PredictiveScore", False)),
            updated_at=entity.get("UpdatedAt"),
            updated_by=entity.get("UpdatedBy"),
            etag=etag_of(entity),
        )

    async def save(self, settings: OrgSettings) -> OrgSettings:
        entity = without_none(
            {
                "PartitionKey": settings.tenant_id,
                "RowKey": settings.org,
                "TargetField": settings.target_field,
                "ClosedPolicy": settings.closed_policy.value,
                "PredictiveScore": settings.predictive_score,
                "UpdatedAt": settings.updated_at,
                "UpdatedBy": settings.updated_by,
            }
        )

        async def create(table: TableClient) -> Mapping[str, Any]:
            return await table.create_entity(entity)

        async def replace(table: TableClient) -> Mapping[str, Any]:
            return await table.update_entity(
                entity,
                mode=UpdateMode.REPLACE,
                etag=settings.etag,
                match_condition=MatchConditions.IfNotModified,
            )

        try:
            meta = await self._tables.run("settings", replace if settings.etag else create)
        except (ResourceExistsError, ResourceModifiedError, ResourceNotFoundError):
            raise Conflict("another administrator changed these settings meanwhile") from None
        return dc_replace(settings, etag=str(meta.get("etag")) if meta.get("etag") else None)
