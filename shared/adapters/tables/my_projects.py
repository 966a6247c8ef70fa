"""The "My cockpit" index in Azure Tables: one partition per person.

``PartitionKey = "{tenant}|{user object id}"``, ``RowKey = "{org}|{opportunity}"``. Listing a
person's projects is one partition query; recording an activity is one merge-upsert (``Created`` and
``Evaluated`` only ever become true, so concurrent writers cannot undo each other). All key parts
are GUIDs or validated org names, so no forbidden key character can appear.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import UpdateMode
from azure.data.tables.aio import TableClient

from shared.adapters.tables.client import Tables
from shared.adapters.tables.common import without_none
from shared.domain.my_projects import MAX_ENTRIES, MyProject
from shared.domain.projects import ProjectKey


def _partition(tenant_id: str, user: str) -> str:
    return f"{tenant_id}|{user}"


def _row(key: ProjectKey) -> str:
    return f"{key.org}|{key.opportunity_id}"


def _from_entity(entity: Mapping[str, Any]) -> MyProject:
    return MyProject(
        key=ProjectKey(
            tenant_id=entity["TenantId"], org=entity["Org"], opportunity_id=entity["OpportunityId"]
        ),
        user=entity["User"],
        name=entity.get("Name") or "",
        created=bool(entity.get("Created")),
        evaluated=bool(entity.get("Evaluated")),
        last_activity=entity["LastActivity"],
    )


class TableMyProjectsStore:
    """:class:`shared.ports.MyProjectsStore` on Azure Tables."""

    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    async def record(self, entry: MyProject) -> None:
        key = entry.key
        entity = without_none(
            {
                "PartitionKey": _partition(key.tenant_id, entry.user),
                "RowKey": _row(key),
                "TenantId": key.tenant_id,
                "Org": key.org,
                "OpportunityId": key.opportunity_id,
                "User": entry.user,
                "Name": entry.name,
                # Merge keeps a true flag from before: absent properties are left alone.
                "Created": True if entry.created else None,
                "Evaluated": True if entry.evaluated else None,
                "LastActivity": entry.last_activity,
            }
        )

        async def op(table: TableClient) -> None:
            await table.upsert_entity(entity, mode=UpdateMode.MERGE)

        await self._tables.run("my_projects", op)

    async def of_user(self, *, tenant_id: str, user: str) -> list[MyProject]:
        pk = _partition(tenant_id, user)

        async def op(table: TableClient) -> list[MyProject]:
            found: list[MyProject] = []
            async for entity in table.query_entities(
                "PartitionKey eq @pk", parameters={"pk": pk}, results_per_page=MAX_ENTRIES
            ):
                found.append(_from_entity(entity))
                if len(found) >= MAX_ENTRIES:
                    break
            return found

        return await self._tables.run("my_projects", op)

    async def forget(self, *, user: str, key: ProjectKey) -> None:
        async def op(table: TableClient) -> None:
            try:
                await table.delete_entity(_partition(key.tenant_id, user), _row(key))
            except ResourceNotFoundError as err:
                if getattr(err, "error_code", None) == "TableNotFound":
                    raise

        await self._tables.run("my_projects", op)
