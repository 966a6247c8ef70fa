"""What issue 15 added behind the pages, with the real services around fakes: My cockpit (one CRM
query per page, unreadable rows hidden), follow-up tasks (write access, owner, regarding),
Dynamics' predictive score (optional, as the app, skipped without the table), colleagues' names."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import pytest

from shared.domain.errors import CrmBusy, NotFound, ReadOnlyAccess, StateConflict
from shared.domain.my_projects import PAGE_SIZE
from shared.domain.solutions import builtin_solutions
from shared.services.followups import FollowUpWording
from tests.support.fakes import opportunity
from tests.support.world import CONTOSO, OPP, ORG, OTHER_OPP, World, rep

B2B = next(s for s in builtin_solutions() if s.language == "en")
READ = frozenset({"ReadAccess"})
WORDING = FollowUpWording(subject="Follow-up: {question}", description="{project}: {guidance}")


@pytest.fixture
def world() -> World:
    return World("ben", "chris")


def answers(level: int) -> dict[str, str]:
    chosen = {}
    for c in B2B.criteria:
        options = [o for o in c.options if o.knockout_cap is None]
        chosen[c.id] = options[min(level, len(options) - 1)].id
    return chosen


async def project(world: World, opp: str = OPP, user: str = "rep") -> None:
    await world.container.projects_service.launch(principal=rep(user), org=ORG, opportunity_id=opp)
    await world.container.qualification.assign_solution(
        principal=rep(user), org=ORG, opportunity_id=opp, solution_id=B2B.id
    )


async def evaluate(world: World, opp: str = OPP, user: str = "rep", level: int = 0):
    return await world.container.qualification.evaluate(
        principal=rep(user), org=ORG, opportunity_id=opp, answers=answers(level)
    )


async def my_page(
    world: World,
    user: str = "rep",
    *,
    page: int = 1,
    sort: Literal["activity", "name"] = "activity",
    descending: bool = True,
):
    return await world.container.my_cockpit.page(
        principal=rep(user), org=ORG, page=page, sort=sort, descending=descending
    )


# --- My cockpit ---------------------------------------------------------------------------------


async def test_creators_and_evaluators_find_their_projects_with_one_crm_query(world: World) -> None:
    await project(world)
    await evaluate(world, user="ben", level=1)
    await project(world, OTHER_OPP)
    world.crm.calls.clear()

    mine = await my_page(world)
    assert [r.entry.key.opportunity_id for r in mine.rows] == [OTHER_OPP, OPP]
    assert world.crm.calls == [("query", f"{OTHER_OPP},{OPP}")]  # one request for the page
    row = next(r for r in mine.rows if r.entry.key.opportunity_id == OPP)
    # The newest evaluation counts whoever made it (Ben's), with its grade.
    assert row.latest is not None and row.solution is not None
    assert row.entry.created and not row.entry.evaluated

    bens = await my_page(world, "ben")
    assert [r.entry.key.opportunity_id for r in bens.rows] == [OPP]
    assert bens.rows[0].entry.evaluated and not bens.rows[0].entry.created
    assert (await my_page(world, "chris")).rows == []


async def test_rows_dynamics_no_longer_lets_the_person_read_are_not_shown(world: World) -> None:
    await project(world)
    await project(world, OTHER_OPP)
    world.crm.rights["rep"] = {OPP: READ}  # OTHER_OPP: no access any more
    page = await my_page(world)
    assert [r.entry.key.opportunity_id for r in page.rows] == [OPP]
    assert page.total == 2  # the person's own list; nothing about the hidden row is shown


async def test_pages_and_sorting(world: World) -> None:
    ids = [f"0aa00000-0000-4000-8000-{i:012d}" for i in range(100, 100 + PAGE_SIZE + 5)]
    for n, opp in enumerate(ids):
        world.crm.opportunities[opp] = opportunity(opp, name=f"Deal {chr(90 - n)}")
        await world.container.projects_service.launch(principal=rep(), org=ORG, opportunity_id=opp)
        world.pass_time(minutes=1)
    first = await my_page(world)
    assert first.pages == 2 and len(first.rows) == PAGE_SIZE
    assert first.rows[0].entry.key.opportunity_id == ids[-1]  # newest activity first
    second = await my_page(world, page=2)
    assert len(second.rows) == 5 and second.page == 2
    by_name = await my_page(world, sort="name", descending=False)
    names = [r.entry.name for r in by_name.rows]
    assert names == sorted(names) and names[0] == "Deal B"
    assert (await my_page(world, page=99)).page == 2  # clamped, not an error


async def test_a_project_deleted_meanwhile_drops_out(world: World) -> None:
    await project(world)
    await world.container.projects_service.delete(principal=rep(), org=ORG, opportunity_id=OPP)
    assert (await my_page(world)).rows == []
    assert await world.my_projects.of_user(tenant_id=CONTOSO, user="rep") == []


async def test_dynamics_unreachable_is_an_outage_not_an_empty_list(world: World) -> None:
    await project(world)
    world.crm.fail_next["query"] = CrmBusy("429")
    with pytest.raises(CrmBusy):
        await my_page(world)


# --- follow-up tasks ----------------------------------------------------------------------------


async def test_a_follow_up_task_is_for_the_owner_regarding_the_opportunity(world: World) -> None:
    await project(world)
    world.crm.opportunities[OPP] = opportunity(OPP, owner_id="5e000000-0000-4000-8000-000000000002")
    budget = B2B.criteria[0]
    created = await world.container.followups.create_task(
        principal=rep(), org=ORG, opportunity_id=OPP, criterion_id=budget.id, wording=WORDING
    )
    [task] = world.crm.tasks
    assert task.opportunity_id == OPP and task.owner_id.endswith("0002")
    assert task.owner_type == "systemuser"
    assert task.subject == f"Follow-up: {budget.question}"
    assert task.description == f"CRM rollout 2027: {budget.guidance}"
    assert created.url.startswith(f"{ORG.url}/main.aspx?etn=task&id=")


async def test_follow_ups_need_write_access_asked_first(world: World) -> None:
    await project(world)
    world.crm.opportunities[OPP] = opportunity(OPP, owner_id="5e000000-0000-4000-8000-000000000001")
    world.crm.rights["chris"] = {OPP: READ}
    world.crm.calls.clear()
    with pytest.raises(ReadOnlyAccess):
        await world.container.followups.create_task(
            principal=rep("chris"),
            org=ORG,
            opportunity_id=OPP,
            criterion_id=B2B.criteria[0].id,
            wording=WORDING,
        )
    assert world.crm.tasks == [] and world.crm.calls == [("my_access", OPP)]


async def test_follow_ups_refuse_unknown_criteria_and_missing_projects(world: World) -> None:
    with pytest.raises(NotFound):
        await world.container.followups.create_task(
            principal=rep(), org=ORG, opportunity_id=OPP, criterion_id="budget", wording=WORDING
        )
    await project(world)
    with pytest.raises(StateConflict) as info:
        await world.container.followups.create_task(
            principal=rep(), org=ORG, opportunity_id=OPP, criterion_id="nope", wording=WORDING
        )
    assert info.value.code == "invalid_answer"
    assert world.crm.tasks == []


# --- Dynamics' predictive score -----------------------------------------------------------------


async def test_the_score_widget_is_off_unless_the_org_turns_it_on(world: World) -> None:
    await project(world)
    result = await evaluate(world)
    assert result.predictive is None and world.crm.scores == {}


async def test_each_evaluation_publishes_score_grade_and_trend_as_the_app(world: World) -> None:
    await world.container.predictive.configure(admin=rep("admin"), org=ORG, enabled=True)
    await project(world)
    first = await evaluate(world, level=0)
    assert first.predictive is not None and first.predictive.status == "published"
    score = world.crm.scores[OPP]
    expected = int(first.score.probability.quantize(Decimal(1), rounding="ROUND_HALF_UP"))
    assert (score.score, score.trend, score.grade) == (expected, 3, 0)  # first: not enough info
    second = await evaluate(world, level=2)
    score = world.crm.scores[OPP]
    assert score.trend == 2  # declining
    assert score.grade == B2B.grades.index(second.score.probability)


async def test_without_the_table_the_score_is_skipped_with_a_reason(world: World) -> None:
    await world.container.predictive.configure(admin=rep("admin"), org=ORG, enabled=True)
    world.crm.has_score_table = False
    await project(world)
    result = await evaluate(world)
    assert result.predictive is not None and result.predictive.status == "no_table"
    assert result.predictive.code == "predictive_table_missing"
    assert result.evaluation.writeback.status.value == "written"  # the evaluation is unharmed
    assert await world.container.predictive.table_present(principal=rep("admin"), org=ORG) is False


# --- the page: colleagues' names, live -----------------------------------------------------------


async def test_colleagues_are_named_by_dynamics_in_one_query_and_never_stored(
    world: World,
) -> None:
    await project(world)
    await evaluate(world, user="ben")
    world.pass_time(minutes=2)  # the access answers expire: the page asks again
    world.crm.users = {"ben": "Ben Becker"}
    world.crm.calls.clear()
    page = await world.container.projects_service.open(
        principal=rep(), org=ORG, opportunity_id=OPP, create=False
    )
    assert page.evaluator_names == {"ben": "Ben Becker"}
    assert [c for c in world.crm.calls if c[0] in ("get", "users")] == [
        ("get", OPP),
        ("users", "ben"),
    ]
    # Only the viewer's own evaluations: nobody to name, no query.
    world.crm.calls.clear()
    own = await world.container.projects_service.open(
        principal=rep("ben"), org=ORG, opportunity_id=OPP, create=False
    )
    assert own.evaluator_names == {} and ("users", "ben") not in world.crm.calls


async def test_names_unavailable_leave_the_page_working(world: World) -> None:
    await project(world)
    await evaluate(world, user="ben")
    world.crm.fail_next["users"] = CrmBusy("429")
    page = await world.container.projects_service.open(
        principal=rep(), org=ORG, opportunity_id=OPP, create=False
    )
    assert page.evaluator_names == {} and page.history


async def test_history_names_every_solution_version_it_used(world: World) -> None:
    await project(world)
    await evaluate(world)
    page = await world.container.projects_service.open(
        principal=rep(), org=ORG, opportunity_id=OPP, create=False
    )
    assert page.solutions_seen[B2B.ref].name == B2B.name
