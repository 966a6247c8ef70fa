"""Projects in Azure Tables.

Layout: one partition per project, ``PartitionKey = "{tenant}|{org}|{opportunity}"``,
``RowKey = "project"``. Create-or-open is a conditional insert (Insert Entity fails with 409 when
the row exists), so concurrent first launches of one opportunity create exactly one project; the
losers read the winner's row. Opening is a single point read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import UpdateMode
from azure.data.tables.aio import TableClient

from shared.adapters.tables.client import Tables
from shared.adapters.tables.common import etag_of, get_or_none, without_none
from shared.domain.errors import Conflict, NotFound
from shared.domain.projects import Project, ProjectKey
from shared.domain.solutions import SolutionRef

ROW = "project"


def partition_key(key: ProjectKey) -> str:
    # All parts were validated by ProjectKey.parse (GUIDs and an org name), so "|" is unambiguous
    # and no forbidden key character can appear.
    return f"{key.tenant_id}|{key.org}|{key.opportunity_id}"


def _to_entity(project: Project) -> dict[str, Any]:
    return {
        "PartitionKey": partition_key(project.key),
        "RowKey": ROW,
        "ProjectId": project.project_id,
        "TenantId": project.key.tenant_id,
        "Org": project.key.org,
        "OpportunityId": project.key.opportunity_id,
        "Name": project.name,
        "CreatedAt": project.created_at,
        "CreatedBy": project.created_by,
        "SolutionId": project.solution.id if project.solution else None,
        "SolutionVersion": project.solution.version if project.solution else None,
    }


def _from_entity(entity: Mapping[str, Any]) -> Project:
    solution = None
    if entity.get("SolutionId"):
        solution = SolutionRef(id=entity["SolutionId"], version=int(entity["SolutionVersion"]))
    created_at = entity["CreatedAt"]
    return Project(
        key=ProjectKey(
            tenant_id=entity["TenantId"], org=entity["Org"], opportunity_id=entity["OpportunityId"]
        ),
        project_id=entity["ProjectId"],
        name=entity["Name"],
        created_at=created_at
        if isinstance(created_at, datetime)
        else datetime.fromisoformat(created_at),
        created_by=entity["CreatedBy"],
        solution=solution,
        etag=etag_of(entity),
    )


class TableProjectStore:
    """:class:`shared.ports.ProjectStore` on Azure Tables."""

    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    async def get(self, key: ProjectKey) -> Project | None:
        async def op(table: TableClient) -> Mapping[str, Any] | None:
            return await get_or_none(table, partition_key(key), ROW)

        entity = await self._tables.run("projects", op)
        return None if entity is None else _from_entity(entity)

    async def create_or_open(self, project: Project) -> tuple[Project, bool]:
        """Insert ``project`` unless its key exists; return the stored project and whether this
        call created it."""
        entity = _to_entity(project)

        async def insert(table: TableClient) -> Mapping[str, Any]:
            return await table.create_entity(without_none(entity))

        try:
            meta = await self._tables.run("projects", insert)
        except ResourceExistsError:
            existing = await self.get(project.key)
            if existing is None:  # deleted between our insert and read: extremely unlikely
                raise Conflict("project vanished during create-or-open") from None
            return existing, False
        return _with_etag(project, meta.get("etag")), True

    async def update(self, project: Project) -> Project:
        """Replace the stored project if nobody changed it since it was read (ETag match)."""
        if project.etag is None:
            raise ValueError("update needs the etag the project was read with")
        entity = _to_entity(project)

        async def put(table: TableClient) -> Mapping[str, Any]:
            return await table.update_entity(
                without_none(entity),
                mode=UpdateMode.REPLACE,
                etag=project.etag,
                match_condition=MatchConditions.IfNotModified,
            )

        try:
            meta = await self._tables.run("projects", put)
        except ResourceModifiedError:
            raise Conflict(
                "the project was changed by someone else; reload and try again"
            ) from None
        except ResourceNotFoundError:
            raise NotFound("project not found", code="project_not_found") from None
        return _with_etag(project, meta.get("etag"))

    async def delete(self, key: ProjectKey) -> None:
        async def op(table: TableClient) -> None:
            try:
                await table.delete_entity(partition_key(key), ROW)
            except ResourceNotFoundError as err:
                if getattr(err, "error_code", None) == "TableNotFound":
                    raise

        await self._tables.run("projects", op)


def _with_etag(project: Project, etag: object) -> Project:
    return replace(project, etag=str(etag) if etag else None)
