"""Write-back converges to the newest evaluation: crashes, races, retries and the background queue,
with in-memory stores behind the real services."""

from __future__ import annotations

import asyncio
import random
from decimal import Decimal

import pytest

from shared.domain.errors import CrmBusy, CrmConflict, StorageUnavailable
from shared.domain.evaluations import Evaluation, WritebackOutcome, WritebackStatus
from shared.domain.projects import ProjectKey
from shared.domain.solutions import builtin_solutions
from shared.services.writeback import BACKOFF_MAX, backoff
from tests.support.fakes import opportunity
from tests.support.world import CONTOSO, KEY, OPP, ORG, World, rep

B2B = next(s for s in builtin_solutions() if s.language == "en")


@pytest.fixture
def world() -> World:
    return World("ben", "chris", "eva")


def stored_evaluation(world: World, probability: str, *, evaluator: str = "rep") -> Evaluation:
    return Evaluation(
        evaluation_id=f"e-{probability}-{random.random()}",
        solution=B2B.ref,
        answers={},
        probability=Decimal(probability),
        evaluated_at=world.clock.now(),
        evaluator=evaluator,
        writeback=WritebackOutcome(status=WritebackStatus.PENDING),
    )


async def stored_with_intent(world: World, probability: str, *, evaluator: str = "rep"):
    """What evaluate() has done when a crash stops it just before the CRM write."""
    evaluation = stored_evaluation(world, probability, evaluator=evaluator)
    item = await world.container.writeback.remember_intent(KEY, evaluation.evaluation_id)
    return await world.evaluations.append(KEY, evaluation), item


def test_one_backoff_doubles_to_an_hour() -> None:
    assert [backoff(n).total_seconds() for n in range(4)] == [60, 120, 240, 480]
    assert backoff(50) == BACKOFF_MAX


async def test_a_crash_before_the_write_is_finished_by_the_timer_alone(world: World) -> None:
    await stored_with_intent(world, "42.0", evaluator="eva")
    assert await world.container.writeback.process_queue() == {
        "written": 0,
        "settled": 0,
        "dropped": 0,
        "retrying": 0,
        "errors": 0,
    }  # still within the grace: the request may be writing it right now
    world.after_grace()
    counts = await world.container.writeback.process_queue()
    assert counts["written"] == 1 and world.outbox.rows == {}
    assert world.crm.opportunities[OPP].probability == 42
    # As the app on behalf of the rep, so Dynamics applied the rep's own rights.
    assert "app" in world.identity.calls
    assert world.evaluations.rows[KEY][0].writeback.status is WritebackStatus.WRITTEN


async def test_the_background_writes_only_what_the_rep_may_write(world: World) -> None:
    await stored_with_intent(world, "42.0", evaluator="eva")
    world.crm.rights["eva"] = {OPP: frozenset({"ReadAccess"})}  # lost the right meanwhile
    world.after_grace()
    await world.container.writeback.process_queue()
    newest = world.evaluations.rows[KEY][0]
    assert (newest.writeback.status, newest.writeback.code) == (
        WritebackStatus.FAILED,
        "crm_access_denied",
    )
    assert world.crm.writes == [] and world.outbox.rows == {}


async def test_a_crash_between_intent_and_evaluation_leaves_nothing_behind(world: World) -> None:
    await world.container.writeback.remember_intent(KEY, "never-stored")
    world.after_grace()
    assert (await world.container.writeback.process_queue())["dropped"] == 1
    assert world.outbox.rows == {} and world.crm.writes == []


async def test_an_older_evaluation_never_overwrites_a_newer_one(world: World) -> None:
    older, older_item = await stored_with_intent(world, "30.0")
    newer, newer_item = await stored_with_intent(world, "70.0", evaluator="ben")
    service = world.container.writeback
    late = await service.deliver(
        principal=rep(), org=ORG, key=KEY, evaluation=older, item=older_item
    )
    assert late.writeback.status is WritebackStatus.SUPERSEDED and world.crm.writes == []
    done = await service.deliver(
        principal=rep("ben"), org=ORG, key=KEY, evaluation=newer, item=newer_item
    )
    assert done.writeback.status is WritebackStatus.WRITTEN
    assert world.crm.opportunities[OPP].probability == 70 and world.outbox.rows == {}


async def test_an_older_patch_landing_late_is_corrected_by_the_background(world: World) -> None:
    """The newer evaluation decided "unchanged" from a read made before the older PATCH landed."""
    world.crm.opportunities[OPP] = opportunity(OPP, probability=70)
    older, older_item = await stored_with_intent(world, "30.0")
    service = world.container.writeback
    real_latest = world.evaluations.latest
    newer: list[Evaluation] = []

    async def newer_arrives_after_the_check(key: ProjectKey, *, limit: int = 20):
        rows = await real_latest(key, limit=limit)
        if not newer:  # the older writer's "still newest?" check passes, then the newer arrives
            item = await service.remember_intent(KEY, "newer")
            stored = await world.evaluations.append(
                KEY,
                Evaluation(
                    **{**stored_evaluation(world, "70.0").__dict__, "evaluation_id": "newer"}
                ),
            )
            newer.append(stored)
            world.evaluations.latest = real_latest  # type: ignore[method-assign]
            unchanged = await service.deliver(
                principal=rep("ben"), org=ORG, key=KEY, evaluation=stored, item=item
            )
            assert unchanged.writeback.status is WritebackStatus.UNCHANGED
        return rows

    world.evaluations.latest = newer_arrives_after_the_check  # type: ignore[method-assign]
    written = await service.deliver(
        principal=rep(), org=ORG, key=KEY, evaluation=older, item=older_item
    )
    assert written.writeback.status is WritebackStatus.WRITTEN
    assert world.crm.opportunities[OPP].probability == 30  # the older value landed last...
    assert len(world.outbox.rows) == 1  # ...and its writer queued a check of the newer one
    await world.drain()
    assert world.crm.opportunities[OPP].probability == 70
    assert world.evaluations.rows[KEY][0].writeback.status is WritebackStatus.WRITTEN


