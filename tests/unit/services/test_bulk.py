"""Bulk re-write with in-memory stores and a fake CRM: request counts, the write-back rules per
record, refused records found by halving, interruption and resumption (10,000 records against the
Dataverse simulator: tests/integration/test_admin_bulk.py)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from shared.domain.admin_log import LogOutcome
from shared.domain.bulk import BulkStatus
from shared.domain.crm import OpportunityState
from shared.domain.errors import Conflict, CrmAccessDenied, CrmBusy, NotFound
from shared.domain.evaluations import Evaluation, WritebackOutcome, WritebackStatus
from shared.domain.org_settings import OrgSettings
from shared.domain.projects import ProjectKey
from shared.domain.solutions import builtin_solutions
from shared.domain.writeback import ClosedPolicy
from tests.support.fakes import FakeCrm, field_info, opportunity
from tests.support.world import CONTOSO, ORG, World, rep

B2B = next(s for s in builtin_solutions() if s.language == "en")
ADMIN = rep("admin", "Cockpit.Admin")
FIELD = "cockpit_score"


def opp_id(n: int) -> str:
    return f"0bb00000-0000-4000-8000-{n:012d}"


def seed(world: World, count: int) -> list[str]:
    """``count`` opportunities with a project and an evaluation of (n % 100) + 0.5 %."""
    world.crm.fields[FIELD] = field_info(FIELD, display_name="Cockpit score")
    world.settings.rows[(CONTOSO, "contoso")] = OrgSettings(
        tenant_id=CONTOSO, org="contoso", target_field=FIELD, etag="e"
    )
    ids = []
    for n in range(count):
        oid = opp_id(n)
        ids.append(oid)
        world.crm.opportunities[oid] = opportunity(oid)
        key = ProjectKey(tenant_id=CONTOSO, org="contoso", opportunity_id=oid)
        world.evaluations.rows[key] = [
            Evaluation(
                evaluation_id=uuid.uuid4().hex,
                solution=B2B.ref,
                answers={},
                probability=Decimal(n % 100) + Decimal("0.5"),
                evaluated_at=world.clock.now(),
                evaluator="rep",
                writeback=WritebackOutcome(status=WritebackStatus.WRITTEN),
                seq=1,
            )
        ]
    return ids


def bulk_calls(crm: FakeCrm) -> dict[str, int]:
    counts: dict[str, int] = {}
    for op, _ in crm.calls:
        counts[op] = counts.get(op, 0) + 1
    return counts


@pytest.fixture
def world() -> World:
    return World()


async def test_2500_projects_take_three_updates_and_one_page(world: World) -> None:
    ids = seed(world, 2500)
    bulk = world.container.bulk
    job = await bulk.start(principal=ADMIN, org=ORG)
    assert (job.total, job.status, job.column) == (2500, BulkStatus.RUNNING, FIELD)
    world.crm.calls.clear()
    done = await bulk.run(principal=ADMIN, org=ORG)
    assert done.status is BulkStatus.FINISHED and done.counts["written"] == 2500
    calls = bulk_calls(world.crm)
    assert (calls["update_many"], calls["page"]) == (3, 1)
    assert calls.get("patch", 0) == 0
    # Rounded for the column like every write-back (Integer: half up).
    assert world.crm.opportunities[ids[7]].extra_values[FIELD] == Decimal(8)
    outcomes = [e.outcome for e in reversed(world.log.rows)]
    assert outcomes == [LogOutcome.BULK_STARTED] + [LogOutcome.BULK_BATCH] * 3 + [
        LogOutcome.BULK_FINISHED
    ]
    with pytest.raises(NotFound):
        await bulk.run(principal=ADMIN, org=ORG)


async def test_closed_unchanged_and_invisible_records_are_not_written(world: World) -> None:
    ids = seed(world, 6)
    crm = world.crm
    crm.opportunities[ids[0]] = opportunity(ids[0], state=OpportunityState.LOST)
    crm.opportunities[ids[1]] = opportunity(ids[1], extra_values={FIELD: Decimal(2)})  # 1.5 → 2
    crm.rights["admin"] = {i: frozenset({"ReadAccess", "WriteAccess"}) for i in ids[:5]}
    bulk = world.container.bulk
    await bulk.start(principal=ADMIN, org=ORG)
    done = await bulk.run(principal=ADMIN, org=ORG)
    assert dict(done.counts) == {
        "written": 3,
        "unchanged": 1,
        "skipped_closed": 1,
        "not_visible": 1,
        "failed": 0,
    }
    # With the "write" policy a closed opportunity is written too.
    world.settings.rows[(CONTOSO, "contoso")] = OrgSettings(
        tenant_id=CONTOSO,
        org="contoso",
        target_field=FIELD,
        closed_policy=ClosedPolicy.WRITE,
        etag="e2",
    )
    await bulk.start(principal=ADMIN, org=ORG)
    again = await bulk.run(principal=ADMIN, org=ORG)
    assert again.counts["written"] == 1 and again.counts["unchanged"] == 4


async def test_a_refused_record_is_found_by_halving_and_the_rest_is_written(
    world: World,
) -> None:
    ids = seed(world, 16)
    crm = world.crm
    refused = ids[11]
    original = crm.update_many

    async def update_many(*, org, updates, caller):
        if any(u.opportunity_id == refused for u in updates):
            crm.calls.append(("update_many", "refused"))
            raise CrmAccessDenied("0x80048306")
        await original(org=org, updates=updates, caller=caller)

    crm.update_many = update_many  # type: ignore[method-assign]
    bulk = world.container.bulk
    await bulk.start(principal=ADMIN, org=ORG)
    crm.calls.clear()
    done = await bulk.run(principal=ADMIN, org=ORG)
    assert (done.counts["written"], done.counts["failed"]) == (15, 1)
    # 16 → 8 → 4 → 2 → 1: one refused request per halving, plus the halves that went through.
    assert bulk_calls(crm)["update_many"] == 1 + 2 * 4
    failed = [e for e in world.log.rows if e.outcome is LogOutcome.BULK_RECORD_FAILED]
    assert [(e.opportunity_id, e.code) for e in failed] == [(refused, "crm_access_denied")]


async def test_interrupted_by_throttling_then_resumed_without_writing_twice(
    world: World,
) -> None:
    seed(world, 3000)
    crm = world.crm
    bulk = world.container.bulk
    await bulk.start(principal=ADMIN, org=ORG)
    partial = await bulk.run(principal=ADMIN, org=ORG, max_batches=1)
    assert (partial.status, partial.counts["written"], partial.cursor) == (
        BulkStatus.RUNNING,
        1000,
        opp_id(999),
    )
    crm.fail_next["update_many"] = CrmBusy("429 past the Retry-After waits", retry_after=30)
    stopped = await bulk.run(principal=ADMIN, org=ORG)
    assert (stopped.status, stopped.error, stopped.counts["written"]) == (
        BulkStatus.INTERRUPTED,
        "crm_busy",
        1000,
    )
    assert world.log.rows[0].outcome is LogOutcome.BULK_INTERRUPTED
    crm.writes.clear()
    crm.calls.clear()
    done = await bulk.run(principal=ADMIN, org=ORG)
    assert done.status is BulkStatus.FINISHED and done.counts["written"] == 3000
    assert len(crm.writes) == 2000 == len({w[0] for w in crm.writes})  # nothing twice
    assert bulk_calls(crm)["update_many"] == 2


async def test_a_second_start_waits_for_the_running_job(world: World) -> None:
    seed(world, 3)
    bulk = world.container.bulk
    await bulk.start(principal=ADMIN, org=ORG)
    with pytest.raises(Conflict) as info:
        await bulk.start(principal=ADMIN, org=ORG)
    assert info.value.code == "bulk_running"


async def test_a_job_for_a_column_that_is_no_longer_the_target_is_replaced(world: World) -> None:
    seed(world, 3)
    bulk = world.container.bulk
    await bulk.start(principal=ADMIN, org=ORG)
    world.crm.fields["cockpit_other"] = field_info("cockpit_other")
    world.settings.rows[(CONTOSO, "contoso")] = OrgSettings(
        tenant_id=CONTOSO, org="contoso", target_field="cockpit_other", etag="e3"
    )
    with pytest.raises(Conflict) as info:
        await bulk.run(principal=ADMIN, org=ORG)
    assert info.value.code == "bulk_column_changed"
    replaced = await bulk.start(principal=ADMIN, org=ORG)
    assert replaced.column == "cockpit_other"
    assert (await bulk.run(principal=ADMIN, org=ORG)).counts["written"] == 3
