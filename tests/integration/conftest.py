from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from shared.adapters.tables.client import TableConnection, Tables
from tests.support.azurite import AzuriteServer, running_azurite, unique_prefix


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
