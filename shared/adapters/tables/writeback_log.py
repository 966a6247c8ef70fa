"""The write-back log in Azure Tables: one partition per org (``PartitionKey = "{tenant}|{org}"``),
append-only, newest first.

``RowKey = "{inverted microseconds:019d}{random:08x}"``: the time inverted, so a partition query
returns the newest entries first and a period is a RowKey range (no scan of older rows); the random
suffix keeps two entries of the same microsecond apart. Filters on level, user and opportunity are
sent to the service as an OData filter. Retention deletes old rows in entity-group transactions
(at most 100 operations each, one partition:
https://learn.microsoft.com/rest/api/storageservices/performing-entity-group-transactions).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.data.tables import TransactionOperation
from azure.data.tables.aio import TableClient

from shared.adapters.tables.client import Tables
from shared.adapters.tables.common import without_none
from shared.domain.admin_log import (
    LogEntry,
    LogEvent,
    LogFilter,
    LogLevel,
    LogOutcome,
    LogPage,
)

_MAX_MICROS = 10**19 - 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TRANSACTION_SIZE = 100
_CURSOR_LENGTH = 27


def partition(tenant_id: str, org: str) -> str:
    return f"{tenant_id}|{org}"


def _micros(at: datetime) -> int:
    return (at - _EPOCH) // timedelta(microseconds=1)


def _after(at: datetime) -> str:
    """The smallest RowKey of entries written strictly before ``at``."""
    return f"{_MAX_MICROS - _micros(at) + 1:019d}"


def time_prefix(at: datetime) -> str:
    """The RowKey prefix of entries written at ``at`` (later times sort first)."""
    return f"{_MAX_MICROS - _micros(at):019d}"


def row_key(at: datetime) -> str:
    return time_prefix(at) + f"{secrets.randbits(32):08x}"


def valid_cursor(cursor: str) -> bool:
    """A cursor is a RowKey we handed out: 19 digits and 8 hex digits."""
    return (
        len(cursor) == _CURSOR_LENGTH
        and cursor[:19].isdigit()
        and all(c in "0123456789abcdef" for c in cursor[19:])
    )


def _to_entity(entry: LogEntry) -> dict[str, Any]:
    return without_none(
        {
            "PartitionKey": partition(entry.tenant_id, entry.org),
            "RowKey": row_key(entry.at),
            "At": entry.at,
            "Level": entry.level.value,
            "Event": entry.event.value,
            "Outcome": entry.outcome.value,
            "User": entry.user,
            "OpportunityId": entry.opportunity_id,
            "Code": entry.code,
            "Column": entry.column,
            "Value": entry.value,
            "Attempt": entry.attempt,
            "Params": json.dumps(dict(entry.params), sort_keys=True) if entry.params else None,
        }
    )


def _from_entity(entity: Mapping[str, Any]) -> LogEntry:
    tenant_id, _, org = str(entity["PartitionKey"]).partition("|")
    params = json.loads(entity["Params"]) if entity.get("Params") else {}
    attempt = entity.get("Attempt")
    return LogEntry(
        tenant_id=tenant_id,
        org=org,
        at=entity["At"],
        event=LogEvent(entity["Event"]),
        outcome=LogOutcome(entity["Outcome"]),
        level=LogLevel(entity["Level"]),
        user=entity.get("User"),
        opportunity_id=entity.get("OpportunityId"),
        code=entity.get("Code"),
        column=entity.get("Column"),
        value=entity.get("Value"),
        attempt=int(attempt) if attempt is not None else None,
        params=params if isinstance(params, dict) else {},
        entry_id=str(entity["RowKey"]),
    )


def _query(
    tenant_id: str, org: str, filters: LogFilter, cursor: str | None
) -> tuple[str, dict[str, Any]]:
    """The OData filter: the partition, the period and cursor as RowKey bounds, the rest as
    property comparisons."""
    clauses = ["PartitionKey eq @pk"]
    params: dict[str, Any] = {"pk": partition(tenant_id, org)}
    if cursor is not None:
        clauses.append("RowKey gt @cursor")
        params["cursor"] = cursor
    if filters.until is not None:  # At <= until: inverted, RowKey >= its prefix
        clauses.append("RowKey ge @upper")
        params["upper"] = time_prefix(filters.until)
    if filters.since is not None:  # At >= since: RowKey below the next prefix
        clauses.append("RowKey lt @lower")
        params["lower"] = _after(filters.since)
    if filters.levels:
        names = []
        for index, level in enumerate(sorted(filters.levels)):
            names.append(f"Level eq @level{index}")
            params[f"level{index}"] = level.value
        # Spaces around the parentheses: the SDK finds "@name" parameters between spaces.
        clauses.append("( " + " or ".join(names) + " )")
    if filters.user is not None:
        clauses.append("User eq @user")
        params["user"] = filters.user
    if filters.opportunity_id is not None:
        clauses.append("OpportunityId eq @opp")
        params["opp"] = filters.opportunity_id
    return " and ".join(clauses), params


class TableWritebackLogStore:
    """:class:`shared.ports.WritebackLogStore` on Azure Tables."""

    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    async def append(self, entry: LogEntry) -> None:
        entity = _to_entity(entry)

        async def op(table: TableClient) -> None:
            await table.create_entity(entity)

        await self._tables.run("writeback_log", op)

    async def page(
        self,
        *,
        tenant_id: str,
        org: str,
        filters: LogFilter,
        cursor: str | None = None,
        limit: int = 50,
    ) -> LogPage:
        query, params = _query(tenant_id, org, filters, cursor)

        async def op(table: TableClient) -> list[LogEntry]:
            found: list[LogEntry] = []
            # One more than asked: whether an older page exists, without another request.
            rows = table.query_entities(query, parameters=params, results_per_page=limit + 1)
            async for entity in rows:
                found.append(_from_entity(entity))
                if len(found) > limit:
                    break
            return found

        found = await self._tables.run("writeback_log", op)
        more = len(found) > limit
        entries = found[:limit]
        return LogPage(entries=entries, next_cursor=entries[-1].entry_id if more else None)

    async def counts(self, *, tenant_id: str, org: str, since: datetime) -> dict[LogLevel, int]:
        query, params = _query(tenant_id, org, LogFilter(since=since), None)

        async def op(table: TableClient) -> dict[LogLevel, int]:
            counts = dict.fromkeys(LogLevel, 0)
            async for entity in table.query_entities(query, parameters=params, select=["Level"]):
                counts[LogLevel(entity["Level"])] += 1
            return counts

        return await self._tables.run("writeback_log", op)

    async def purge(self, *, tenant_id: str, org: str, before: datetime) -> int:
        pk = partition(tenant_id, org)
        # Older than ``before``: inverted, the RowKeys from the first one before it upwards.
        params = {"pk": pk, "old": _after(before)}

        async def op(table: TableClient) -> int:
            keys = [
                e["RowKey"]
                async for e in table.query_entities(
                    "PartitionKey eq @pk and RowKey ge @old",
                    parameters=params,
                    select=["PartitionKey", "RowKey"],
                )
            ]
            for start in range(0, len(keys), TRANSACTION_SIZE):
                await table.submit_transaction(
                    [
                        (TransactionOperation.DELETE, {"PartitionKey": pk, "RowKey": rk})
                        for rk in keys[start : start + TRANSACTION_SIZE]
                    ]
                )
            return len(keys)

        return await self._tables.run("writeback_log", op)
