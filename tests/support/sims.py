"""Test-side handles on the simulators' control APIs (request logs, faults, minting, reset)."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from devstack.stack import Stack


@dataclass
class Sims:
    stack: Stack
    client: httpx.AsyncClient

    @classmethod
    @asynccontextmanager
    async def connect(cls, stack: Stack) -> AsyncIterator[Sims]:
        assert stack.tls is not None
        context = ssl.create_default_context(cafile=str(stack.tls.ca_cert))
        async with httpx.AsyncClient(verify=context, trust_env=False, timeout=30) as client:
            yield cls(stack=stack, client=client)

    # --- Entra ID simulator -----------------------------------------------------------------------
    async def entra(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.client.request(
            method, f"{self.stack.entra_url}/_sim/{path}", **kwargs
        )
        response.raise_for_status()
        return response.json()

    async def entra_requests(self, **filters: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.entra("GET", "requests", params=filters)
        return result

    async def token_endpoint_calls(self) -> int:
        return len(await self.entra_requests(endpoint="token"))

    async def mint(self, claims: dict[str, Any], *, kind: str = "access") -> str:
        body = await self.entra("POST", "mint", json={"claims": claims, "kind": kind})
        return str(body["token"])

    # --- Dataverse simulator ----------------------------------------------------------------------
    async def dataverse(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.client.request(
            method, f"{self.stack.dataverse_url}/_sim/{path}", **kwargs
        )
        response.raise_for_status()
        return response.json()
