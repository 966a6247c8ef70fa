"""Microsoft's own clients against the simulators: one Entra ID + Dataverse simulator pair per
session (child processes on free ports, a fresh local CA), reset before every test.

The clients run unmodified: Microsoft's Python Dataverse client uses ``requests`` and trusts
``REQUESTS_CA_BUNDLE`` (set per test to the local CA); azure-identity credentials take the
simulator as their authority, exactly as they would take ``login.microsoftonline.com``."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.integration.dataverse_sim.support import SimClient, SimPair, running_pair


@pytest.fixture(scope="session")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimPair]:
    with running_pair(tmp_path_factory.mktemp("conformance")) as running:
        yield running


@pytest.fixture
async def sim(pair: SimPair, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[SimClient]:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(pair.tls.ca_cert))
    async with httpx.AsyncClient(
        verify=ssl.create_default_context(cafile=str(pair.tls.ca_cert)),
        trust_env=False,
        timeout=30,
    ) as http:
        client = SimClient(pair, http)
        await client.reset()
        await client.http.post(f"{pair.entra_url}/_sim/reset")
        yield client
