"""Small per-org records of the admin console in Azure Tables: ``PartitionKey = "{tenant}|{org}"``,
``RowKey`` one of ``bulk`` (the bulk re-write job and its cursor), ``log`` (the log retention) and
``health`` (the checks that failed at the last run, so a failure is logged once, not every run).
The bulk job is saved ETag-conditionally, so two runs of one job can never both advance it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from azure.data.tables import UpdateMode
from azure.data.tables.aio import TableClient

from shared.adapters.tables.client import Tables
from shared.adapters.tables.common import etag_of, get_or_none, without_none
from shared.domain.admin_log import DEFAULT_RETENTION_DAYS
from shared.domain.bulk import COUNT_KEYS, BulkJob, BulkStatus
from shared.domain.errors import Conflict

BULK, LOG, HEALTH = "bulk", "log", "health"


def _pk(tenant_id: str, org: str) -> str:
    return f"{tenant_id}|{org}"


def _job_entity(job: BulkJob) -> dict[str, Any]:
    return without_none(
        {
            "PartitionKey": _pk(job.tenant_id, job.org),
            "RowKey": BULK,
            "JobId": job.job_id,
            "Column": job.column,
            "StartedBy": job.started_by,
            "StartedAt": job.started_at,
            "UpdatedAt": job.updated_at,
            "Status": job.status.value,
            "Cursor": job.cursor,
            "Total": job.total,
            "Counts": json.dumps({k: job.counts.get(k, 0) for k in COUNT_KEYS}),
            "Error": job.error,
        }
    )


def _job(entity: Mapping[str, Any], tenant_id: str, org: str) -> BulkJob:
    counts = json.loads(entity.get("Counts") or "{}")
    return BulkJob(
        tenant_id=tenant_id,
        org=org,
        job_id=entity["JobId"],
        column=entity["Column"],
        started_by=entity["StartedBy"],
        started_at=entity["StartedAt"],
        updated_at=entity["UpdatedAt"],
        status=BulkStatus(entity["Status"]),
        cursor=entity.get("Cursor") or "",
        total=int(entity.get("Total") or 0),
        counts={k: int(counts.get(k, 0)) for k in COUNT_KEYS},
        error=entity.get("Error"),
        etag=etag_of(entity),
    )


class TableAdminStateStore:
    """:class:`shared.ports.AdminStateStore` on Azure Tables."""

    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    async def _get(self, tenant_id: str, org: str, row: str) -> Mapping[str, Any] | None:
        async def op(table: TableClient) -> Mapping[str, Any] | None:
            return await get_or_none(table, _pk(tenant_id, org), row)

        return await self._tables.run("admin_state", op)

    async def _upsert(self, entity: dict[str, Any]) -> None:
        async def op(table: TableClient) -> None:
            await table.upsert_entity(entity, mode=UpdateMode.REPLACE)

        await self._tables.run("admin_state", op)

    async def bulk_job(self, *, tenant_id: str, org: str) -> BulkJob | None:
        entity = await self._get(tenant_id, org, BULK)
        return None if entity is None else _job(entity, tenant_id, org)

    async def save_bulk_job(self, job: BulkJob) -> BulkJob:
        entity = _job_entity(job)

        etag = await self._tables.save_guarded(
            "admin_state",
            entity,
            etag=job.etag,
            conflict=Conflict(
                "the bulk re-write was changed by another run meanwhile", code="bulk_conflict"
            ),
        )
        return replace(job, etag=etag)

    async def retention_days(self, *, tenant_id: str, org: str) -> int:
        entity = await self._get(tenant_id, org, LOG)
        if entity is None or entity.get("RetentionDays") is None:
            return DEFAULT_RETENTION_DAYS
        return int(entity["RetentionDays"])

    async def save_retention_days(self, *, tenant_id: str, org: str, days: int) -> None:
        await self._upsert(
            {"PartitionKey": _pk(tenant_id, org), "RowKey": LOG, "RetentionDays": days}
        )

    async def health_failures(self, *, tenant_id: str, org: str) -> frozenset[str] | None:
        entity = await self._get(tenant_id, org, HEALTH)
        if entity is None:
            return None
        return frozenset(json.loads(entity.get("Failing") or "[]"))

    async def save_health_failures(
        self, *, tenant_id: str, org: str, failing: frozenset[str], at: datetime
    ) -> None:
        await self._upsert(
            {
                "PartitionKey": _pk(tenant_id, org),
                "RowKey": HEALTH,
                "Failing": json.dumps(sorted(failing)),
                "CheckedAt": at,
            }
        )
