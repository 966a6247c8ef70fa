"""Composition root: builds every adapter once per worker process from :class:`Settings`.

The Functions host (through ``function_app.py``), uvicorn (``make run``) and the tests all use
:class:`Container`; tests pass other parts (in-memory stores, fakes, counters, transports, clocks) as
keyword arguments named after the part they replace, instead of monkeypatching: the real services
are then built around them. Building does no I/O: network clients, TLS contexts and CA
files are created on first use (``functools.cached_property``), so importing ``function_app`` stays
cheap and a worker that never calls Dataverse never opens a connection to it.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import httpx

from shared.adapters.tables.client import StorageOpCounter
from shared.composition.adapters import token_exchange_audience
from shared.composition.admin import AdminParts, shipped_solution_version
from shared.settings import Settings

__all__ = ["Container", "build_container", "shipped_solution_version", "token_exchange_audience"]


class Container(AdminParts):
    """Everything a worker needs, built lazily. ``overrides`` replace parts by name (any cached
    part: ``projects``, ``crm``, ``identity``, ``clock`` …) for tests. The parts are grouped in
    ``shared/composition/`` (adapters, services, the admin console); this is the one root."""

    def __init__(
        self,
        settings: Settings,
        *,
        storage_counter: StorageOpCounter | None = None,
        outbound_transport: httpx.AsyncBaseTransport | None = None,
        **overrides: Any,
    ) -> None:
        self.settings = settings
        self.storage_counter = storage_counter or StorageOpCounter()
        self._transport = outbound_transport
        self._closers: list[Any] = []
        for name, part in overrides.items():
            if not isinstance(getattr(type(self), name, None), cached_property):
                raise TypeError(f"Container has no part named {name!r} to override")
            # cached_property reads the instance dict first: the override *is* the built part.
            self.__dict__[name] = part

    async def aclose(self) -> None:
        if "tables" in self.__dict__:
            await self.tables.close()
        for closer in reversed(self._closers):
            await closer()
        self._closers.clear()


def build_container(settings: Settings, **overrides: Any) -> Container:
    return Container(settings, **overrides)
