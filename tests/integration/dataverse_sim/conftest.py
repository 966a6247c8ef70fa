"""One Entra ID simulator + Dataverse simulator pair per test session (child processes, free
ports, a fresh local CA). Every test starts from a reset Dataverse simulator (seed reloaded,
faults cleared, request log empty)."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.integration.dataverse_sim.support import SimClient, SimPair, running_pair


@pytest.fixture(scope="session")
def sim_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimPair]:
    with running_pair(tmp_path_factory.mktemp("dataverse_sim")) as pair:
        yield pair


@pytest.fixture
async def sim(sim_pair: SimPair) -> AsyncIterator[SimClient]:
    async with httpx.AsyncClient(
        verify=ssl.create_default_context(cafile=str(sim_pair.tls.ca_cert)),
        trust_env=False,
        timeout=30,
    ) as http:
        client = SimClient(sim_pair, http)
        await client.reset()
        yield client
        await client.reset()
