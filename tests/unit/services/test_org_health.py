"""The per-org health check with fakes: all ✔, each check ✘ with its fix, failures logged once
(against the simulators: tests/integration/test_admin_health.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shared.domain.admin_log import LogOutcome
from shared.domain.crm_admin import ApplicationUser
from shared.domain.errors import CrmAccessDenied, CrmUnavailable, ReauthRequired
from shared.domain.health import CHECK_IDS, CheckStatus
from shared.domain.identity import TokenResult
from tests.support.fakes import field_info
from tests.support.world import OPP, ORG, World, rep

ADMIN = rep("admin", "Cockpit.Admin")


@pytest.fixture
async def world() -> World:
    w = World()
    await w.container.projects_service.launch(principal=rep(), org=ORG, opportunity_id=OPP)
    return w


def status(report) -> dict[str, CheckStatus]:
    return {c.id: c.status for c in report.checks}


async def test_everything_is_checked_and_well(world: World) -> None:
    report = await world.container.org_health.check(principal=ADMIN, org=ORG)
    assert [c.id for c in report.checks] == list(CHECK_IDS)
    assert report.ok and set(status(report).values()) == {CheckStatus.OK}
    assert world.log.rows == []  # nothing failed: nothing logged


async def test_each_failure_says_what_to_do_and_is_logged_once(world: World) -> None:
    health = world.container.org_health
    world.crm_admin.solution = None
    world.crm.fields["closeprobability"] = field_info(max_value=Decimal(10))
    world.crm_admin.app_user = ApplicationUser("app-user", disabled=True)
    report = await health.check(principal=ADMIN, org=ORG)
    found = {c.id: c for c in report.checks}
    assert (found["dynamics_solution"].code, found["dynamics_solution"].fix) == (
        "health_solution_missing",
        "fix_solution_import",
    )
    assert found["target_range"].fix == "fix_target_range"
    assert found["app_user"].code == "health_app_user_disabled"
    assert found["app_impersonate"].status is CheckStatus.SKIPPED
    logged = [(e.outcome, e.params["check"]) for e in reversed(world.log.rows)]
    assert logged == [
        (LogOutcome.HEALTH_FAILED, "app_user"),
        (LogOutcome.HEALTH_FAILED, "dynamics_solution"),
        (LogOutcome.HEALTH_FAILED, "target_range"),
    ]
    await health.check(principal=ADMIN, org=ORG)
    assert len(world.log.rows) == 3  # the same failures again: not logged again
    world.crm_admin.app_user = ApplicationUser("app-user", disabled=False)
    await health.check(principal=ADMIN, org=ORG)
    assert (world.log.rows[0].outcome, world.log.rows[0].params["check"]) == (
        LogOutcome.HEALTH_RECOVERED,
        "app_user",
    )


async def test_the_background_identity_checks(world: World) -> None:
    health = world.container.org_health

    async def refuse(**_: object) -> TokenResult:
        raise ReauthRequired("client credentials failed: invalid_client")

    world.identity.acquire_for_app = refuse  # type: ignore[method-assign]
    report = await health.check(principal=ADMIN, org=ORG)
    assert status(report)["app_token"] is CheckStatus.FAILED
    assert report.by_id()["app_token"].fix == "fix_app_credential"
    world2 = World()
    await world2.container.projects_service.launch(principal=rep(), org=ORG, opportunity_id=OPP)
    world2.crm.who_am_i = _refusing(world2)  # type: ignore[method-assign]
    world2.crm.rights["cockpit-background"] = {OPP: frozenset({"ReadAccess"})}
    report = await world2.container.org_health.check(principal=ADMIN, org=ORG)
    assert report.by_id()["app_impersonate"].fix == "fix_app_impersonate"
    assert report.by_id()["app_write"].code == "health_app_write_missing"


def _refusing(world: World):
    async def who_am_i(*, org, caller):
        if caller.impersonate_object_id:
            raise CrmAccessDenied("0x8004A110")
        raise AssertionError("only the impersonation check asks WhoAmI")

    return who_am_i


async def test_an_unreachable_crm_is_not_mistaken_for_a_missing_thing(world: World) -> None:
    world.crm.fail_next["solution"] = CrmUnavailable("503")
    report = await world.container.org_health.check(principal=ADMIN, org=ORG)
    check = report.by_id()["dynamics_solution"]
    assert (check.code, check.params["error"]) == ("health_cannot_check", "crm_unavailable")


async def test_the_timer_checks_as_the_app(world: World) -> None:
    report = await world.container.org_health.check(principal=None, org=ORG)
    assert report.by_id()["app_impersonate"].status is CheckStatus.SKIPPED
    assert report.ok


async def test_storage_and_its_tables(world: World) -> None:
    world.storage.broken = {"writeback_log"}
    report = await world.container.org_health.check(principal=ADMIN, org=ORG)
    tables = report.by_id()["tables"]
    assert (tables.status, tables.params["tables"], tables.fix) == (
        CheckStatus.FAILED,
        "writeback_log",
        "fix_tables",
    )
    world.storage.down = True
    report = await world.container.org_health.check(principal=ADMIN, org=ORG)
    assert status(report)["storage"] is CheckStatus.FAILED
    assert status(report)["tables"] is CheckStatus.SKIPPED
