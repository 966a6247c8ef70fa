"""The health check's verdicts and the bulk re-write's decisions per record."""

from __future__ import annotations

from decimal import Decimal

from shared.domain.bulk import ProjectScore, RecordAction, batches, plan_record, remaining
from shared.domain.crm import OpportunityState
from shared.domain.crm_admin import ApplicationUser, InstalledSolution, OpportunityRow
from shared.domain.health import (
    CheckStatus,
    judge_app_user,
    judge_solution,
    judge_target,
    judge_write_access,
)
from shared.domain.writeback import ClosedPolicy
from tests.support.fakes import field_info


def statuses(checks) -> dict[str, CheckStatus]:
    return {c.id: c.status for c in checks}


def test_the_target_column_checks() -> None:
    assert set(statuses(judge_target("x", field_info("x"))).values()) == {CheckStatus.OK}
    missing = statuses(judge_target("x", None))
    assert missing["target_exists"] is CheckStatus.FAILED
    assert {missing[c] for c in missing if c != "target_exists"} == {CheckStatus.SKIPPED}
    text = statuses(judge_target("x", field_info("x", attribute_type="String")))
    assert text["target_numeric"] is CheckStatus.FAILED
    small = statuses(judge_target("x", field_info("x", max_value=Decimal(10))))
    assert small["target_range"] is CheckStatus.FAILED
    readonly = statuses(judge_target("x", field_info("x", is_valid_for_update=False)))
    assert readonly["target_updatable"] is CheckStatus.FAILED
    secured = statuses(judge_target("x", field_info("x", is_secured=True)))
    assert secured["target_secured"] is CheckStatus.WARNING


def test_solution_application_user_and_write_access_verdicts() -> None:
    assert judge_solution(None).status is CheckStatus.FAILED
    assert judge_solution(InstalledSolution("OpportunityCockpit", "1.2.0.0", True)).status is (
        CheckStatus.OK
    )
    assert judge_solution(InstalledSolution("OpportunityCockpit", "1.2.0.0", False)).status is (
        CheckStatus.WARNING
    )
    assert judge_app_user("app", None).code == "health_app_user_missing"
    assert judge_app_user("app", ApplicationUser("u", True)).code == "health_app_user_disabled"
    assert judge_app_user("app", ApplicationUser("u", False)).status is CheckStatus.OK
    assert judge_write_access(frozenset({"ReadAccess", "WriteAccess"})).status is CheckStatus.OK
    assert judge_write_access(frozenset({"ReadAccess"})).fix == "fix_app_write"


def test_each_record_follows_the_write_back_rules() -> None:
    info = field_info("cockpit_score")
    score = ProjectScore("a", Decimal("56.5"))
    open_row = OpportunityRow("a", OpportunityState.OPEN, values={"cockpit_score": None})
    assert plan_record(score, open_row, info=info, policy=ClosedPolicy.SKIP) == (
        RecordAction.WRITE,
        57,
    )
    same = OpportunityRow("a", OpportunityState.OPEN, values={"cockpit_score": Decimal(57)})
    assert (
        plan_record(score, same, info=info, policy=ClosedPolicy.SKIP)[0] is RecordAction.UNCHANGED
    )
    won = OpportunityRow("a", OpportunityState.WON, values={"cockpit_score": None})
    assert plan_record(score, won, info=info, policy=ClosedPolicy.SKIP)[0] is (
        RecordAction.SKIPPED_CLOSED
    )
    assert plan_record(score, won, info=info, policy=ClosedPolicy.WRITE)[0] is RecordAction.WRITE
    assert plan_record(score, None, info=info, policy=ClosedPolicy.SKIP)[0] is (
        RecordAction.NOT_VISIBLE
    )


def test_the_cursor_and_batches() -> None:
    scores = [ProjectScore(i, Decimal(1)) for i in ("c", "a", "d", "b")]
    assert [s.opportunity_id for s in remaining(scores, "b")] == ["c", "d"]
    assert [len(b) for b in batches(remaining(scores, ""), 3)] == [3, 1]
