"""The journey's rules with in-memory fakes (the same journey over real HTTP is in
tests/integration/test_journey.py)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import pytest

from shared.domain.crm import OpportunityState
from shared.domain.errors import (
    ConfigurationInvalid,
    Conflict,
    CrmAccessDenied,
    CrmBusy,
    CrmConflict,
    CrmFieldSecured,
    CrmRecordNotFound,
    Forbidden,
    InvalidInput,
    NotFound,
    ReauthRequired,
)
from shared.domain.evaluations import WritebackStatus
from shared.domain.identity import LoginResult, Principal
from shared.domain.orgs import CrmOrg
from shared.domain.solutions import builtin_solutions, parse_solution
from shared.domain.writeback import ClosedPolicy
from shared.services.auth import AuthConfig, AuthService
from shared.services.cockpit import CockpitService
from tests.support.fakes import (
    FakeCaches,
    FakeClock,
    FakeCrm,
    FakeEvaluations,
    FakeFlows,
    FakeIdentity,
    FakeOrgSettings,
    FakeProjects,
    FakeSessions,
    FakeSolutions,
    field_info,
    opportunity,
)

CONTOSO = "c0a7b2e1-5d4f-4c8a-9e21-3b6f0d9a1c01"
ORG = CrmOrg(tenant_id=CONTOSO, name="contoso", url="https://contoso.crm4.dynamics.com")
OPP = "0aa00000-0000-4000-8000-000000000001"
REP = Principal(kind="session", tenant_id=CONTOSO, object_id="rep", home_account_id="rep.t")
B2B = next(s for s in builtin_solutions() if s.language == "en")


class World:
    def __init__(self) -> None:
        self.clock = FakeClock()
        self.crm = FakeCrm()
        self.crm.opportunities[OPP] = opportunity(OPP)
        self.projects = FakeProjects()
        self.evaluations = FakeEvaluations()
        self.settings = FakeOrgSettings()
        self.solutions = FakeSolutions()
        self.identity = FakeIdentity(
            login=LoginResult(
                tenant_id=CONTOSO,
                object_id="rep",
                roles=frozenset(),
                home_account_id="rep.t",
                cache="{}",
            )
        )
        caches = FakeCaches()
        caches.rows[(CONTOSO, "rep")] = ("{}", "e1")
        caches.rows[(CONTOSO, "admin")] = ("{}", "e2")
        self.auth = AuthService(
            identity=self.identity,
            sessions=FakeSessions(),
            flows=FakeFlows(),
            caches=caches,
            clock=self.clock,
            config=AuthConfig(
                redirect_uri="https://x/auth/callback",
                login_scopes=(ORG.user_scope,),
                allowed_tenants=frozenset({CONTOSO}),
                session_idle=timedelta(hours=1),
                session_absolute=timedelta(hours=12),
            ),
        )
        self.service = CockpitService(
            orgs=[ORG],
            projects=self.projects,
            evaluations=self.evaluations,
            solutions=self.solutions,
            org_settings=self.settings,
            crm=self.crm,
            auth=self.auth,
            clock=self.clock,
        )

    async def project_with_solution(self) -> None:
        await self.service.launch(principal=REP, org=ORG, opportunity_id=OPP)
        await self.service.assign_solution(
            principal=REP, org=ORG, opportunity_id=OPP, solution_id=B2B.id, is_admin=False
        )


def best_answers() -> dict[str, str]:
    answers = {}
    for criterion in B2B.criteria:
        best = max((o for o in criterion.options if o.knockout_cap is None), key=lambda o: o.score)
        answers[criterion.id] = best.id
    return answers


@pytest.fixture
def world() -> World:
    return World()


async def test_first_launch_reads_crm_and_creates_the_project_named_after_it(world: World) -> None:
    project = await world.service.launch(principal=REP, org=ORG, opportunity_id=OPP)
    assert project.name == "CRM rollout 2027" and project.created_by == "rep"
    assert world.crm.calls == [("get", OPP)]


async def test_later_launches_make_no_crm_call_and_one_storage_read(world: World) -> None:
    first = await world.service.launch(principal=REP, org=ORG, opportunity_id=OPP)
    world.crm.calls.clear()
    world.projects.ops = 0
    again = await world.service.launch(principal=REP, org=ORG, opportunity_id=OPP)
    assert again.project_id == first.project_id
    assert world.crm.calls == [] and world.projects.ops == 1
    assert world.identity.calls.count("silent") == 1  # only the first launch needed a CRM token


async def test_concurrent_first_launches_make_one_project(world: World) -> None:
    projects = await asyncio.gather(
        *(world.service.launch(principal=REP, org=ORG, opportunity_id=OPP) for _ in range(10))
    )
    assert len({p.project_id for p in projects}) == 1 and len(world.projects.rows) == 1


async def test_launch_of_an_unreadable_or_deleted_opportunity_creates_nothing(world: World) -> None:
    world.crm.fail_next["get"] = CrmAccessDenied("0x80040220")
    with pytest.raises(CrmAccessDenied):
        await world.service.launch(principal=REP, org=ORG, opportunity_id=OPP)
    with pytest.raises(CrmRecordNotFound):
        await world.service.launch(
            principal=REP, org=ORG, opportunity_id="0aa00000-0000-4000-8000-0000000000ff"
        )
    assert world.projects.rows == {}


def test_orgname_selects_only_among_the_tenants_configured_orgs(world: World) -> None:
    assert world.service.org_for(REP, "CONTOSO") == ORG
    assert world.service.org_for(REP, None) == ORG  # the tenant has exactly one
    with pytest.raises(Forbidden):
        world.service.org_for(REP, "fabrikam")
    other = Principal(
        kind="session", tenant_id="fab0c3d2-7e6a-4b1f-8c3d-2a9e5f7b4d02", object_id="x"
    )
    with pytest.raises(Forbidden):
        world.service.org_for(other, "contoso")


async def test_solution_is_chosen_once_then_only_admins_reassign(world: World) -> None:
    await world.service.launch(principal=REP, org=ORG, opportunity_id=OPP)
    view = await world.service.view(principal=REP, org=ORG, opportunity_id=OPP)
    assert view.solution is None and {s.id for s in view.choices} >= {B2B.id}
    await world.service.assign_solution(
        principal=REP, org=ORG, opportunity_id=OPP, solution_id=B2B.id, is_admin=False
    )
    german = next(s for s in builtin_solutions() if s.language == "de")
    with pytest.raises(Forbidden):
        await world.service.assign_solution(
            principal=REP, org=ORG, opportunity_id=OPP, solution_id=german.id, is_admin=False
        )
    project = await world.service.assign_solution(
        principal=REP, org=ORG, opportunity_id=OPP, solution_id=german.id, is_admin=True
    )
    assert project.solution == german.ref
    with pytest.raises(NotFound):
        await world.service.assign_solution(
            principal=REP, org=ORG, opportunity_id=OPP, solution_id="nope", is_admin=True
        )


async def test_evaluate_scores_stores_and_writes_back(world: World) -> None:
    await world.project_with_solution()
    result = await world.service.evaluate(
        principal=REP, org=ORG, opportunity_id=OPP, answers=best_answers()
    )
    assert result.score.probability == Decimal("100.0")
    assert result.evaluation.writeback.status is WritebackStatus.WRITTEN
    assert world.crm.writes == [(OPP, "closeprobability", 100)]
    stored = world.evaluations.rows[next(iter(world.evaluations.rows))][0]
    assert stored.writeback.status is WritebackStatus.WRITTEN and stored.solution == B2B.ref


async def test_a_write_is_one_get_and_one_patch_when_metadata_is_warm(world: World) -> None:
    await world.project_with_solution()
    world.crm.calls.clear()
    await world.service.evaluate(principal=REP, org=ORG, opportunity_id=OPP, answers=best_answers())
    assert [c for c in world.crm.calls if c[0] in ("get", "patch")] == [
        ("get", OPP),
        ("patch", OPP),
    ]


async def test_unchanged_value_is_not_written_again(world: World) -> None:
    await world.project_with_solution()
    await world.service.evaluate(principal=REP, org=ORG, opportunity_id=OPP, answers=best_answers())
    result = await world.service.evaluate(
        principal=REP, org=ORG, opportunity_id=OPP, answers=best_answers()
    )
    assert result.evaluation.writeback.status is WritebackStatus.UNCHANGED
    assert len(world.crm.writes) == 1
    assert result.previous == Decimal("100.0")


async def test_invalid_answers_write_nothing_anywhere(world: World) -> None:
    await world.project_with_solution()
    with pytest.raises(InvalidInput):
        await world.service.evaluate(
            principal=REP, org=ORG, opportunity_id=OPP, answers={"nope": "x"}
        )
    with pytest.raises(InvalidInput):
        await world.service.evaluate(
            principal=REP, org=ORG, opportunity_id=OPP, answers={B2B.criteria[0].id: "nope"}
        )
    assert world.evaluations.rows == {} and world.crm.writes == []


async def test_evaluate_needs_a_solution_and_the_current_version(world: World) -> None:
    await world.service.launch(principal=REP, org=ORG, opportunity_id=OPP)
    with pytest.raises(InvalidInput) as info:
        await world.service.evaluate(principal=REP, org=ORG, opportunity_id=OPP, answers={})
    assert info.value.code == "no_solution"
    await world.service.assign_solution(
        principal=REP, org=ORG, opportunity_id=OPP, solution_id=B2B.id, is_admin=False
    )
    with pytest.raises(Conflict):
        await world.service.evaluate(
            principal=REP, org=ORG, opportunity_id=OPP, answers={}, solution_version=B2B.version + 1
        )


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (CrmFieldSecured("secured"), WritebackStatus.FAILED, "crm_field_secured"),
        (CrmAccessDenied("no privilege"), WritebackStatus.FAILED, "crm_access_denied"),
        (CrmRecordNotFound("deleted"), WritebackStatus.FAILED, "crm_not_found"),
        (CrmBusy("429", retry_after=5), WritebackStatus.RETRYING, "crm_busy"),
        (ReauthRequired("silent failed"), WritebackStatus.FAILED, "reauth_required"),
    ],
)
async def test_crm_refusals_keep_the_evaluation_and_say_why(
    world: World, error: Exception, status: WritebackStatus, code: str
) -> None:
    await world.project_with_solution()
    world.crm.fail_next["patch"] = error
    result = await world.service.evaluate(
        principal=REP, org=ORG, opportunity_id=OPP, answers=best_answers()
    )
    assert result.evaluation.writeback.status is status and result.evaluation.writeback.code == code
    assert len(world.evaluations.rows[next(iter(world.evaluations.rows))]) == 1
    # ...and "Write again" succeeds once the cause is gone.
    retried = await world.service.retry_writeback(principal=REP, org=ORG, opportunity_id=OPP)
    assert retried.writeback.status is WritebackStatus.WRITTEN


async def test_closed_opportunity_follows_the_policy(world: World) -> None:
    await world.project_with_solution()
    world.crm.opportunities[OPP] = opportunity(OPP, state=OpportunityState.WON, probability=100)
    result = await world.service.evaluate(
        principal=REP,
        org=ORG,
        opportunity_id=OPP,
        answers={B2B.criteria[0].id: B2B.criteria[0].options[0].id},
    )
    assert (
        result.evaluation.writeback.status is WritebackStatus.SKIPPED_CLOSED
        and world.crm.writes == []
    )
    settings = await world.settings.get(tenant_id=CONTOSO, org="contoso")
    await world.settings.save(
        settings.changed(
            target_field="closeprobability",
            closed_policy=ClosedPolicy.WRITE,
            by="admin",
            at=world.clock.now(),
        )
    )
    result = await world.service.evaluate(
        principal=REP,
        org=ORG,
        opportunity_id=OPP,
        answers={B2B.criteria[0].id: B2B.criteria[0].options[0].id},
    )
    assert result.evaluation.writeback.status is WritebackStatus.WRITTEN


async def test_a_conflicting_save_is_read_again_once(world: World) -> None:
    await world.project_with_solution()
    world.crm.fail_next["patch"] = CrmConflict("412")
    result = await world.service.evaluate(
        principal=REP, org=ORG, opportunity_id=OPP, answers=best_answers()
    )
    assert result.evaluation.writeback.status is WritebackStatus.WRITTEN
    assert [c[0] for c in world.crm.calls[-4:]] == ["get", "patch", "get", "patch"]


async def test_type_aware_write_to_an_admin_chosen_decimal_field(world: World) -> None:
    await world.project_with_solution()
    world.crm.fields["cockpit_winprobability"] = field_info(
        "cockpit_winprobability", attribute_type="Decimal", precision=2, is_custom=True
    )
    admin = Principal(
        kind="session", tenant_id=CONTOSO, object_id="admin", home_account_id="admin.t"
    )
    await world.service.save_settings(
        principal=admin,
        org=ORG,
        target_field="cockpit_winprobability",
        closed_policy=ClosedPolicy.SKIP,
        etag=None,
    )
    answers = {c.id: c.options[1].id for c in B2B.criteria}
    result = await world.service.evaluate(
        principal=REP, org=ORG, opportunity_id=OPP, answers=answers
    )
    assert result.evaluation.writeback.status is WritebackStatus.WRITTEN
    field, value = world.crm.writes[-1][1:]
    assert field == "cockpit_winprobability" and isinstance(value, Decimal)
    assert value == result.score.probability.quantize(Decimal("0.01"))


async def test_admin_save_refuses_fields_that_cannot_hold_a_probability(world: World) -> None:
    admin = Principal(
        kind="session", tenant_id=CONTOSO, object_id="admin", home_account_id="admin.t"
    )
    world.crm.fields["cockpit_smallscore"] = field_info("cockpit_smallscore", max_value=Decimal(10))
    world.crm.fields["msdyn_opportunityscore"] = field_info(
        "msdyn_opportunityscore", is_valid_for_update=False
    )
    world.crm.fields["cockpit_nextstep"] = field_info(
        "cockpit_nextstep", attribute_type="String", min_value=None, max_value=None
    )
    for name in (
        "cockpit_smallscore",
        "msdyn_opportunityscore",
        "cockpit_nextstep",
        "does_not_exist",
    ):
        with pytest.raises(ConfigurationInvalid) as info:
            await world.service.save_settings(
                principal=admin,
                org=ORG,
                target_field=name,
                closed_policy=ClosedPolicy.SKIP,
                etag=None,
            )
        assert info.value.code == "target_field_refused"
    assert world.settings.rows == {}


async def test_admin_view_lists_candidates_with_checks(world: World) -> None:
    admin = Principal(
        kind="session", tenant_id=CONTOSO, object_id="admin", home_account_id="admin.t"
    )
    world.crm.fields["cockpit_securedscore"] = field_info("cockpit_securedscore", is_secured=True)
    world.crm.fields["cockpit_smallscore"] = field_info("cockpit_smallscore", max_value=Decimal(10))
    view = await world.service.admin_view(principal=admin, org=ORG)
    checks = {c.field.logical_name: c for c in view.candidates}
    assert checks["closeprobability"].ok
    assert checks["cockpit_securedscore"].ok and [
        w.code for w in checks["cockpit_securedscore"].warnings
    ] == ["secured_field"]
    assert not checks["cockpit_smallscore"].ok
    assert view.current is not None and view.current.field.logical_name == "closeprobability"


async def test_view_survives_crm_errors(world: World) -> None:
    await world.project_with_solution()
    await world.service.evaluate(principal=REP, org=ORG, opportunity_id=OPP, answers=best_answers())
    world.crm.fail_next["get"] = CrmBusy("429")
    view = await world.service.view(principal=REP, org=ORG, opportunity_id=OPP)
    assert view.opportunity is None and isinstance(view.crm_error, CrmBusy)
    assert view.latest_score is not None and len(view.history) == 1


async def test_published_versions_only_go_up(world: World) -> None:
    admin = Principal(kind="session", tenant_id=CONTOSO, object_id="admin")
    data = B2B.model_dump(mode="json")
    with pytest.raises(Conflict):
        await world.service.publish_solution(principal=admin, solution=parse_solution(data))
    data["version"] = B2B.version + 1
    data["name"] = "B2B (adapted)"
    await world.service.publish_solution(principal=admin, solution=parse_solution(data))
    available = {s.id: s for s in await world.service.available_solutions(principal=admin)}
    assert available[B2B.id].version == B2B.version + 1
