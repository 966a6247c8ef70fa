"""Opening projects, the page's data, history and delete — the access rule first, every time."""

from __future__ import annotations

import asyncio

import pytest

from shared.domain.errors import CrmBusy, CrmRecordNotFound, NoAccess, NotFound, ReadOnlyAccess
from shared.domain.solutions import builtin_solutions
from tests.support.world import KEY, OPP, ORG, World, rep

B2B = next(s for s in builtin_solutions() if s.language == "en")


@pytest.fixture
def world() -> World:
    return World("chris", "dana")


async def open_page(world: World, user: str = "rep", *, create: bool = True):
    return await world.container.projects_service.open(
        principal=rep(user), org=ORG, opportunity_id=OPP, create=create
    )


async def test_the_first_open_reads_the_crm_once_and_creates_the_project(world: World) -> None:
    page = await open_page(world)
    assert page.project.name == "CRM rollout 2027" and page.project.created_by == "rep"
    assert world.crm.calls == [("get", OPP)]
    assert {s.id for s in page.choices} >= {B2B.id} and page.solution is None


async def test_later_opens_find_the_same_project(world: World) -> None:
    first = await open_page(world)
    again = await open_page(world, create=False)
    assert again.project.project_id == first.project.project_id
    assert world.crm.calls == [("get", OPP)] * 2  # the page's one read is its read check


async def test_concurrent_first_opens_make_one_project(world: World) -> None:
    pages = await asyncio.gather(*(open_page(world) for _ in range(10)))
    assert len({p.project.project_id for p in pages}) == 1 and len(world.projects.rows) == 1


async def test_without_create_a_missing_project_is_not_made(world: World) -> None:
    with pytest.raises(NotFound) as info:
        await open_page(world, create=False)
    assert info.value.code == "project_not_found" and world.projects.rows == {}


async def test_a_refused_user_learns_nothing_whether_or_not_a_project_exists(world: World) -> None:
    world.crm.rights["dana"] = {}
    answers = []
    for exists in (False, True):
        if exists:
            await open_page(world)
        for create in (False, True):
            with pytest.raises(NoAccess) as info:
                await open_page(world, "dana", create=create)
            answers.append((type(info.value), info.value.code, str(info.value.params)))
    assert len(set(answers)) == 1
    assert len(world.projects.rows) == 1  # dana created nothing


async def test_deleted_opportunities_create_nothing(world: World) -> None:
    del world.crm.opportunities[OPP]
    with pytest.raises(CrmRecordNotFound):
        await open_page(world)
    assert world.projects.rows == {}


async def test_an_outage_shows_the_page_only_with_a_recent_access_answer(world: World) -> None:
    await open_page(world)
    world.crm.fail_next["get"] = CrmBusy("429")
    page = await open_page(world)  # read access answered seconds ago: show, say Dynamics is busy
    assert page.opportunity is None and isinstance(page.crm_error, CrmBusy)
    world.pass_time(seconds=61)
    world.crm.fail_next["get"] = CrmBusy("429")
    with pytest.raises(CrmBusy):  # cannot ask Dynamics, and no answer from the last minute
        await open_page(world)


async def test_history_asks_dynamics_unless_it_answered_within_a_minute(world: World) -> None:
    await open_page(world)
    world.crm.calls.clear()
    service = world.container.projects_service
    page = await service.history(principal=rep(), org=ORG, opportunity_id=OPP)
    assert page.evaluations == [] and page.names == {}
    assert world.crm.calls == []
    world.pass_time(seconds=61)
    await service.history(principal=rep(), org=ORG, opportunity_id=OPP)
    assert world.crm.calls == [("check_read", OPP)]
    world.crm.rights["dana"] = {}
    with pytest.raises(NoAccess):
        await service.history(principal=rep("dana"), org=ORG, opportunity_id=OPP)


async def test_delete_needs_write_access_and_removes_the_history(world: World) -> None:
    await open_page(world)
    world.crm.rights["chris"] = {OPP: frozenset({"ReadAccess"})}
    service = world.container.projects_service
    with pytest.raises(ReadOnlyAccess):
        await service.delete(principal=rep("chris"), org=ORG, opportunity_id=OPP)
    await world.container.qualification.assign_solution(
        principal=rep(), org=ORG, opportunity_id=OPP, solution_id=B2B.id
    )
    answers = {c.id: c.options[0].id for c in B2B.criteria}
    await world.container.qualification.evaluate(
        principal=rep(), org=ORG, opportunity_id=OPP, answers=answers
    )
    await service.delete(principal=rep(), org=ORG, opportunity_id=OPP)
    assert world.projects.rows == {} and world.evaluations.rows.get(KEY) is None
    with pytest.raises(NotFound):
        await service.delete(principal=rep(), org=ORG, opportunity_id=OPP)
