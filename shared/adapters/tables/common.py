"""Small helpers shared by the table stores."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables.aio import TableClient


async def get_or_none(table: TableClient, pk: str, rk: str) -> Mapping[str, Any] | None:
    """Point read; None when the entity is missing. A missing *table* still raises, so
    :meth:`Tables.run` can create it and retry."""
    try:
        return await table.get_entity(pk, rk)
    except ResourceNotFoundError as err:
        if getattr(err, "error_code", None) == "TableNotFound":
            raise
        return None


def etag_of(entity: Mapping[str, Any]) -> str | None:
    metadata = getattr(entity, "metadata", None) or {}
    etag = metadata.get("etag")
    return str(etag) if etag else None


def without_none(entity: Mapping[str, Any]) -> dict[str, Any]:
    """Azure Tables has no null: absent properties are the way to say "no value"."""
    return {k: v for k, v in entity.items() if v is not None}