async def test_throttling_is_retried_with_backoff_and_the_outcome_replaced(world: World) -> None:
    _, _ = await stored_with_intent(world, "42.0")
    world.after_grace()
    for attempt in range(5):
        world.crm.fail_next["patch"] = CrmBusy("429")
        await world.container.writeback.process_queue()
        item = next(iter(world.outbox.rows.values()))
        assert item.attempts == attempt + 1
        assert item.next_attempt_at == world.clock.now() + backoff(attempt)
        world.clock.current = item.next_attempt_at
    newest = world.evaluations.rows[KEY][0].writeback
    assert (newest.status, newest.code) == (WritebackStatus.RETRYING, "crm_busy")
    await world.container.writeback.process_queue()
    newest = world.evaluations.rows[KEY][0].writeback
    assert (newest.status, newest.code) == (WritebackStatus.WRITTEN, None)  # no stale code


async def test_one_broken_item_does_not_stop_the_queue(world: World) -> None:
    other = ProjectKey(
        tenant_id=CONTOSO, org="contoso", opportunity_id="0aa00000-0000-4000-8000-000000000002"
    )
    await stored_with_intent(world, "42.0")
    evaluation = stored_evaluation(world, "55.0")
    await world.container.writeback.remember_intent(other, evaluation.evaluation_id)
    await world.evaluations.append(other, evaluation)
    real_latest = world.evaluations.latest

    async def storage_down_for_one(key: ProjectKey, *, limit: int = 20):
        if key == other:
            raise StorageUnavailable("down")
        return await real_latest(key, limit=limit)

    world.evaluations.latest = storage_down_for_one  # type: ignore[method-assign]
    world.after_grace()
    counts = await world.container.writeback.process_queue()
    assert counts["written"] == 1 and counts["errors"] == 1
    assert len(world.outbox.rows) == 1  # the broken one stays due for the next run


async def test_storm_of_concurrent_evaluations_converges_to_the_newest(world: World) -> None:
    """20 projects, 4 writers, double clicks, random conflicts and throttling: afterwards every
    CRM field holds its project's newest evaluation, nothing lost, nothing final that could heal."""
    rng = random.Random(7)
    opps = [f"0bb00000-0000-4000-8000-{n:012d}" for n in range(20)]
    for opp in opps:
        world.crm.opportunities[opp] = opportunity(opp, probability=0)
    real_get, real_patch = world.crm.get_opportunity, world.crm.write_number

    async def jittery_get(**kwargs):
        await asyncio.sleep(rng.random() / 1000)
        return await real_get(**kwargs)

    async def jittery_patch(**kwargs):
        await asyncio.sleep(rng.random() / 1000)
        if rng.random() < 0.1:
            raise CrmBusy("429")
        if rng.random() < 0.1:
            raise CrmConflict("412")
        return await real_patch(**kwargs)

    world.crm.get_opportunity = jittery_get  # type: ignore[method-assign]
    world.crm.write_number = jittery_patch  # type: ignore[method-assign]
    q, projects = world.container.qualification, world.container.projects_service
    writers = ["rep", "ben", "chris", "eva"]
    for opp in opps:
        await projects.launch(principal=rep(), org=ORG, opportunity_id=opp)
        await q.assign_solution(principal=rep(), org=ORG, opportunity_id=opp, solution_id=B2B.id)

    def answers() -> dict[str, str]:
        return {c.id: rng.choice(c.options).id for c in B2B.criteria}

    jobs = [(writers[i % 4], opps[i % 20]) for i in range(190)] + [("rep", opps[0])] * 10
    rng.shuffle(jobs)
    results = await asyncio.gather(
        *(
            q.evaluate(principal=rep(user), org=ORG, opportunity_id=opp, answers=answers())
            for user, opp in jobs
        )
    )
    assert len(results) == 200
    await world.drain()
    for opp in opps:
        key = ProjectKey(tenant_id=CONTOSO, org="contoso", opportunity_id=opp)
        history = world.evaluations.rows[key]
        assert sorted(e.seq for e in history) == list(range(1, len(history) + 1))
        newest = history[0]
        expected = int(newest.probability.quantize(Decimal(1), rounding="ROUND_HALF_UP"))
        assert world.crm.opportunities[opp].probability == expected, opp
        assert newest.writeback.status in (WritebackStatus.WRITTEN, WritebackStatus.UNCHANGED)
    assert sum(len(v) for v in world.evaluations.rows.values()) == 200
