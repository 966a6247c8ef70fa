"""The project store against a real Azurite."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from datetime import UTC, datetime

import pytest

from devstack.azurite import connection_string
from devstack.process import free_port
from shared.adapters.tables.client import TableConnection, Tables
from shared.adapters.tables.projects import TableProjectStore
from shared.domain.errors import Conflict, StorageUnavailable
from shared.domain.projects import Project, ProjectKey
from shared.domain.solutions import SolutionRef
from tests.support.azurite import unique_prefix

TENANT = "c0a7b2e1-5d4f-4c8a-9e21-3b6f0d9a1c01"


def new_project(opportunity_id: str, *, name: str = "Deal", org: str = "contoso") -> Project:
    return Project(
        key=ProjectKey.parse(tenant_id=TENANT, org=org, opportunity_id=opportunity_id),
        project_id=uuid.uuid4().hex,
        name=name,
        created_at=datetime.now(UTC),
        created_by="a11ce000-0000-4000-8000-000000000001",
    )


async def test_create_then_open_returns_the_first_project(tables) -> None:
    store = TableProjectStore(tables)
    opp = str(uuid.uuid4())
    first, created = await store.create_or_open(new_project(opp, name="First"))
    second, created_again = await store.create_or_open(new_project(opp, name="Second"))
    assert created and not created_again
    assert second.project_id == first.project_id
    assert second.name == "First"
    assert (await store.get(first.key)) == second


async def test_get_missing_is_none_and_creates_the_table_lazily(tables) -> None:
    store = TableProjectStore(tables)
    key = ProjectKey.parse(tenant_id=TENANT, org="contoso", opportunity_id=str(uuid.uuid4()))
    assert await store.get(key) is None


async def test_update_is_etag_conditional(tables) -> None:
    store = TableProjectStore(tables)
    project, _ = await store.create_or_open(new_project(str(uuid.uuid4())))
    assert project.etag
    updated = await store.update(project.with_solution(SolutionRef(id="b2b", version=1)))
    assert updated.etag != project.etag
    # A writer holding the old etag loses instead of silently overwriting.
    with pytest.raises(Conflict):
        await store.update(project.with_solution(SolutionRef(id="other", version=3)))
    stored = await store.get(project.key)
    assert stored is not None and stored.solution == SolutionRef(id="b2b", version=1)


async def test_open_is_one_point_read(tables) -> None:
    store = TableProjectStore(tables)
    project, _ = await store.create_or_open(new_project(str(uuid.uuid4())))
    tables.counter.reset()
    await store.create_or_open(new_project(project.key.opportunity_id))  # insert -> 409, then read
    assert tables.counter.total() == 2
    tables.counter.reset()
    await store.get(project.key)
    assert tables.counter.snapshot() == {(tables.name("projects"), "GET"): 1}


async def test_200_concurrent_create_or_open_over_20_keys(tables) -> None:
    """The launch race: double clicks and several reps at once must never make a second project."""
    store = TableProjectStore(tables)
    opportunities = [str(uuid.uuid4()) for _ in range(20)]
    await store.get(
        ProjectKey.parse(tenant_id=TENANT, org="contoso", opportunity_id=opportunities[0])
    )

    async def launch(i: int) -> tuple[str, Project]:
        opp = opportunities[i % 20]
        project, _ = await store.create_or_open(new_project(opp, name=f"caller {i}"))
        return opp, project

    results = await asyncio.gather(*(launch(i) for i in range(200)), return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    ids: dict[str, set[str]] = defaultdict(set)
    for opp, project in results:  # type: ignore[misc]
        ids[opp].add(project.project_id)
    assert len(ids) == 20
    assert all(len(v) == 1 for v in ids.values()), "a key got more than one project id"

    # Exactly 20 records exist in storage.
    client = tables.client("projects")
    rows = [e async for e in client.list_entities()]
    assert len(rows) == 20
    assert {r["ProjectId"] for r in rows} == {next(iter(v)) for v in ids.values()}


async def test_storage_down_is_a_domain_error_not_a_hang() -> None:
    # A port nobody listens on: connection refused, mapped to StorageUnavailable.
    dead = Tables(
        connection=TableConnection(connection_string=connection_string(free_port())),
        prefix=unique_prefix(),
    )
    store = TableProjectStore(dead)
    with pytest.raises(StorageUnavailable):
        await store.get(
            ProjectKey.parse(tenant_id=TENANT, org="contoso", opportunity_id=str(uuid.uuid4()))
        )
    await dead.close()
