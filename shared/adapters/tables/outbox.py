"""Background write-back queue: ``PartitionKey = "writeback"``,
``RowKey = "{tenant}|{org}|{opportunity}|{evaluation id}"`` (one item per evaluation that still
needs the CRM; see ``shared/services/writeback.py``). The timer reads the small partition with a
``NextAttemptAt`` filter; every change after the first write is ETag-conditional."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import UpdateMode
from azure.data.tables.aio import TableClient

from shared.adapters.tables.client import Tables
from shared.adapters.tables.common import etag_of
from shared.domain.evaluations import OutboxItem
from shared.domain.projects import ProjectKey

PARTITION = "writeback"


def _row(item: OutboxItem) -> str:
    k = item.key
    return f"{k.tenant_id}|{k.org}|{k.opportunity_id}|{item.evaluation_id}"


def _from_entity(entity: Mapping[str, Any]) -> OutboxItem:
    return OutboxItem(
        key=ProjectKey(
            tenant_id=entity["TenantId"], org=entity["Org"], opportunity_id=entity["OpportunityId"]
        ),
        evaluation_id=entity["EvaluationId"],
        attempts=int(entity["Attempts"]),
        next_attempt_at=entity["NextAttemptAt"],
        created_at=entity["CreatedAt"],
        etag=etag_of(entity),
    )


class TableOutboxStore:
    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    def _entity(self, item: OutboxItem) -> dict[str, Any]:
        return {
            "PartitionKey": PARTITION,
            "RowKey": _row(item),
            "TenantId": item.key.tenant_id,
            "Org": item.key.org,
            "OpportunityId": item.key.opportunity_id,
            "EvaluationId": item.evaluation_id,
            "Attempts": item.attempts,
            "NextAttemptAt": item.next_attempt_at,
            "CreatedAt": item.created_at,
        }

    async def put(self, item: OutboxItem) -> OutboxItem:
        entity = self._entity(item)

        async def op(table: TableClient) -> Mapping[str, Any]:
            return await table.upsert_entity(entity, mode=UpdateMode.REPLACE)

        meta = await self._tables.run("outbox", op)
        etag = meta.get("etag")
        return replace(item, etag=str(etag) if etag else None)

    async def due(self, *, now: datetime, limit: int = 50) -> list[OutboxItem]:
        async def op(table: TableClient) -> list[OutboxItem]:
            found: list[OutboxItem] = []
            query = table.query_entities(
                "PartitionKey eq @p and NextAttemptAt le @now",
                parameters={"p": PARTITION, "now": now},
            )
            async for entity in query:
                found.append(_from_entity(entity))
                if len(found) >= limit:
                    break
            return found

        return await self._tables.run("outbox", op)

    async def reschedule(self, item: OutboxItem, *, next_attempt_at: datetime) -> None:
        updated = replace(item, attempts=item.attempts + 1, next_attempt_at=next_attempt_at)

        async def op(table: TableClient) -> None:
            await table.update_entity(
                self._entity(updated),
                mode=UpdateMode.REPLACE,
                etag=item.etag,
                match_condition=MatchConditions.IfNotModified,
            )

        try:
            await self._tables.run("outbox", op)
        except (ResourceModifiedError, ResourceNotFoundError):
            pass  # a newer evaluation replaced it, or another worker finished it

    async def remove(self, item: OutboxItem) -> None:
        """Delete unless a newer evaluation replaced the item meanwhile (ETag)."""

        async def op(table: TableClient) -> None:
            await table.delete_entity(
                PARTITION, _row(item), etag=item.etag, match_condition=MatchConditions.IfNotModified
            )

        try:
            await self._tables.run("outbox", op)
        except (ResourceModifiedError, ResourceNotFoundError):
            pass
