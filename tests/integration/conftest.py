from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from devstack.stack import Stack
from shared.adapters.tables.client import TableConnection, Tables
from tests.support.azurite import AzuriteServer, running_azurite, unique_prefix
from tests.support.sims import Sims
from tests.support.stack import running_stack


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AzuriteServer]:
    with running_azurite(tmp_path_factory.mktemp("azurite")) as server:
        yield server


@pytest.fixture
async def tables(azurite: AzuriteServer) -> AsyncIterator[Tables]:
    t = Tables(
        connection=TableConnection(connection_string=azurite.connection_string),
        prefix=unique_prefix(),
    )
    yield t
    await t.close()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Azurite + Entra ID simulator + Dataverse simulator, shared by the integration tests."""
    with running_stack(tmp_path_factory.mktemp("stack")) as running:
        yield running


@pytest.fixture
async def sims(stack: Stack) -> AsyncIterator[Sims]:
    async with Sims.connect(stack) as s:
        yield s


@pytest.fixture
async def fresh(sims: Sims) -> AsyncIterator[Sims]:
    """Each test starts from the seed (storage is per test through table prefixes): both
    simulators reset before, and no fault or revoked grant outlives the test."""
    await sims.entra("POST", "reset")
    await sims.dataverse("POST", "reset")
    yield sims
    await sims.client.delete(f"{sims.stack.dataverse_url}/_sim/faults")
    await sims.entra("POST", "reset")
