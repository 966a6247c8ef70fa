"""Solutions an admin published for their tenant, next to the built-in catalogue.

``PartitionKey = tenant``, ``RowKey = "{solution id}|{version:06d}"``. A published version is never
changed (evaluations point at it), so publishing is a conditional insert; a tenant may publish a new
version of a built-in solution to adapt it, and that version then shadows the built-in one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from azure.core.exceptions import ResourceExistsError
from azure.data.tables.aio import TableClient

from shared.adapters.tables.client import Tables
from shared.adapters.tables.common import get_or_none
from shared.domain.errors import Conflict, InvalidInput, NotFound
from shared.domain.solutions import Solution, builtin_solutions, content_hash, parse_solution

# Azure Tables holds at most 32K UTF-16 characters per string property.
MAX_DEFINITION_CHARS = 30_000


def _row(solution_id: str, version: int) -> str:
    return f"{solution_id}|{version:06d}"


class TableSolutionStore:
    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    async def get(self, *, tenant_id: str, solution_id: str, version: int) -> Solution:
        async def op(table: TableClient) -> Mapping[str, Any] | None:
            return await get_or_none(table, tenant_id, _row(solution_id, version))

        entity = await self._tables.run("solutions", op)
        if entity is not None:
            return parse_solution(entity["Definition"])
        for builtin in builtin_solutions():
            if builtin.id == solution_id and builtin.version == version:
                return builtin
        raise NotFound(
            f"solution {solution_id} v{version} not found",
            code="solution_not_found",
            params={"solution": solution_id},
        )

    async def available(self, *, tenant_id: str) -> list[Solution]:
        """The newest version of every solution the tenant can assign (custom ones shadow
        built-ins with the same id)."""
        latest: dict[str, Solution] = {s.id: s for s in builtin_solutions()}

        async def op(table: TableClient) -> list[Mapping[str, Any]]:
            return [
                e
                async for e in table.query_entities(
                    "PartitionKey eq @t", parameters={"t": tenant_id}
                )
            ]

        for entity in await self._tables.run("solutions", op):
            solution = parse_solution(entity["Definition"])
            current = latest.get(solution.id)
            if current is None or solution.version > current.version:
                latest[solution.id] = solution
        return sorted(latest.values(), key=lambda s: (s.language, s.name))

    async def publish(self, *, tenant_id: str, solution: Solution, by: str, at: datetime) -> None:
        definition = solution.model_dump_json()
        if len(definition) > MAX_DEFINITION_CHARS:
            raise InvalidInput(
                "the solution is too large to store (shorten guidance texts)",
                code="invalid_solution",
                params={"detail": f"at most {MAX_DEFINITION_CHARS} characters of JSON"},
            )
        entity = {
            "PartitionKey": tenant_id,
            "RowKey": _row(solution.id, solution.version),
            "SolutionId": solution.id,
            "Version": solution.version,
            "Definition": definition,
            "ContentHash": content_hash(solution),
            "PublishedAt": at,
            "PublishedBy": by,
        }

        async def op(table: TableClient) -> None:
            await table.create_entity(entity)

        try:
            await self._tables.run("solutions", op)
        except ResourceExistsError:
            raise Conflict(f"{solution.id} v{solution.version} is already published") from None
