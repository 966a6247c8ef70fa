"""Model quality from closed deals read page by page (against the simulators:
tests/integration/test_admin_quality.py)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest

from shared.domain.crm import OpportunityState
from shared.domain.errors import Forbidden
from shared.domain.evaluations import Evaluation, WritebackOutcome, WritebackStatus
from shared.domain.projects import ProjectKey
from shared.domain.solutions import builtin_solutions
from tests.support.fakes import field_info, opportunity
from tests.support.world import CONTOSO, ORG, World, rep

B2B = next(s for s in builtin_solutions() if s.language == "en")
ADMIN = rep("admin", "Cockpit.Admin")


def opp_id(n: int) -> str:
    return f"0cc00000-0000-4000-8000-{n:012d}"


def history(world: World, n: int, *items: tuple[str, str, int]) -> None:
    """Evaluations (probability, budget answer, days after the start), oldest first."""
    key = ProjectKey(tenant_id=CONTOSO, org="contoso", opportunity_id=opp_id(n))
    rows: list[Evaluation] = []
    for seq, (p, budget, day) in enumerate(items, start=1):
        rows.insert(
            0,
            Evaluation(
                evaluation_id=uuid.uuid4().hex,
                solution=B2B.ref,
                answers={"budget": budget},
                probability=Decimal(p),
                evaluated_at=world.clock.now() + timedelta(days=day),
                evaluator="rep",
                writeback=WritebackOutcome(status=WritebackStatus.WRITTEN),
                seq=seq,
            ),
        )
    world.evaluations.rows[key] = rows


@pytest.fixture
def world() -> World:
    w = World()
    w.crm.fields["actualclosedate"] = field_info("actualclosedate", attribute_type="DateTime")
    start = w.clock.now().date()
    for n, (state, closed_day) in enumerate(
        [(OpportunityState.WON, 10), (OpportunityState.LOST, 10), (OpportunityState.OPEN, None)]
    ):
        w.crm.opportunities[opp_id(n)] = opportunity(opp_id(n), state=state)
        if closed_day is not None:
            w.crm_admin.close_dates[opp_id(n)] = start + timedelta(days=closed_day)
    history(w, 0, ("40", "planned", 1), ("80", "approved", 5), ("10", "none", 20))
    history(w, 1, ("30", "none", 2))
    history(w, 2, ("55", "approved", 2))  # still open: not counted
    return w


async def test_the_last_evaluation_before_closing_counts(world: World) -> None:
    world.crm_admin.page_size = 1
    overview = await world.container.model_quality.overview(principal=ADMIN, org=ORG)
    assert overview.close_dates_known and overview.closed_deals == 2
    report = overview.versions[0].report
    # Won at 80 % (the evaluation after closing is ignored), lost at 30 %:
    # ((0.8 - 1)² + (0.3 - 0)²) / 2 = (0.04 + 0.09) / 2 = 0.065
    assert report.brier == Decimal("0.065")
    assert world.crm_admin.pages_read == 2  # one request per page, closed deals only


async def test_without_close_dates_the_newest_evaluation_counts(world: World) -> None:
    del world.crm.fields["actualclosedate"]
    overview = await world.container.model_quality.overview(principal=ADMIN, org=ORG)
    assert not overview.close_dates_known
    # Won at 10 % now: ((0.1 - 1)² + 0.3²) / 2 = (0.81 + 0.09) / 2 = 0.45
    assert overview.versions[0].report.brier == Decimal("0.45")


async def test_deals_evaluated_only_after_closing_are_counted_apart(world: World) -> None:
    world.crm_admin.close_dates[opp_id(1)] = date(2000, 1, 1)
    overview = await world.container.model_quality.overview(principal=ADMIN, org=ORG)
    assert (overview.closed_deals, overview.after_close_only) == (1, 1)


async def test_dynamics_decides_which_deals_the_admin_may_count(world: World) -> None:
    world.crm.rights["admin"] = {opp_id(0): frozenset({"ReadAccess"})}
    overview = await world.container.model_quality.overview(principal=ADMIN, org=ORG)
    assert overview.closed_deals == 1
    with pytest.raises(Forbidden):
        await world.container.model_quality.overview(principal=rep(), org=ORG)
