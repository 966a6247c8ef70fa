"""Org-wide reads of the cockpit's own tables for the admin console: every project of an org,
every evaluation of an org's projects, and every published solution version with who published it.

Projects and evaluations live in one partition per project (``"{tenant}|{org}|{opportunity}"``,
see ``projects.py``), so an org is a *range* of partitions: ``PartitionKey ge "{tenant}|{org}|"
and PartitionKey lt "{tenant}|{org}}"`` ("}" follows "|"), one paged query however many projects
there are (1,000 rows per page). Within a partition evaluations come newest first (inverted
sequence numbers), so the first row of each partition is the project's current probability.
The row formats are the stores' own (their parsers are reused, so there is one definition).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from azure.data.tables.aio import TableClient

from shared.adapters.tables.client import Tables
from shared.adapters.tables.evaluations import _from_entity as evaluation_from_entity
from shared.adapters.tables.projects import _from_entity as project_from_entity
from shared.domain.evaluations import Evaluation
from shared.domain.projects import Project
from shared.domain.solutions import builtin_solutions, parse_solution
from shared.domain.versions import PublishedVersion

_ORG_RANGE = "PartitionKey ge @low and PartitionKey lt @high"


def _range(tenant_id: str, org: str) -> dict[str, str]:
    return {"low": f"{tenant_id}|{org}|", "high": f"{tenant_id}|{org}}}"}


class TableProjectDirectory:
    """:class:`shared.ports.ProjectDirectory` and :class:`shared.ports.SolutionCatalog`."""

    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    async def projects(self, *, tenant_id: str, org: str) -> list[Project]:
        async def op(table: TableClient) -> list[Project]:
            return [
                project_from_entity(e)
                async for e in table.query_entities(_ORG_RANGE, parameters=_range(tenant_id, org))
            ]

        return await self._tables.run("projects", op)

    async def histories(
        self, *, tenant_id: str, org: str, newest_only: bool = False
    ) -> dict[str, list[Evaluation]]:
        async def op(table: TableClient) -> dict[str, list[Evaluation]]:
            found: dict[str, list[Evaluation]] = {}
            async for entity in _rows(table, tenant_id, org):
                opportunity_id = str(entity["PartitionKey"]).rsplit("|", 1)[-1]
                history = found.setdefault(opportunity_id, [])
                if not newest_only or not history:
                    history.append(evaluation_from_entity(entity))
            return found

        return await self._tables.run("evaluations", op)

    async def versions(self, *, tenant_id: str) -> list[PublishedVersion]:
        async def op(table: TableClient) -> list[Mapping[str, Any]]:
            return [
                e
                async for e in table.query_entities(
                    "PartitionKey eq @t", parameters={"t": tenant_id}
                )
            ]

        published = [
            PublishedVersion(
                solution=parse_solution(e["Definition"]),
                published_by=e.get("PublishedBy"),
                published_at=e.get("PublishedAt"),
            )
            for e in await self._tables.run("solutions", op)
        ]
        builtin = [
            PublishedVersion(solution=s, published_by=None, published_at=None, builtin=True)
            for s in builtin_solutions()
        ]
        return sorted(builtin + published, key=lambda v: (v.solution.id, v.solution.version))


async def _rows(table: TableClient, tenant_id: str, org: str) -> AsyncIterator[Mapping[str, Any]]:
    async for entity in table.query_entities(
        _ORG_RANGE, parameters=_range(tenant_id, org), results_per_page=1000
    ):
        yield entity
