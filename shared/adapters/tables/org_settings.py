"""Per-org admin settings: ``PartitionKey = tenant``, ``RowKey = org``; ETag-conditional saves."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace as dc_replace
from typing import Any

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

        etag = await self._tables.save_guarded(
            "settings",
            entity,
            etag=settings.etag,
            conflict=Conflict("another administrator changed these settings meanwhile"),
        )
        return dc_replace(settings, etag=etag)
