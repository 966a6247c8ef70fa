"""The solution designer's storage in Azure Tables: ``PartitionKey = tenant``;
``RowKey = "draft|{solution id}"`` for the one draft per solution an administrator is editing, and
``"extras|{solution id}|{version:06d}"`` for what a published version carries besides its scoring
model (the second language's texts, the grade bands). Solution ids are safe in keys (the model's
id rule). A draft in two languages can exceed one property's 32K characters, so its JSON is split
over ``Draft0`` … ``Draft15`` (an entity holds at most 1 MiB:
https://learn.microsoft.com/rest/api/storageservices/understanding-the-table-service-data-model)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.data.tables.aio import TableClient

from shared.adapters.tables.client import Tables
from shared.adapters.tables.common import etag_of, get_or_none
from shared.domain.designer import GradeBand, SolutionDraft
from shared.domain.errors import Conflict, InvalidInput
from shared.domain.versions import StoredDraft, VersionExtras

CHUNK = 30_000
MAX_CHUNKS = 16


def _draft_row(solution_id: str) -> str:
    return f"draft|{solution_id}"


def _extras_row(solution_id: str, version: int) -> str:
    return f"extras|{solution_id}|{version:06d}"


def _chunks(text: str, prefix: str) -> dict[str, str]:
    parts = [text[i : i + CHUNK] for i in range(0, len(text), CHUNK)] or [""]
    if len(parts) > MAX_CHUNKS:
        raise InvalidInput(
            "the draft is too large to store (shorten guidance texts)",
            code="draft_too_large",
            params={"max": CHUNK * MAX_CHUNKS},
        )
    return {f"{prefix}{i}": part for i, part in enumerate(parts)}


def _joined(entity: Mapping[str, Any], prefix: str) -> str:
    return "".join(entity.get(f"{prefix}{i}") or "" for i in range(MAX_CHUNKS))


def _draft(entity: Mapping[str, Any], tenant_id: str) -> StoredDraft:
    return StoredDraft(
        tenant_id=tenant_id,
        draft=SolutionDraft.model_validate_json(_joined(entity, "Draft")),
        updated_at=entity["UpdatedAt"],
        updated_by=entity["UpdatedBy"],
        etag=etag_of(entity),
    )


class TableDraftStore:
    """:class:`shared.ports.DraftStore` on Azure Tables."""

    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    async def get(self, *, tenant_id: str, solution_id: str) -> StoredDraft | None:
        async def op(table: TableClient) -> Mapping[str, Any] | None:
            return await get_or_none(table, tenant_id, _draft_row(solution_id))

        entity = await self._tables.run("designs", op)
        return None if entity is None else _draft(entity, tenant_id)

    async def all(self, *, tenant_id: str) -> list[StoredDraft]:
        async def op(table: TableClient) -> list[StoredDraft]:
            return [
                _draft(e, tenant_id)
                async for e in table.query_entities(
                    "PartitionKey eq @t and RowKey ge 'draft|' and RowKey lt 'draft}'",
                    parameters={"t": tenant_id},
                )
            ]

        return await self._tables.run("designs", op)

    async def save(self, draft: StoredDraft) -> StoredDraft:
        entity: dict[str, Any] = {
            "PartitionKey": draft.tenant_id,
            "RowKey": _draft_row(draft.draft.id),
            "UpdatedAt": draft.updated_at,
            "UpdatedBy": draft.updated_by,
            **_chunks(draft.draft.model_dump_json(), "Draft"),
        }

        etag = await self._tables.save_guarded(
            "designs",
            entity,
            etag=draft.etag,
            conflict=Conflict("another administrator saved this draft meanwhile"),
        )
        return replace(draft, etag=etag)

    async def delete(self, *, tenant_id: str, solution_id: str) -> None:
        async def op(table: TableClient) -> None:
            try:
                await table.delete_entity(tenant_id, _draft_row(solution_id))
            except ResourceNotFoundError as err:
                if getattr(err, "error_code", None) == "TableNotFound":
                    raise

        await self._tables.run("designs", op)

    async def extras(
        self, *, tenant_id: str, solution_id: str, version: int
    ) -> VersionExtras | None:
        async def op(table: TableClient) -> Mapping[str, Any] | None:
            return await get_or_none(table, tenant_id, _extras_row(solution_id, version))

        entity = await self._tables.run("designs", op)
        if entity is None:
            return None
        payload = json.loads(_joined(entity, "Extras"))
        return VersionExtras(
            solution_id=solution_id,
            version=version,
            other_texts=payload.get("other_texts") or {},
            grade_bands=tuple(GradeBand.model_validate(b) for b in payload.get("grade_bands", [])),
        )

    async def save_extras(self, *, tenant_id: str, extras: VersionExtras) -> None:
        payload = json.dumps(
            {
                "other_texts": dict(extras.other_texts),
                "grade_bands": [b.model_dump(mode="json") for b in extras.grade_bands],
            },
            ensure_ascii=False,
        )
        entity = {
            "PartitionKey": tenant_id,
            "RowKey": _extras_row(extras.solution_id, extras.version),
            **_chunks(payload, "Extras"),
        }

        async def op(table: TableClient) -> None:
            # A published version never changes, and neither do its extras.
            await table.create_entity(entity)

        try:
            await self._tables.run("designs", op)
        except ResourceExistsError:
            raise Conflict(f"{extras.solution_id} v{extras.version} is already published") from None
