"""Solutions and evaluating, with in-memory stores behind the real services (the same journey over
real HTTP is in tests/integration/test_journey.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shared.domain.crm import OpportunityState
from shared.domain.errors import (
    Conflict,
    CrmAccessDenied,
    CrmBusy,
    CrmConflict,
    CrmFieldSecured,
    CrmRecordNotFound,
    CrmUnavailable,
    Forbidden,
    IdentityUnavailable,
    InvalidInput,
    NoAccess,
    NotFound,
    ReadOnlyAccess,
    ReauthRequired,
    StateConflict,
)
from shared.domain.evaluations import WritebackStatus
from shared.domain.solutions import builtin_solutions, parse_solution
from shared.domain.writeback import ClosedPolicy
from tests.support.fakes import field_info, opportunity
from tests.support.world import KEY, OPP, ORG, World, rep

B2B = next(s for s in builtin_solutions() if s.language == "en")
GERMAN = next(s for s in builtin_solutions() if s.language == "de")
READ = frozenset({"ReadAccess"})


@pytest.fixture
def world() -> World:
    return World("chris", "dana", "ben")


def best_answers() -> dict[str, str]:
    answers = {}
    for criterion in B2B.criteria:
        best = max((o for o in criterion.options if o.knockout_cap is None), key=lambda o: o.score)
        answers[criterion.id] = best.id
    return answers


async def with_solution(world: World) -> None:
    await world.container.projects_service.launch(principal=rep(), org=ORG, opportunity_id=OPP)
    await world.container.qualification.assign_solution(
        principal=rep(), org=ORG, opportunity_id=OPP, solution_id=B2B.id
    )


async def evaluate(world: World, user: str = "rep", answers: dict[str, str] | None = None):
    return await world.container.qualification.evaluate(
        principal=rep(user), org=ORG, opportunity_id=OPP, answers=answers or best_answers()
    )


async def test_solution_is_chosen_once_then_only_admins_who_may_write_reassign(
    world: World,
) -> None:
    q = world.container.qualification
    await world.container.projects_service.launch(principal=rep(), org=ORG, opportunity_id=OPP)
    await q.assign_solution(principal=rep(), org=ORG, opportunity_id=OPP, solution_id=B2B.id)
    with pytest.raises(Forbidden) as info:
        await q.assign_solution(principal=rep(), org=ORG, opportunity_id=OPP, solution_id=GERMAN.id)
    assert info.value.code == "admin_only"
    ben = rep("ben", "Cockpit.Admin")
    project = await q.assign_solution(
        principal=ben, org=ORG, opportunity_id=OPP, solution_id=GERMAN.id
    )
    assert project.solution == GERMAN.ref
    with pytest.raises(NotFound):
        await q.assign_solution(principal=ben, org=ORG, opportunity_id=OPP, solution_id="nope")
    world.crm.rights["ben"] = {OPP: READ}  # the admin role does not replace Dynamics' rights
    world.pass_time(seconds=61)
    with pytest.raises(ReadOnlyAccess):
        await q.assign_solution(principal=ben, org=ORG, opportunity_id=OPP, solution_id=B2B.id)


async def test_evaluate_scores_stores_and_writes_back(world: World) -> None:
    await with_solution(world)
    result = await evaluate(world)
    assert result.score.probability == Decimal("100.0")
    assert result.evaluation.writeback.status is WritebackStatus.WRITTEN
    assert world.crm.writes == [(OPP, "closeprobability", 100)]
    stored = world.evaluations.rows[KEY][0]
    assert stored.writeback.status is WritebackStatus.WRITTEN and stored.seq == 1
    assert world.outbox.rows == {}  # the intent was settled


async def test_evaluating_costs_the_write_check_one_get_and_one_patch(world: World) -> None:
    await with_solution(world)  # the solution choice asked for write access seconds ago
    world.crm.calls.clear()
    await evaluate(world)
    assert [c[0] for c in world.crm.calls] == ["field", "get", "patch"]
    world.pass_time(seconds=61)
    world.crm.calls.clear()
    await evaluate(world, answers={B2B.criteria[0].id: B2B.criteria[0].options[0].id})
    assert [c[0] for c in world.crm.calls] == ["my_access", "field", "get", "patch"]


@pytest.mark.parametrize("user", ["chris", "dana"])
async def test_users_dynamics_does_not_let_write_change_nothing(world: World, user: str) -> None:
    await with_solution(world)
    await evaluate(world)
    world.crm.rights[user] = {OPP: READ} if user == "chris" else {}
    q = world.container.qualification
    expected = ReadOnlyAccess if user == "chris" else NoAccess
    writes_before = list(world.crm.writes)
    with pytest.raises(expected):
        await evaluate(world, user, answers={B2B.criteria[0].id: B2B.criteria[0].options[0].id})
    with pytest.raises(expected):
        await q.write_again(principal=rep(user), org=ORG, opportunity_id=OPP)
    with pytest.raises(expected):
        await q.assign_solution(
            principal=rep(user, "Cockpit.Admin"), org=ORG, opportunity_id=OPP, solution_id=GERMAN.id
        )
    assert len(world.evaluations.rows[KEY]) == 1 and world.crm.writes == writes_before
    assert world.outbox.rows == {}


async def test_unchanged_value_is_not_written_again(world: World) -> None:
    await with_solution(world)
    await evaluate(world)
    result = await evaluate(world)
    assert result.evaluation.writeback.status is WritebackStatus.UNCHANGED
    assert len(world.crm.writes) == 1 and result.previous == Decimal("100.0")
    assert [e.seq for e in world.evaluations.rows[KEY]] == [2, 1]


async def test_invalid_answers_write_nothing_anywhere(world: World) -> None:
    await with_solution(world)
    for answers in ({"nope": "x"}, {B2B.criteria[0].id: "nope"}):
        # Well-formed, but not the project's solution: a conflict with what is stored (409).
        with pytest.raises(StateConflict) as info:
            await evaluate(world, answers=answers)
        assert info.value.code == "invalid_answer"
    assert world.evaluations.rows == {} and world.crm.writes == [] and world.outbox.rows == {}


async def test_evaluate_needs_a_solution_and_the_current_version(world: World) -> None:
    await world.container.projects_service.launch(principal=rep(), org=ORG, opportunity_id=OPP)
    q = world.container.qualification
    with pytest.raises(StateConflict) as info:
        await q.evaluate(principal=rep(), org=ORG, opportunity_id=OPP, answers={})
    assert info.value.code == "no_solution"
    await q.assign_solution(principal=rep(), org=ORG, opportunity_id=OPP, solution_id=B2B.id)
    with pytest.raises(Conflict):
        await q.evaluate(
            principal=rep(), org=ORG, opportunity_id=OPP, answers={}, solution_version=2
        )


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (CrmFieldSecured("secured"), "crm_field_secured"),
        (CrmAccessDenied("no privilege"), "crm_access_denied"),
        (CrmRecordNotFound("deleted"), "crm_not_found"),
    ],
)
async def test_what_a_retry_cannot_fix_is_recorded_with_its_reason(
    world: World, error: Exception, code: str
) -> None:
    await with_solution(world)
    world.crm.fail_next["patch"] = error
    result = await evaluate(world)
    outcome = result.evaluation.writeback
    assert (outcome.status, outcome.code) == (WritebackStatus.FAILED, code)
    assert world.outbox.rows == {}  # nothing for the background: a retry cannot help
    retried = await world.container.qualification.write_again(
        principal=rep(), org=ORG, opportunity_id=OPP
    )
    assert retried.writeback.status is WritebackStatus.WRITTEN  # once the cause is gone


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (CrmBusy("429", retry_after=5), "crm_busy"),
        (CrmUnavailable("reset", code="crm_unreachable"), "crm_unreachable"),
        (ReauthRequired("silent failed"), "reauth_required"),
        (IdentityUnavailable("entra down"), "identity_unavailable"),
    ],
)
async def test_what_a_retry_can_fix_goes_to_the_background_never_final(
    world: World, error: Exception, code: str
) -> None:
    await with_solution(world)
    world.crm.fail_next["patch"] = error
    result = await evaluate(world)
    outcome = result.evaluation.writeback
    assert (outcome.status, outcome.code) == (WritebackStatus.RETRYING, code)
    assert len(world.outbox.rows) == 1
    await world.drain()
    newest = world.evaluations.rows[KEY][0]
    assert newest.writeback.status is WritebackStatus.WRITTEN and newest.writeback.code is None
    assert world.crm.opportunities[OPP].probability == 100


async def test_conflicts_are_read_again_then_queued(world: World) -> None:
    await with_solution(world)
    world.crm.fail_next["patch"] = CrmConflict("412")
    result = await evaluate(world)
    assert result.evaluation.writeback.status is WritebackStatus.WRITTEN
    assert [c[0] for c in world.crm.calls[-4:]] == ["get", "patch", "get", "patch"]


async def test_closed_opportunity_follows_the_policy(world: World) -> None:
    await with_solution(world)
    world.crm.opportunities[OPP] = opportunity(OPP, state=OpportunityState.WON, probability=100)
    one_answer = {B2B.criteria[0].id: B2B.criteria[0].options[0].id}
    result = await evaluate(world, answers=one_answer)
    assert result.evaluation.writeback.status is WritebackStatus.SKIPPED_CLOSED
    assert world.crm.writes == [] and world.outbox.rows == {}
    settings = await world.settings.get(tenant_id=ORG.tenant_id, org="contoso")
    await world.settings.save(
        settings.changed(
            target_field="closeprobability",
            closed_policy=ClosedPolicy.WRITE,
            by="admin",
            at=world.clock.now(),
        )
    )
    result = await evaluate(world, answers=one_answer)
    assert result.evaluation.writeback.status is WritebackStatus.WRITTEN


async def test_type_aware_write_to_an_admin_chosen_decimal_field(world: World) -> None:
    await with_solution(world)
    world.crm.fields["cockpit_winprobability"] = field_info(
        "cockpit_winprobability", attribute_type="Decimal", precision=2, is_custom=True
    )
    await world.container.admin.save_settings(
        principal=rep("admin", "Cockpit.Admin"),
        org=ORG,
        target_field="cockpit_winprobability",
        closed_policy=ClosedPolicy.SKIP,
        etag=None,
    )
    result = await evaluate(world, answers={c.id: c.options[1].id for c in B2B.criteria})
    assert result.evaluation.writeback.status is WritebackStatus.WRITTEN
    field, value = world.crm.writes[-1][1:]
    assert field == "cockpit_winprobability" and isinstance(value, Decimal)
    assert value == result.score.probability.quantize(Decimal("0.01"))


async def test_published_versions_only_go_up_and_fit_storage(world: World) -> None:
    admin = rep("admin", "Cockpit.Admin")
    q = world.container.qualification
    data = B2B.model_dump(mode="json")
    with pytest.raises(Conflict) as info:
        await q.publish_solution(principal=admin, solution=parse_solution(data))
    assert info.value.code == "version_not_newer"
    data["version"] = B2B.version + 1
    data["name"] = "B2B (adapted)"
    await q.publish_solution(principal=admin, solution=parse_solution(data))
    available = {s.id: s for s in await q.available_solutions(principal=admin)}
    assert available[B2B.id].version == B2B.version + 1
    data["version"] = 2**31  # Azure Tables keeps Int32
    with pytest.raises(InvalidInput):
        parse_solution(data)
