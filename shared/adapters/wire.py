"""What the Dataverse transport needs from the network: one request, its answer read completely.

Two implementations, chosen by the composition root (``shared/composition/adapters.py``,
``outbound_http``):

- ``AiohttpWire`` (``shared/adapters/aiohttp_transport.py``): the worker's own, straight on the
  aiohttp session that also carries the worker's httpx client. The gateway sends hundreds of
  requests per rep action in the background queue and two per page view; httpx's request and
  response models around aiohttp cost about as much client CPU as aiohttp itself
  (docs/dataverse-client-bench.md), so the gateway skips them.
- ``HttpxWire``: any ``httpx.AsyncClient``. Tests hand the composition root an httpx transport
  (``httpx.MockTransport``, an ASGI app) and the gateway then goes through it, as every other
  outbound call does.

Both report a request that got no answer as httpx's exceptions (``httpx.TransportError`` and
its subclasses), so the Dataverse transport has one vocabulary for "Dataverse never answered".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import httpx


@dataclass(frozen=True, slots=True)
class Exchange:
    """An answer, read completely. ``headers`` look up names case-insensitively."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class Wire(Protocol):
    """Sends one request and reads its whole answer; raises ``httpx.TransportError`` (or a
    subclass) when no answer came, never for an error status."""

    @property
    def timeout(self) -> httpx.Timeout:
        """The per-phase timeouts configured for the worker; a caller may pass tighter ones."""
        ...

    async def exchange(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        content: bytes | None,
        timeout: httpx.Timeout,
    ) -> Exchange: ...


class HttpxWire:
    """A ``Wire`` over an ``httpx.AsyncClient`` (its transport, timeouts and hooks apply)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    @property
    def timeout(self) -> httpx.Timeout:
        return self._client.timeout

    async def exchange(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        content: bytes | None,
        timeout: httpx.Timeout,
    ) -> Exchange:
        response = await self._client.request(
            method, url, headers=headers, content=content, timeout=timeout
        )
        return Exchange(response.status_code, response.headers, response.content)
