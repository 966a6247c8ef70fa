"""Composition root: builds every adapter once per worker process from :class:`Settings`.

The Functions host (through ``function_app.py``), uvicorn (``make run``) and the tests all call
:func:`build_container`; tests pass other adapters (fakes, counters, clocks) as keyword arguments
instead of monkeypatching. Building does no I/O: network clients connect on first use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.adapters.clock import SystemClock
from shared.adapters.tables.client import StorageOpCounter, TableConnection, Tables
from shared.adapters.tables.projects import TableProjectStore
from shared.ports import Clock, ProjectStore
from shared.settings import Settings


@dataclass
class Container:
    settings: Settings
    tables: Tables
    clock: Clock
    projects: ProjectStore
    _closers: list[Any] = field(default_factory=list, repr=False)

    async def aclose(self) -> None:
        await self.tables.close()
        for closer in self._closers:
            await closer()


def _table_connection(settings: Settings) -> TableConnection:
    if settings.storage_table_endpoint:
        # Azure: identity-based access (no shared keys). A managed identity with an explicit client
        # id is deterministic; DefaultAzureCredential is for a developer's own login only.
        if settings.managed_identity_client_id:
            from azure.identity.aio import ManagedIdentityCredential

            return TableConnection(
                endpoint=settings.storage_table_endpoint,
                credential=ManagedIdentityCredential(client_id=settings.managed_identity_client_id),
            )
        from azure.identity.aio import DefaultAzureCredential

        return TableConnection(
            endpoint=settings.storage_table_endpoint, credential=DefaultAzureCredential()
        )
    assert settings.storage_connection_string is not None  # guaranteed by Settings validation
    return TableConnection(connection_string=settings.storage_connection_string.get_secret_value())


def build_container(
    settings: Settings,
    *,
    clock: Clock | None = None,
    storage_counter: StorageOpCounter | None = None,
) -> Container:
    tables = Tables(
        connection=_table_connection(settings),
        prefix=settings.table_prefix,
        counter=storage_counter or StorageOpCounter(),
    )
    return Container(
        settings=settings,
        tables=tables,
        clock=clock or SystemClock(),
        projects=TableProjectStore(tables),
    )
