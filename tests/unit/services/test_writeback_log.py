"""Every write-back outcome lands in the log once; filters, paging, retention, "retry now" and the
admin rule (in-memory stores behind the real services; over real HTTP in
tests/integration/test_admin_log.py)."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from shared.domain.admin_log import LogEvent, LogFilter, LogLevel, LogOutcome
from shared.domain.crm import OpportunityState
from shared.domain.errors import (
    CrmAccessDenied,
    CrmBusy,
    CrmFieldSecured,
    CrmRecordNotFound,
    Forbidden,
    InvalidInput,
    NotFound,
)
from shared.domain.evaluations import Evaluation, WritebackOutcome, WritebackStatus
from shared.domain.solutions import builtin_solutions
from shared.domain.writeback import ClosedPolicy
from tests.support.fakes import opportunity
from tests.support.world import CONTOSO, KEY, OPP, ORG, World, rep

B2B = next(s for s in builtin_solutions() if s.language == "en")
ADMIN = rep("admin", "Cockpit.Admin")


@pytest.fixture
def world() -> World:
    return World("ben")


def answers(level: int) -> dict[str, str]:
    return {c.id: [o for o in c.options if o.knockout_cap is None][level].id for c in B2B.criteria}


async def evaluate(world: World, level: int = 0) -> Evaluation:
    result = await world.container.qualification.evaluate(
        principal=rep(), org=ORG, opportunity_id=OPP, answers=answers(level)
    )
    return result.evaluation


async def ready(world: World) -> None:
    await world.container.projects_service.launch(principal=rep(), org=ORG, opportunity_id=OPP)
    await world.container.qualification.assign_solution(
        principal=rep(), org=ORG, opportunity_id=OPP, solution_id=B2B.id
    )


def outcomes(world: World) -> list[LogOutcome]:
    return [e.outcome for e in reversed(world.log.rows) if e.event is LogEvent.WRITEBACK]


async def test_one_entry_per_outcome_with_ids_and_codes_only(world: World) -> None:
    await ready(world)
    await evaluate(world, 0)  # written
    await evaluate(world, 0)  # the CRM holds it already: unchanged
    world.crm.fail_next["patch"] = CrmBusy("429")
    await evaluate(world, 1)  # throttled: queued for the background
    await world.drain()  # the background writes it: retried
    for error in (CrmAccessDenied("403"), CrmFieldSecured("403"), CrmRecordNotFound("404")):
        world.crm.fail_next["patch"] = error
        await evaluate(world, 2)  # differs from what the CRM holds: a PATCH, refused
    world.crm.opportunities[OPP] = opportunity(OPP, state=OpportunityState.WON, probability=1)
    await evaluate(world, 0)  # closed, policy skip
    assert outcomes(world) == [
        LogOutcome.WRITTEN,
        LogOutcome.UNCHANGED,
        LogOutcome.QUEUED,
        LogOutcome.RETRIED,
        LogOutcome.NO_PRIVILEGE,
        LogOutcome.SECURED,
        LogOutcome.FAILED,
        LogOutcome.SKIPPED_CLOSED,
    ]
    queued = next(e for e in world.log.rows if e.outcome is LogOutcome.QUEUED)
    assert (queued.level, queued.code, queued.user, queued.opportunity_id) == (
        LogLevel.WARNING,
        "crm_busy",
        "rep",
        OPP,
    )
    retried = next(e for e in world.log.rows if e.outcome is LogOutcome.RETRIED)
    # The rep's own request was attempt 1; the background's first is attempt 2.
    assert retried.attempt == 2 and retried.column == "closeprobability"
    # Nothing but ids, codes and numbers: the opportunity's name never reaches the log.
    assert not any("CRM rollout" in repr(e) for e in world.log.rows)


async def test_a_superseded_evaluation_is_logged_when_the_background_drops_it(
    world: World,
) -> None:
    await ready(world)
    older = Evaluation(
        evaluation_id=f"old-{random.random()}",
        solution=B2B.ref,
        answers={},
        probability=Decimal(10),
        evaluated_at=world.clock.now(),
        evaluator="rep",
        writeback=WritebackOutcome(status=WritebackStatus.PENDING),
    )
    await world.container.writeback.remember_intent(KEY, older.evaluation_id)
    await world.evaluations.append(KEY, older)
    await evaluate(world, 0)  # newer, written at once
    world.after_grace()
    await world.container.writeback.process_queue()
    assert outcomes(world) == [LogOutcome.WRITTEN, LogOutcome.SUPERSEDED]


async def test_pages_filter_and_name_projects_for_admins_only(world: World) -> None:
    await ready(world)
    for level in (0, 1, 2):
        await evaluate(world, level)
    world.crm.fail_next["patch"] = CrmAccessDenied("403")
    await evaluate(world, 0)
    logs = world.container.log_service
    page = await logs.page(principal=ADMIN, org=ORG, filters=LogFilter(), limit=2)
    assert len(page.entries) == 2 and page.next_cursor is not None
    assert page.entries[0].project_name == "CRM rollout 2027"
    rest = await logs.page(principal=ADMIN, org=ORG, filters=LogFilter(), cursor=page.next_cursor)
    assert len(rest.entries) == 2 and rest.next_cursor is None
    errors = await logs.page(
        principal=ADMIN, org=ORG, filters=LogFilter(levels=frozenset({LogLevel.ERROR}))
    )
    assert [e.entry.outcome for e in errors.entries] == [LogOutcome.NO_PRIVILEGE]
    counts = await logs.counts(principal=ADMIN, org=ORG)
    assert counts[LogLevel.ERROR] == 1 and counts[LogLevel.INFO] == 3
    with pytest.raises(Forbidden):
        await logs.page(principal=rep(), org=ORG, filters=LogFilter())


async def test_retention_is_configurable_logged_and_enforced(world: World) -> None:
    await ready(world)
    await evaluate(world, 0)
    logs = world.container.log_service
    assert await logs.retention(principal=ADMIN, org=ORG) == 90
    with pytest.raises(InvalidInput):
        await logs.set_retention(principal=ADMIN, org=ORG, days=0)
    await logs.set_retention(principal=ADMIN, org=ORG, days=7)
    assert world.log.rows[0].outcome is LogOutcome.RETENTION_CHANGED
    world.pass_time(days=8)
    await evaluate(world, 1)
    removed = await logs.purge_expired([ORG])
    assert removed == {f"{CONTOSO}|contoso": 2}
    assert [e.outcome for e in world.log.rows] == [LogOutcome.WRITTEN]


async def test_retry_now_writes_as_the_rep_in_the_background(world: World) -> None:
    await ready(world)
    world.crm.fail_next["patch"] = CrmAccessDenied("403")
    await evaluate(world, 1)
    assert world.crm.opportunities[OPP].probability == 20
    logs = world.container.log_service
    assert await logs.retry_now(principal=ADMIN, org=ORG, opportunity_id=OPP) == "written"
    assert world.crm.opportunities[OPP].probability != 20
    assert outcomes(world)[-1] is LogOutcome.RETRIED
    assert "app" in world.identity.calls  # as the app, on behalf of the rep
    other = "0aa00000-0000-4000-8000-000000000099"
    with pytest.raises(NotFound):
        await logs.retry_now(principal=ADMIN, org=ORG, opportunity_id=other)


async def test_settings_changes_are_logged(world: World) -> None:
    await world.container.admin.save_settings(
        principal=ADMIN,
        org=ORG,
        target_field="closeprobability",
        closed_policy=ClosedPolicy.WRITE,
        etag=None,
    )
    item = world.log.rows[0]
    assert (item.event, item.outcome, item.user) == (
        LogEvent.SETTINGS,
        LogOutcome.SETTINGS_SAVED,
        "admin",
    )
    assert item.params["policy_after"] == "write"
